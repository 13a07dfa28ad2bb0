/**
 * The sale just completed, in the cart's place: change due in large type, the receipt, e-mail
 * (sent by the server, to the sale's customer or a typed address), gift receipt and print (on the
 * register's network printer at once when it has one). Nothing to dismiss: the next product
 * starts the next sale.
 */
import { Box, Button, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import type { Receipt } from '../../data/types';
import { ReceiptActions } from '../ReceiptActions';
import { ReceiptView } from '../ReceiptView';
import { money } from './format';

export function SaleDone({ receipt, storeName, email, onNewSale }: { receipt: Receipt; storeName: string; email: string | null; onNewSale: () => void }) {
  const [gift, setGift] = useState(false);
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
        <ReceiptView receipt={receipt} storeName={storeName} gift={gift} />
      </Box>
      <ReceiptActions receipt={receipt} email={email} gift={gift} onGiftChange={setGift} autoPrint />
      <Stack direction="row" spacing={1} className="no-print" sx={{ mt: 1 }}>
        <Button variant="contained" sx={{ flex: 1 }} onClick={onNewSale} data-testid="new-sale">
          New sale
        </Button>
      </Stack>
    </Box>
  );
}
