/** Receive a transfer or a delivery by scanning what arrived. */
import { Box, Button, Checkbox, Chip, FormControlLabel, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { productByCode } from '../../data/search';
import { dec } from '../../domain/money';
import { useTill } from '../session';
import { useScanner } from '../sell/useScanner';
import { addScan, discrepancyText, tallyRows, wireLines } from './tally';
import { type Delivery, type Transfer, errorText, useApi } from './api';

/** The server stocks a cashier's units beyond what was sent or announced only for a manager. */
function withHeld(text: string, held: string | null | undefined): string {
  if (!held || dec(held).isZero()) return text;
  return `${text}${text ? '; ' : ''}${dec(held).toString()} held for a manager`;
}

/** Scan what arrived (damaged ones with "Damaged" on), then receive it in one step. */
export function Receive({ what, onClose }: { what: { kind: 'transfer' | 'delivery'; id: number }; onClose: () => void }) {
  const { notify } = useTill();
  const api = useApi();
  const path = `/api/${what.kind === 'transfer' ? 'transfers' : 'deliveries'}/${what.id}`;
  const [header, setHeader] = useState<Transfer | Delivery | null>(null);
  const [scanned, setScanned] = useState<Record<string, string>>({});
  const [damaged, setDamaged] = useState<Record<string, string>>({});
  const [damagedMode, setDamagedMode] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api<Transfer | Delivery>('GET', path).then(setHeader, (error: unknown) => notify(errorText(error), 'error'));
  }, [api, path, notify]);

  const scan = useCallback(
    (code: string) => {
      void productByCode(code).then((product) => {
        if (!product) return notify(`No product with barcode or SKU ${code}`, 'warning');
        if (damagedMode) setDamaged((t) => addScan(t, product.sku));
        else setScanned((t) => addScan(t, product.sku));
      });
    },
    [damagedMode, notify],
  );
  useScanner(scan);

  if (!header) return null;
  const done = header.state === 'received';
  const expected = Object.fromEntries(header.lines.map((l) => [l.sku, l.expected]));
  const rows = done
    ? header.lines.map((l) => ({ sku: l.sku, expected: dec(l.expected), received: dec(l.received ?? '0'), damaged: dec(l.damaged ?? '0'), text: withHeld(discrepancyText(Object.fromEntries(l.discrepancies.map((d) => [d.kind, d.quantity]))), l.held_for_manager) }))
    : tallyRows(expected, scanned, damaged).map((r) => ({ ...r, text: discrepancyText(r.discrepancies) }));

  const receive = async () => {
    setBusy(true);
    try {
      const answer = await api<Transfer | Delivery>('POST', `${path}/receive`, { scanned: wireLines(scanned), damaged: wireLines(damaged) });
      setHeader(answer);
      const found = answer.lines.filter((l) => l.discrepancies.length > 0).length;
      const held = answer.lines.filter((l) => !dec(l.held_for_manager ?? '0').isZero()).length;
      const heldText = held ? ` ${held} line(s) had more than was sent or announced: the extra units wait for a manager.` : '';
      notify(found ? `Received, with ${found} line(s) not as expected: recorded.${heldText}` : 'Received: every line as expected.', found ? 'warning' : 'success');
    } catch (error) {
      notify(errorText(error), 'error');
    } finally {
      setBusy(false);
    }
  };

  const title = 'from_location' in header ? `Transfer ${header.id} from ${header.from_location}` : `Delivery ${header.id}${header.supplier ? ` from ${header.supplier}` : ''}`;
  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }} data-testid="receive-screen">
      <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 1 }}>
        <Typography variant="h6" sx={{ flex: 1 }}>
          {title}
        </Typography>
        {done ? <Chip color="success" label="Received" data-testid="received" /> : <Chip label="Scan what arrived" />}
      </Stack>
      {!done && (
        <FormControlLabel control={<Checkbox checked={damagedMode} onChange={(e) => setDamagedMode(e.target.checked)} data-testid="damaged-mode" />} label="Scans are damaged units (recorded, not stocked)" />
      )}
      <Table size="small" aria-label="Lines">
        <TableHead>
          <TableRow>
            <TableCell>SKU</TableCell>
            <TableCell align="right">Expected</TableCell>
            <TableCell align="right">Scanned</TableCell>
            <TableCell align="right">Damaged</TableCell>
            <TableCell>Not as expected</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.sku} data-testid={`receive-line-${r.sku}`}>
              <TableCell>{r.sku}</TableCell>
              <TableCell align="right">{r.expected.toString()}</TableCell>
              <TableCell align="right" data-testid="scanned">
                {r.received.toString()}
              </TableCell>
              <TableCell align="right">{r.damaged.toString()}</TableCell>
              <TableCell data-testid="discrepancy">{r.text}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
        {!done && (
          <Button variant="contained" disabled={busy || wireLines(scanned).length + wireLines(damaged).length === 0} onClick={() => void receive()} data-testid="receive">
            Receive
          </Button>
        )}
        <Button onClick={onClose}>Back</Button>
      </Stack>
    </Box>
  );
}

