/**
 * The sale just completed, in the cart's place: change due in large type, the receipt, e-mail
 * (to the sale's customer) and print. Nothing to dismiss: the next product starts the next sale.
 */
import { Box, Button, Stack, Typography } from '@mui/material';
import type { Receipt } from '../../data/types';
import { ReceiptView } from '../ReceiptView';
import { money, receiptText } from './format';

export function receiptMailto(receipt: Receipt, email: string | null): string {
  return `mailto:${email ? encodeURIComponent(email) : ''}?subject=${encodeURIComponent(`Receipt ${receipt.receiptNumber}`)}&body=${encodeURIComponent(receiptText(receipt))}`;
}

export function SaleDone({ receipt, storeName, email, onNewSale }: { receipt: Receipt; storeName: string; email: string | null; onNewSale: () => void }) {
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', minHeight: 0, flex: '1 1 auto' }} data-testid="sale-done">
      <Box role="status" sx={{ textAlign: 'center', py: 1 }}>
        <Typography variant="body2" color="text.secondary">
          Sale complete · change due
        </Typography>
        <Typography component="p" sx={{ fontSize: 44, fontWeight: 700, lineHeight: 1.1 }} data-testid="change-due-big">
          {money(receipt.change)}
        </Typography>
      </Box>
      <Box sx={{ overflowY: 'auto', minHeight: 0, flex: '1 1 auto', my: 1 }}>
        <ReceiptView receipt={receipt} storeName={storeName} />
      </Box>
      <Stack direction="row" spacing={1} className="no-print">
        <Button href={receiptMailto(receipt, email)} data-testid="email-receipt" title={email ? `E-mail to ${email}` : 'E-mail'}>
          Email
        </Button>
        <Button onClick={() => window.print()}>Print</Button>
        <Button variant="contained" sx={{ flex: 1 }} onClick={onNewSale} data-testid="new-sale">
          New sale
        </Button>
      </Stack>
    </Box>
  );
}
