/**
 * What a cashier does with a receipt: e-mail it (sent by the server, queued while offline),
 * switch to the gift receipt, print it on the register's network printer (automatically after a
 * sale when one is set up), on a USB / serial printer, or through the browser's dialog. A printer
 * that fails never touches the sale: the till says "Not printed" with the reason and offers a reprint.
 */
import { Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Stack, TextField } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { db, storageErrorMessage } from '../data/db';
import { queueReceiptMail } from '../data/sales';
import type { Receipt } from '../data/types';
import { flushSoon } from '../sync/client';
import { type NetworkPrinter, directPrinting, printDirect, printOnNetwork, printProblem, registerPrinters } from './printing';
import { useTill } from './session';

type PrintState = { state: 'idle' } | { state: 'printing'; printer: string } | { state: 'printed'; printer: string } | { state: 'failed'; printer: string; reason: string };

const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function ReceiptActions({
  receipt,
  email,
  gift,
  onGiftChange,
  autoPrint = false,
  browserPrint = true,
}: {
  receipt: Receipt;
  email: string | null;
  gift: boolean;
  onGiftChange: (gift: boolean) => void;
  autoPrint?: boolean;
  /** false where the screen has its own Print button (Orders). */
  browserPrint?: boolean;
}) {
  const { session, device, notify } = useTill();
  const creds = { baseUrl: location.origin, token: session.token, deviceToken: device.deviceToken };
  const [printers, setPrinters] = useState<NetworkPrinter[]>([]);
  const [printing, setPrinting] = useState<PrintState>({ state: 'idle' });
  const [mailing, setMailing] = useState(false);
  const printedOnce = useRef(false);
  const direct = directPrinting();

  async function print(printer: NetworkPrinter, asGift = gift) {
    setPrinting({ state: 'printing', printer: printer.name });
    try {
      await printOnNetwork(db(), creds, printer, receipt, asGift);
      setPrinting({ state: 'printed', printer: printer.name });
    } catch (error) {
      setPrinting({ state: 'failed', printer: printer.name, reason: printProblem(error) });
    }
  }

  useEffect(() => {
    let live = true;
    void registerPrinters(db(), creds, device.registerCode).then((found) => {
      if (!live) return;
      setPrinters(found);
      if (autoPrint && found.length > 0 && !printedOnce.current) {
        printedOnce.current = true;
        void print(found[0], false);
      }
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [receipt.key]);

  async function usb() {
    try {
      await printDirect(db(), creds, receipt, gift);
      notify('Printed', 'success');
    } catch (error) {
      notify(`Not printed: ${printProblem(error)}`, 'error');
    }
  }

  return (
    <>
      {printing.state === 'failed' && (
        <Alert
          severity="error"
          className="no-print"
          data-testid="print-failed"
          action={
            <Button color="inherit" size="small" data-testid="reprint" onClick={() => void print(printers.find((p) => p.name === printing.printer) ?? printers[0])}>
              Reprint
            </Button>
          }
        >
          Not printed on {printing.printer}: {printing.reason}
        </Alert>
      )}
      {printing.state === 'printing' && (
        <Alert severity="info" className="no-print" data-testid="print-status">
          Printing on {printing.printer}…
        </Alert>
      )}
      {printing.state === 'printed' && (
        <Alert severity="success" className="no-print" data-testid="print-status">
          Printed on {printing.printer}
        </Alert>
      )}
      <Stack direction="row" spacing={1} className="no-print" sx={{ flexWrap: 'wrap', rowGap: 1 }}>
        <Button onClick={() => setMailing(true)} data-testid="email-receipt" title={email ? `E-mail to ${email}` : 'E-mail'}>
          Email
        </Button>
        <FormControlLabel control={<Checkbox checked={gift} onChange={(e) => onGiftChange(e.target.checked)} inputProps={{ 'aria-label': 'Gift receipt' }} data-testid="gift-toggle" />} label="Gift" />
        {printers.map((printer) => (
          <Button key={printer.id} onClick={() => void print(printer)} disabled={printing.state === 'printing'} data-testid="print-network">
            Print on {printer.name}
          </Button>
        ))}
        {(direct.usb || direct.serial) && (
          <Button onClick={() => void usb()} data-testid="print-direct">
            {direct.usb ? 'USB printer' : 'Serial printer'}
          </Button>
        )}
        {browserPrint && (
          <Button onClick={() => window.print()} data-testid="print-browser">
            Print
          </Button>
        )}
      </Stack>
      {mailing && <MailDialog receipt={receipt} email={email} gift={gift} onClose={() => setMailing(false)} onQueued={(to) => notify(`Receipt e-mail to ${to} queued: the server sends it${navigator.onLine ? '' : ' once the till is back online'}`, 'success')} />}
    </>
  );
}

function MailDialog({ receipt, email, gift, onClose, onQueued }: { receipt: Receipt; email: string | null; gift: boolean; onClose: () => void; onQueued: (to: string) => void }) {
  const [to, setTo] = useState(email ?? '');
  const [asGift, setAsGift] = useState(gift);
  const [error, setError] = useState<string | null>(null);
  const valid = ADDRESS.test(to.trim());

  async function send() {
    try {
      const address = to.trim();
      await queueReceiptMail(db(), receipt, address, asGift);
      void flushSoon();
      onQueued(address);
      onClose();
    } catch (e) {
      setError(storageErrorMessage(e));
    }
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>E-mail receipt {receipt.receiptNumber}</DialogTitle>
      <DialogContent>
        <TextField
          autoFocus
          fullWidth
          type="email"
          label="E-mail address"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && valid) void send();
          }}
          error={to.length > 0 && !valid}
          helperText={to.length > 0 && !valid ? 'name@example.com' : ' '}
          slotProps={{ htmlInput: { 'data-testid': 'email-address' } }}
          sx={{ mt: 1 }}
        />
        <FormControlLabel control={<Checkbox checked={asGift} onChange={(e) => setAsGift(e.target.checked)} />} label="Gift receipt (no prices)" />
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!valid} onClick={() => void send()} data-testid="email-send">
          Send
        </Button>
      </DialogActions>
    </Dialog>
  );
}
