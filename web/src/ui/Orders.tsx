/** Order history of this till, with each sale's sync state, and refunds of sales made here. */
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  List,
  ListItemButton,
  ListItemText,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { db, storageErrorMessage } from '../data/db';
import { type RefundRequest, recordRefund, refundAmount } from '../data/sales';
import type { Receipt } from '../data/types';
import { dec, moneyStr } from '../domain/money';
import { flushSoon } from '../sync/client';
import { useLive } from './hooks';
import { ReceiptActions } from './ReceiptActions';
import { ReceiptView } from './ReceiptView';
import { actorOf, can, useTill } from './session';
import { storeNameOf } from './sell/format';

const STATUS_COLOR = { unsent: 'warning', accepted: 'success', rejected: 'error' } as const;

export function Orders() {
  const { boot } = useTill();
  const receipts = useLive(() => db().receipts.orderBy('createdAt').reverse().limit(200).toArray(), [], [] as Receipt[]);
  const refused = useLive(() => db().outbox.where('status').equals('rejected').toArray(), [], []);
  const [open, setOpen] = useState<string | null>(null);
  const selected = receipts.find((r) => r.key === open) ?? null;
  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }}>
      {refused.length > 0 && (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="refused">
          The server refused {refused.length} item(s); they are kept for a manager:
          {refused.map((r) => (
            <div key={r.seq}>
              {r.kind} {r.key}: {r.reason}
            </div>
          ))}
        </Alert>
      )}
      <Typography variant="h6">Orders on this till</Typography>
      <List>
        {receipts.map((r) => (
          <ListItemButton key={r.key} onClick={() => setOpen(r.key)} data-testid="order-row">
            <ListItemText primary={`${r.receiptNumber} · $${r.grandTotal}`} secondary={`${new Date(r.createdAt).toLocaleString()} · ${r.lines.length} lines${r.refunds.length ? ` · refunded $${r.refunds.map((x) => x.total).join(' + $')}` : ''}`} />
            <Stack direction="row" spacing={1}>
              {r.flags.map((f) => (
                <Chip key={f} label={f} size="small" />
              ))}
              <Chip label={r.status === 'unsent' ? 'not sent yet' : r.status} color={STATUS_COLOR[r.status]} size="small" />
            </Stack>
          </ListItemButton>
        ))}
        {receipts.length === 0 && <Typography color="text.secondary">No sales yet.</Typography>}
      </List>
      {selected && <OrderDialog receipt={selected} storeName={storeNameOf(boot, selected.locationCode)} onClose={() => setOpen(null)} />}
    </Box>
  );
}

function OrderDialog({ receipt, storeName, onClose }: { receipt: Receipt; storeName: string; onClose: () => void }) {
  const { session, device, notify } = useTill();
  const [refunding, setRefunding] = useState(false);
  const [gift, setGift] = useState(false);
  const [qty, setQty] = useState<Record<number, string>>({});
  const [restock, setRestock] = useState<Record<number, boolean>>({});
  const first = receipt.payments[0]?.method;
  // Refunds at the till go back in cash, by card or other (to a gift card or credit: the API, docs/ledgers.md).
  const [method, setMethod] = useState<'cash' | 'card' | 'other'>(first === 'card' || first === 'other' ? first : 'cash');
  const requests: RefundRequest[] = receipt.lines
    .filter((l) => qty[l.lineNo] && dec(qty[l.lineNo]).gt(0))
    .map((l) => ({ lineNo: l.lineNo, qty: dec(qty[l.lineNo]), restock: restock[l.lineNo] ?? true }));
  let preview: string | null = null;
  let problem: string | null = null;
  try {
    preview = requests.length ? moneyStr(refundAmount(receipt, requests)) : null;
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  const mayRefund = can(session, 'refund') && receipt.registerCode === device.registerCode && receipt.status !== 'rejected';

  async function refund() {
    try {
      await recordRefund(db(), receipt, requests, method, 'refund at the till', actorOf(session));
      void flushSoon();
      notify(`Refunded $${preview}`, 'success');
      setRefunding(false);
      setQty({});
    } catch (e) {
      notify(storageErrorMessage(e), 'error');
    }
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogContent>
        {!refunding ? (
          <>
            <ReceiptView receipt={receipt} storeName={storeName} gift={gift} />
            <Box sx={{ mt: 1 }}>
              <ReceiptActions receipt={receipt} email={null} gift={gift} onGiftChange={setGift} browserPrint={false} />
            </Box>
          </>
        ) : (
          <Box data-testid="refund-form">
            <DialogTitle sx={{ px: 0 }}>Refund from {receipt.receiptNumber}</DialogTitle>
            {receipt.lines.map((line) => {
              const left = dec(line.qty).minus(dec(line.qtyRefunded));
              return (
                <Stack key={line.lineNo} direction="row" spacing={1} alignItems="center" sx={{ mb: 1 }}>
                  <Typography sx={{ flex: 1 }}>
                    {line.name} ({left.toFixed()} left)
                  </Typography>
                  <TextField
                    select
                    size="small"
                    label="Qty"
                    value={qty[line.lineNo] ?? '0'}
                    onChange={(e) => setQty((q) => ({ ...q, [line.lineNo]: e.target.value }))}
                    sx={{ width: 90 }}
                    slotProps={{ select: { native: true }, htmlInput: { 'data-testid': `refund-qty-${line.lineNo}` } }}
                  >
                    {Array.from({ length: Math.max(0, Math.floor(left.toNumber())) + 1 }, (_, n) => (
                      <option key={n} value={String(n)}>
                        {n}
                      </option>
                    ))}
                  </TextField>
                  <FormControlLabel
                    control={<Checkbox checked={restock[line.lineNo] ?? true} onChange={(e) => setRestock((r) => ({ ...r, [line.lineNo]: e.target.checked }))} />}
                    label="Back to stock"
                  />
                </Stack>
              );
            })}
            <TextField select size="small" label="Refund to" value={method} onChange={(e) => setMethod(e.target.value as typeof method)} sx={{ width: 160 }}>
              <MenuItem value="cash">Cash</MenuItem>
              <MenuItem value="card">Card</MenuItem>
              <MenuItem value="other">Other</MenuItem>
            </TextField>
            {preview && <Typography sx={{ mt: 1 }}>Refund: ${preview}</Typography>}
            {problem && <Alert severity="error">{problem}</Alert>}
          </Box>
        )}
      </DialogContent>
      <DialogActions className="no-print">
        {!refunding && (
          <Button onClick={() => window.print()} data-testid="print">
            Print
          </Button>
        )}
        {!refunding && mayRefund && (
          <Button onClick={() => setRefunding(true)} data-testid="start-refund">
            Refund…
          </Button>
        )}
        {refunding && (
          <Button variant="contained" color="error" disabled={!preview || !!problem} onClick={() => void refund()} data-testid="confirm-refund">
            Refund {preview ? `$${preview}` : ''}
          </Button>
        )}
        <Button onClick={refunding ? () => setRefunding(false) : onClose}>{refunding ? 'Back' : 'Close'}</Button>
      </DialogActions>
    </Dialog>
  );
}
