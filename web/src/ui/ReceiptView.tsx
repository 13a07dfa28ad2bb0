/** A receipt as printed (the print stylesheet hides everything else). */
import { Box, Divider, Stack, Typography } from '@mui/material';
import type { Receipt } from '../data/types';

export function ReceiptView({ receipt, storeName }: { receipt: Receipt; storeName: string }) {
  return (
    <Box className="receipt" data-testid="receipt" sx={{ fontFamily: 'monospace' }}>
      <Typography variant="h6" align="center">
        {storeName}
      </Typography>
      <Typography align="center" variant="body2" data-testid="receipt-number">
        {receipt.receiptNumber}
      </Typography>
      <Typography align="center" variant="caption" display="block">
        {new Date(receipt.createdAt).toLocaleString()} · {receipt.staffName}
        {receipt.customerName ? ` · ${receipt.customerName}` : ''}
      </Typography>
      <Divider sx={{ my: 1 }} />
      {receipt.lines.map((line) => (
        <Stack key={line.lineNo} direction="row" justifyContent="space-between">
          <Typography variant="body2">
            {line.qty} × {line.name}
          </Typography>
          <Typography variant="body2">${line.rowTotal}</Typography>
        </Stack>
      ))}
      <Divider sx={{ my: 1 }} />
      {[
        ['Subtotal', receipt.subtotal],
        ['Discount', receipt.discount],
        ['Tax', receipt.tax],
        ['Total', receipt.grandTotal],
        ...receipt.payments.map((p) => [p.method === 'cash' ? 'Cash' : p.method === 'card' ? 'Card' : 'Other', p.amount]),
        ['Change', receipt.change],
      ].map(([label, value], i) => (
        <Stack key={i} direction="row" justifyContent="space-between">
          <Typography variant="body2" fontWeight={label === 'Total' ? 700 : 400}>
            {label}
          </Typography>
          <Typography variant="body2" fontWeight={label === 'Total' ? 700 : 400} data-testid={label === 'Change' ? 'receipt-change' : undefined}>
            ${value}
          </Typography>
        </Stack>
      ))}
      {receipt.refunds.map((r) => (
        <Typography key={r.key} variant="body2" color="error">
          Refunded ${r.total} ({r.method})
        </Typography>
      ))}
    </Box>
  );
}
