/**
 * A receipt as printed (the print stylesheet hides everything else and prints it 80 mm wide):
 * two columns, names wrapping and amounts never cut; each line's discount under it, the coupon
 * named, zero lines left out. A gift receipt (`gift`) is the same without money: lines and
 * quantities, the receipt number to bring back.
 */
import { Box } from '@mui/material';
import type { ReactNode } from 'react';
import type { Receipt } from '../data/types';
import { dec } from '../domain/money';

const METHOD = { cash: 'Cash', card: 'Card', other: 'Other', gift_card: 'Gift card', store_credit: 'Store credit', on_account: 'On account' } as const;

function Line({ label, amount, strong, testId }: { label: ReactNode; amount: string; strong?: boolean; testId?: string }) {
  return (
    <>
      <Box sx={{ overflowWrap: 'anywhere', fontWeight: strong ? 700 : 400 }}>{label}</Box>
      <Box sx={{ whiteSpace: 'nowrap', textAlign: 'right', fontWeight: strong ? 700 : 400 }} data-amount="" data-testid={testId}>
        {amount}
      </Box>
    </>
  );
}

const Rule = () => <Box sx={{ gridColumn: '1 / -1', borderTop: '1px dashed', my: 0.5 }} />;

export function ReceiptView({ receipt, storeName, gift = false }: { receipt: Receipt; storeName: string; gift?: boolean }) {
  const nonZero = (value: string) => !dec(value).isZero();
  if (gift) return <GiftReceipt receipt={receipt} storeName={storeName} />;
  return (
    <Box className="receipt" data-testid="receipt" sx={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 13, lineHeight: 1.4, width: '100%', maxWidth: '80mm', mx: 'auto' }}>
      <Box sx={{ textAlign: 'center', fontWeight: 700, fontSize: 16 }} data-testid="receipt-store">
        {storeName}
      </Box>
      <Box sx={{ textAlign: 'center' }} data-testid="receipt-number">
        {receipt.receiptNumber}
      </Box>
      <Box sx={{ textAlign: 'center', fontSize: 12 }}>
        {new Date(receipt.createdAt).toLocaleString()} · {receipt.staffName}
        {receipt.customerName ? ` · ${receipt.customerName}` : ''}
      </Box>
      <Box sx={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) auto', columnGap: 1, mt: 1 }}>
        <Rule />
        {receipt.lines.map((line) => (
          <Box key={line.lineNo} sx={{ display: 'contents' }} data-testid="receipt-line">
            <Line label={`${line.qty} × ${line.name}`} amount={`$${line.rowTotal}`} />
            {nonZero(line.discount) && <Line label="  discount" amount={`−$${line.discount}`} testId="receipt-line-discount" />}
          </Box>
        ))}
        <Rule />
        <Line label="Subtotal" amount={`$${receipt.subtotal}`} />
        {nonZero(receipt.discount) && <Line label={receipt.couponCode ? `Discount (coupon ${receipt.couponCode})` : 'Discount'} amount={`−$${receipt.discount}`} />}
        <Line label="Tax" amount={`$${receipt.tax}`} />
        <Line label="Total" amount={`$${receipt.grandTotal}`} strong />
        {/* Gift cards sold: a liability of the shop, outside the total and its tax. */}
        {(receipt.giftCards ?? []).map((c, i) => (
          <Line key={`card-${i}`} label={`Gift card ${c.card}${c.kind === 'e_card' ? ' (e-card)' : ''}`} amount={`$${c.amount}`} testId="receipt-gift-card" />
        ))}
        {receipt.payments.map((p, i) => (
          <Line key={i} label={p.reference ? `${METHOD[p.method]} ${p.reference}` : METHOD[p.method]} amount={`$${p.amount}`} testId={`receipt-payment-${p.method}`} />
        ))}
        <Line label="Change" amount={`$${receipt.change}`} testId="receipt-change" />
      </Box>
      {receipt.refunds.map((r) => (
        <Box key={r.key} sx={{ color: 'error.main' }}>
          Refunded ${r.total} ({r.method})
        </Box>
      ))}
    </Box>
  );
}

function GiftReceipt({ receipt, storeName }: { receipt: Receipt; storeName: string }) {
  return (
    <Box className="receipt" data-testid="gift-receipt" sx={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 13, lineHeight: 1.4, width: '100%', maxWidth: '80mm', mx: 'auto' }}>
      <Box sx={{ textAlign: 'center', fontWeight: 700, fontSize: 16 }}>{storeName}</Box>
      <Box sx={{ textAlign: 'center', fontWeight: 700 }}>GIFT RECEIPT</Box>
      <Box sx={{ textAlign: 'center' }} data-testid="receipt-number">
        Receipt {receipt.receiptNumber}
      </Box>
      <Box sx={{ textAlign: 'center', fontSize: 12 }}>{new Date(receipt.createdAt).toLocaleString()}</Box>
      <Box sx={{ borderTop: '1px dashed', my: 0.5 }} />
      {receipt.lines.map((line) => (
        <Box key={line.lineNo} sx={{ overflowWrap: 'anywhere' }} data-testid="receipt-line">
          {line.qty} × {line.name}
        </Box>
      ))}
      <Box sx={{ borderTop: '1px dashed', my: 0.5 }} />
      <Box sx={{ textAlign: 'center' }}>Keep this receipt to return or exchange</Box>
    </Box>
  );
}
