/**
 * Stock at the till: receive a transfer or a delivery by scanning (a keyboard-wedge scanner),
 * and count shelves. Online only: each step is one call the server takes once (a retried step
 * answers what it did), so nothing here is queued on the till.
 */
import { Alert, Box, Button, Checkbox, FormControlLabel, List, ListItemButton, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { dec } from '../../domain/money';
import { can, useTill } from '../session';
import { type Count, type Delivery, type Transfer, errorText, useApi } from './api';
import { CountSheet } from './CountSheet';
import { Receive } from './Receive';
import { SendTransfer } from './SendTransfer';

type Open = { kind: 'transfer'; id: number } | { kind: 'delivery'; id: number } | { kind: 'count'; id: number } | { kind: 'send' } | null;

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

