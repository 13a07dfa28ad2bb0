/**
 * Stock at the till: receive a transfer or a delivery by scanning (a keyboard-wedge scanner),
 * and count shelves. Online only: each step is one call the server takes once (a retried step
 * answers what it did), so nothing here is queued on the till.
 */
import { Alert, Box, Button, Checkbox, Chip, FormControlLabel, List, ListItemButton, ListItemText, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, type Schemas, call } from '../../api/client';
import { productByCode } from '../../data/search';
import { dec } from '../../domain/money';
import { can, useTill } from '../session';
import { useScanner } from '../sell/useScanner';
import { addScan, discrepancyText, tallyRows, wireLines } from './tally';

type Transfer = Schemas['TransferOut'];
type Delivery = Schemas['DeliveryOut'];
type Count = Schemas['CountOut'];
type Open = { kind: 'transfer'; id: number } | { kind: 'delivery'; id: number } | { kind: 'count'; id: number } | { kind: 'send' } | null;

const errorText = (error: unknown) => (error instanceof ApiError ? error.detail : 'No answer from the server: stock needs the network.');

function useApi() {
  const { session } = useTill();
  return useCallback(<T,>(method: string, path: string, body?: unknown) => call<T>({ baseUrl: location.origin, token: session.token }, method, path, body), [session.token]);
}

