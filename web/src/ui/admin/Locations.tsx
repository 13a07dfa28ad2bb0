/** Locations and their registers. */
import { Box, Chip, Stack, Typography } from '@mui/material';
import { useCallback } from 'react';
import type { AdminApi } from '../../api/admin';
import { LoadState, SimpleTable, useLoad, when } from './common';

export function Locations({ api }: { api: AdminApi }) {
  const state = useLoad(useCallback(() => api.locations(), [api]));
  return (
    <LoadState state={state}>
      {(locations) => (
        <Stack spacing={3}>
          {locations.map((loc) => (
            <Box key={loc.code} data-testid={`location-${loc.code}`}>
              <Typography variant="h6" component="h3">
                {loc.name} ({loc.code})
              </Typography>
              <Typography variant="body2" color="text.secondary">
                Magento source {loc.source_code ?? '–'} · stock {loc.stock_id ?? '–'} · {loc.timezone ?? 'server time'}
              </Typography>
              <SimpleTable
                caption={`Registers at ${loc.name}`}
                head={['Register', 'Name', 'Devices']}
                rows={loc.registers.map((r) => [
                  r.code,
                  r.name,
                  r.devices.length === 0
                    ? 'none'
                    : r.devices.map((d) => (
                        <Box key={d.id}>
                          {d.name ?? d.id} · since {when(d.created_at)} {d.revoked && <Chip size="small" label="revoked" />}
                        </Box>
                      )),
                ])}
              />
            </Box>
          ))}
        </Stack>
      )}
    </LoadState>
  );
}
