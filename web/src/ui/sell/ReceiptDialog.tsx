/** The receipt of the sale just made: e-mail, print, or on to the next sale. */
import { Button, Dialog, DialogActions, DialogContent } from '@mui/material';
import type { Receipt } from '../../data/types';
import { ReceiptView } from '../ReceiptView';
import { receiptText } from './format';

export function ReceiptDialog({ receipt, storeName, email, onClose }: { receipt: Receipt; storeName: string; email: string | undefined; onClose: () => void }) {
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogContent>
        <ReceiptView receipt={receipt} storeName={storeName} />
      </DialogContent>
      <DialogActions className="no-print">
        <Button href={`mailto:${email ?? ''}?subject=${encodeURIComponent(`Receipt ${receipt.receiptNumber}`)}&body=${encodeURIComponent(receiptText(receipt))}`}>Email</Button>
        <Button onClick={() => window.print()}>Print</Button>
        <Button variant="contained" onClick={onClose} data-testid="new-sale">
          New sale
        </Button>
      </DialogActions>
    </Dialog>
  );
}