export function StockScreen() {
  const { device, session, notify } = useTill();
  const api = useApi();
  const [open, setOpen] = useState<Open>(null);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [counts, setCounts] = useState<Count[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [skus, setSkus] = useState('');
  const [blind, setBlind] = useState(true);
  const here = device.locationCode;

  const load = useCallback(async () => {
    try {
      const at = `location=${encodeURIComponent(here)}`;
      const [t, d, c] = await Promise.all([
        api<Transfer[]>('GET', `/api/transfers?${at}&state=sent`),
        api<Delivery[]>('GET', `/api/deliveries?${at}&state=expected`),
        api<Count[]>('GET', `/api/stock-counts?${at}&state=counting&state=review`),
      ]);
      setTransfers(t);
      setDeliveries(d);
      setCounts(c);
      setFailed(null);
    } catch (error) {
      setFailed(errorText(error));
    }
  }, [api, here]);
  useEffect(() => {
    if (open === null) void load();
  }, [load, open]);

  const startCount = async () => {
    const named = skus.split(/[\s,]+/).filter(Boolean);
    try {
      const count = await api<Count>('POST', '/api/stock-counts', { location_code: here, kind: named.length ? 'cycle' : 'full', skus: named, blind });
      setSkus('');
      setOpen({ kind: 'count', id: count.id });
    } catch (error) {
      notify(errorText(error), 'error');
    }
  };
  const adHoc = async () => {
    try {
      const delivery = await api<Delivery>('POST', '/api/deliveries', { location_code: here });
      setOpen({ kind: 'delivery', id: delivery.id });
    } catch (error) {
      notify(errorText(error), 'error');
    }
  };

  if (open?.kind === 'transfer' || open?.kind === 'delivery') return <Receive what={open} onClose={() => setOpen(null)} />;
  if (open?.kind === 'count') return <CountSheet id={open.id} onClose={() => setOpen(null)} />;
  if (open?.kind === 'send') return <SendTransfer onClose={() => setOpen(null)} />;
  const arriving = transfers.filter((t) => t.to_location === here);
  const leaving = transfers.filter((t) => t.from_location === here);
  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }} data-testid="stock-screen">
      {failed && <Alert severity="warning">{failed}</Alert>}
      <Typography variant="h6">Arriving here</Typography>
      <List>
        {arriving.map((t) => (
          <ListItemButton key={`t${t.id}`} onClick={() => setOpen({ kind: 'transfer', id: t.id })} data-testid="arriving-transfer">
            <ListItemText primary={`Transfer ${t.id} from ${t.from_location}`} secondary={`${t.lines.length} SKUs · in transit since ${t.sent_at ? new Date(t.sent_at).toLocaleString() : ''}`} />
          </ListItemButton>
        ))}
        {deliveries.map((d) => (
          <ListItemButton key={`d${d.id}`} onClick={() => setOpen({ kind: 'delivery', id: d.id })} data-testid="expected-delivery">
            <ListItemText primary={`Delivery ${d.id}${d.supplier ? ` from ${d.supplier}` : ''}${d.reference ? ` (${d.reference})` : ''}`} secondary={`${d.lines.length} SKUs expected`} />
          </ListItemButton>
        ))}
        {arriving.length + deliveries.length === 0 && <Typography color="text.secondary">Nothing on its way here.</Typography>}
      </List>
      {can(session, 'stock_receive') && (
        <Button variant="outlined" onClick={() => void adHoc()} data-testid="ad-hoc-delivery">
          Receive a delivery that was not announced
        </Button>
      )}
      {can(session, 'stock_adjust') && (
        <Button variant="outlined" sx={{ ml: 1 }} onClick={() => setOpen({ kind: 'send' })} data-testid="send-transfer">
          Send stock to another shop
        </Button>
      )}
      {leaving.length > 0 && (
        <>
          <Typography variant="h6" sx={{ mt: 2 }}>
            Sent from here, in transit
          </Typography>
          {leaving.map((t) => (
            <Typography key={t.id}>
              Transfer {t.id} to {t.to_location}: {t.lines.map((l) => `${dec(l.expected).toString()} × ${l.sku}`).join(', ')}
            </Typography>
          ))}
        </>
      )}
      <Typography variant="h6" sx={{ mt: 2 }}>
        Stock counts
      </Typography>
      <List>
        {counts.map((c) => (
          <ListItemButton key={c.id} onClick={() => setOpen({ kind: 'count', id: c.id })} data-testid="stock-count">
            <ListItemText primary={`Count ${c.id} · ${c.kind === 'full' ? 'full' : `cycle of ${c.lines.length} SKUs`}${c.blind ? ' · blind' : ''}`} secondary={c.state === 'review' ? 'waiting for a manager' : 'counting'} />
          </ListItemButton>
        ))}
      </List>
      {can(session, 'stock_count') && (
        <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1} alignItems={{ sm: 'center' }}>
          <TextField label="SKUs to count (none: a full count)" value={skus} onChange={(e) => setSkus(e.target.value)} size="small" sx={{ flex: 1 }} slotProps={{ htmlInput: { 'data-testid': 'count-skus' } }} />
          <FormControlLabel control={<Checkbox checked={blind} onChange={(e) => setBlind(e.target.checked)} />} label="Blind" />
          <Button variant="contained" onClick={() => void startCount()} data-testid="start-count">
            Start count
          </Button>
        </Stack>
      )}
    </Box>
  );
}

/** A manager scans what leaves for another shop; sending takes it off this shop's source. */
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
      <TextField select label="To" value={to} onChange={(e) => setTo(e.target.value)} disabled={!!sent} size="small" sx={{ my: 1, minWidth: 240 }} slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'send-to' } }}>
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

