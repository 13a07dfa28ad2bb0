/** A manager sends stock to another shop by scanning what leaves. */
import { Box, Button, Stack, Table, TableBody, TableCell, TableRow, TextField, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import { productByCode } from '../../data/search';
import { useTill } from '../session';
import { useScanner } from '../sell/useScanner';
import { addScan, wireLines } from './tally';
import { type Transfer, errorText, useApi } from './api';

export /** A manager scans what leaves for another shop; sending takes it off this shop's source. */
function SendTransfer({ onClose }: { onClose: () => void }) {
  const { device, boot, notify } = useTill();
  const api = useApi();
  const others = (boot?.locations ?? []).filter((l) => l.code !== device.locationCode);
  const [to, setTo] = useState(others[0]?.code ?? '');
  const [lines, setLines] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<Transfer | null>(null);
  const [busy, setBusy] = useState(false);

  const scan = useCallback(
    (code: string) => {
      if (sent) return;
      void productByCode(code).then((product) => {
        if (!product) return notify(`No product with barcode or SKU ${code}`, 'warning');
        setLines((t) => addScan(t, product.sku));
      });
    },
    [sent, notify],
  );
  useScanner(scan);

  const send = async () => {
    setBusy(true);
    try {
      const draft = await api<Transfer>('POST', '/api/transfers', { from_location: device.locationCode, to_location: to, lines: wireLines(lines) });
      setSent(await api<Transfer>('POST', `/api/transfers/${draft.id}/send`));
      notify(`Transfer ${draft.id} is on its way to ${to}.`, 'success');
    } catch (error) {
      notify(errorText(error), 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }} data-testid="send-screen">
      <Typography variant="h6">{sent ? `Transfer ${sent.id}: in transit to ${sent.to_location}` : 'Send stock to another shop: scan what leaves'}</Typography>
      <TextField select label="To" value={to} onChange={(e) => {
          setTo(e.target.value);
          // Out of the list: a scan typed into a focused select would pick another shop by type-ahead.
          (e.target as HTMLElement).blur();
        }} disabled={!!sent} size="small" sx={{ my: 1, minWidth: 240 }} slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'send-to' } }}>
        {others.map((l) => (
          <option key={l.code} value={l.code}>
            {l.name}
          </option>
        ))}
      </TextField>
      <Table size="small" aria-label="Leaving">
        <TableBody>
          {Object.entries(lines).map(([sku, quantity]) => (
            <TableRow key={sku} data-testid={`send-line-${sku}`}>
              <TableCell>{sku}</TableCell>
              <TableCell align="right">{quantity}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
        {!sent && (
          <Button variant="contained" disabled={busy || !to || wireLines(lines).length === 0} onClick={() => void send()} data-testid="send">
            Send
          </Button>
        )}
        <Button onClick={onClose}>Back</Button>
      </Stack>
    </Box>
  );
}

