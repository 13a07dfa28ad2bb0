/** Flags on sales (oversold, totals mismatch, price differs, till clock off), by kind, in words. */
import { Chip, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import type { AdminApi } from '../../api/admin';
import { dec, qtyStr } from '../../domain/money';
import { LoadState, SimpleTable, useLoad, when } from './common';

const FLAG_KINDS = [
  ['', 'All flags'],
  ['oversold', 'Oversold'],
  ['totals_mismatch', 'Totals mismatch'],
  ['price_differs', 'Price differs'],
  ['clock_skew', 'Till clock off'],
] as const;

type Detail = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
const money = (value: unknown) => (str(value) ? `$${dec(str(value)).toFixed(2)}` : '–');
const skus = (value: unknown) => Object.keys(value ?? {}).join(', ');

/** What a flag's detail says, as a sentence a manager reads (never the raw JSON). */
export function flagInWords(flag: string, detail: Detail): string {
  switch (flag) {
    case 'oversold': {
      const short = Object.entries((detail.salable ?? {}) as Detail).map(([sku, left]) => `${sku} (${str(left) ? qtyStr(dec(str(left))) : '?'} left after the sale)`);
      return `Sold more than was in stock: ${short.join(', ')}. Count or move stock.`;
    }
    case 'totals_mismatch': {
      const server = (detail.server ?? {}) as Detail;
      const client = (detail.client ?? {}) as Detail;
      return `The till charged ${money(client.grand_total)}; the server prices it at ${money(server.grand_total)}. Check the till's prices and rules are synced.`;
    }
    case 'price_differs':
      return `Sold at a price other than the catalog's for ${skus(detail.lines)}. The till may not have had the newest prices.`;
    case 'price_override':
      return `A price typed at the till for ${skus(detail.lines)}${detail.allowed === false ? ', by someone not allowed to' : ''}.`;
    case 'over_limit':
      return `${str(detail.percent)}% off, over the seller's limit of ${str(detail.limit)}%.`;
    case 'clock_skew': {
      const seconds = Number(detail.moved_by_seconds ?? 0);
      return `The till's clock was ${Math.abs(Math.round(seconds / 60))} minute(s) ${seconds > 0 ? 'behind' : 'ahead'}; the sale is dated by the server.`;
    }
  }
  return Object.entries(detail)
    .map(([key, value]) => `${key.replaceAll('_', ' ')}: ${typeof value === 'object' && value !== null ? Object.keys(value).join(', ') : str(value)}`)
    .join('; ');
}

export function Flags({ api }: { api: AdminApi }) {
  const [kind, setKind] = useState('');
  const state = useLoad(useCallback(() => api.flags(kind || undefined), [api, kind]));
  return (
    <Stack spacing={2}>
      <TextField
        select
        label="Show"
        value={kind}
        onChange={(e) => setKind(e.target.value)}
        sx={{ maxWidth: 280 }}
        slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'flag-kind' } }}
      >
        {FLAG_KINDS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </TextField>
      <Typography variant="body2" color="text.secondary">
        Sales the server accepted but flagged while syncing, at your locations.
      </Typography>
      <LoadState state={state}>
        {(flags) => (
          <SimpleTable
            caption="Flagged sales"
            head={['Receipt', 'Location', 'Flag', 'Detail', 'When']}
            rows={flags.map((f) => [
              f.receipt_number,
              f.location_code,
              <Chip key="f" label={f.flag.replaceAll('_', ' ')} color={f.flag === 'oversold' || f.flag === 'totals_mismatch' ? 'warning' : 'default'} />,
              flagInWords(f.flag, f.detail as Detail),
              when(f.created_at),
            ])}
            testId="flags-table"
          />
        )}
      </LoadState>
    </Stack>
  );
}
