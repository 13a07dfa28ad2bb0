/** Flags on sales (oversold, totals mismatch, price differs, till clock off), by kind. */
import { Box, Chip, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import type { AdminApi } from '../../api/admin';
import { LoadState, SimpleTable, useLoad, when } from './common';

const FLAG_KINDS = [
  ['', 'All flags'],
  ['oversold', 'Oversold'],
  ['totals_mismatch', 'Totals mismatch'],
  ['price_differs', 'Price differs'],
  ['clock_skew', 'Till clock off'],
] as const;

export function Flags({ api }: { api: AdminApi }) {
  const [kind, setKind] = useState('');
  const state = useLoad(useCallback(() => api.flags(kind || undefined), [api, kind]));
  return (
    <Stack spacing={2}>
      <TextField select label="Show" value={kind} onChange={(e) => setKind(e.target.value)} sx={{ maxWidth: 280 }} slotProps={{ select: { native: true } }}>
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
              <Box key="d" component="code" sx={{ fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(f.detail)}</Box>,
              when(f.created_at),
            ])}
            testId="flags-table"
          />
        )}
      </LoadState>
    </Stack>
  );
}