/** Scan what arrived (damaged ones with "Damaged" on), then receive it in one step. */
function Receive({ what, onClose }: { what: { kind: 'transfer' | 'delivery'; id: number }; onClose: () => void }) {
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
    ? header.lines.map((l) => ({ sku: l.sku, expected: dec(l.expected), received: dec(l.received ?? '0'), damaged: dec(l.damaged ?? '0'), text: discrepancyText(Object.fromEntries(l.discrepancies.map((d) => [d.kind, d.quantity]))) }))
    : tallyRows(expected, scanned, damaged).map((r) => ({ ...r, text: discrepancyText(r.discrepancies) }));

  const receive = async () => {
    setBusy(true);
    try {
      const answer = await api<Transfer | Delivery>('POST', `${path}/receive`, { scanned: wireLines(scanned), damaged: wireLines(damaged) });
      setHeader(answer);
      const found = answer.lines.filter((l) => l.discrepancies.length > 0).length;
      notify(found ? `Received, with ${found} line(s) not as expected: recorded.` : 'Received: every line as expected.', found ? 'warning' : 'success');
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

/** Count by scanning: each scan adds one to the SKU's count on the server (a set, so a retry
 * changes nothing). Blind: the counter sees only what they counted; a manager reviews. */
function CountSheet({ id, onClose }: { id: number; onClose: () => void }) {
  const { session, notify } = useTill();
  const api = useApi();
  const [count, setCount] = useState<Count | null>(null);
  const path = `/api/stock-counts/${id}`;

  useEffect(() => {
    void api<Count>('GET', path).then(setCount, (error: unknown) => notify(errorText(error), 'error'));
  }, [api, path, notify]);

  const step = useCallback(
    async (method: string, to: string, body?: unknown) => {
      try {
        setCount(await api<Count>(method, to, body));
        return true;
      } catch (error) {
        notify(errorText(error), 'error');
        return false;
      }
    },
    [api, notify],
  );

  const scan = useCallback(
    (code: string) => {
      if (count?.state !== 'counting') return;
      void productByCode(code).then((product) => {
        if (!product) return notify(`No product with barcode or SKU ${code}`, 'warning');
        const now = count.lines.find((l) => l.sku === product.sku)?.counted ?? '0';
        void step('PUT', `${path}/lines/${encodeURIComponent(product.sku)}`, { counted: dec(now).plus(1).toString() });
      });
    },
    [count, path, step, notify],
  );
  useScanner(scan);

  if (!count) return null;
  const shown = count.lines.some((l) => l.expected !== null && l.expected !== undefined);
  const approver = can(session, 'stock_adjust');
  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }} data-testid="count-screen">
      <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 1 }}>
        <Typography variant="h6" sx={{ flex: 1 }}>
          Count {count.id} · {count.kind}
          {count.blind ? ' · blind' : ''}
        </Typography>
        <Chip label={count.state} data-testid="count-state" />
      </Stack>
      {count.state === 'counting' && <Alert severity="info">Scan each unit on the shelf. Sales go on: what is sold before you scan a SKU is taken into account.</Alert>}
      <Table size="small" aria-label="Counted">
        <TableHead>
          <TableRow>
            <TableCell>SKU</TableCell>
            <TableCell align="right">Counted</TableCell>
            {shown && <TableCell align="right">Expected</TableCell>}
            {shown && <TableCell align="right">Variance</TableCell>}
          </TableRow>
        </TableHead>
        <TableBody>
          {count.lines.map((l) => (
            <TableRow key={l.sku} data-testid={`count-line-${l.sku}`}>
              <TableCell>{l.sku}</TableCell>
              <TableCell align="right" data-testid="counted">
                {l.counted === null ? '—' : dec(l.counted).toString()}
              </TableCell>
              {shown && (
                <TableCell align="right" data-testid="expected">
                  {l.expected === null || l.expected === undefined ? '' : dec(l.expected).toString()}
                </TableCell>
              )}
              {shown && (
                <TableCell align="right" data-testid="variance">
                  {l.variance === null || l.variance === undefined ? '' : dec(l.variance).toString()}
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
        {count.state === 'counting' && (
          <Button variant="contained" onClick={() => void step('POST', `${path}/submit`)} data-testid="submit-count">
            Counting done
          </Button>
        )}
        {count.state === 'review' && approver && (
          <Button variant="contained" color="warning" onClick={() => void step('POST', `${path}/approve`).then((ok) => ok && notify('Count approved: the stock is adjusted.', 'success'))} data-testid="approve-count">
            Approve variance
          </Button>
        )}
        {count.state === 'review' && !approver && <Typography color="text.secondary">Waiting for a manager to review and approve.</Typography>}
        <Button onClick={onClose}>Back</Button>
      </Stack>
    </Box>
  );
}
