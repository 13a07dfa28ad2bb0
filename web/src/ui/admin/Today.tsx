/**
 * Today at the manager's shops: sales, transactions, average basket, net of refunds, top items,
 * sales per staff member and per location, summed by the server (GET /api/admin/today) and
 * refreshed every few seconds. Money is the server's exact decimal strings, written in the
 * store's locale and currency (never through a float sum).
 */
import { Alert, Box, LinearProgress, Paper, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { AdminApi } from '../../api/admin';
import { dec, qtyStr } from '../../domain/money';
import { formatMoney } from '../moneyFormat';
import { SimpleTable, useLoad } from './common';

/** How often the page asks again, in milliseconds. */
export const TODAY_REFRESH_MS = 5_000;

/** The locations a manager may pick: theirs (the server lists only those; an admin's are all). */
export function LocationPicker({ api, value, onChange, allLabel, testId }: { api: AdminApi; value: string; onChange: (code: string) => void; allLabel: string; testId: string }) {
  const places = useLoad(useCallback(() => api.locations(), [api]));
  return (
    <TextField
      select
      label="Location"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      sx={{ minWidth: 240 }}
      slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': testId } }}
    >
      <option value="">{allLabel}</option>
      {(places.data ?? []).map((p) => (
        <option key={p.code} value={p.code}>
          {p.name} ({p.code})
        </option>
      ))}
    </TextField>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Paper variant="outlined" sx={{ p: 2, minWidth: 160, flex: '1 1 160px' }}>
      <Typography variant="body2" color="text.secondary" component="h3">
        {label}
      </Typography>
      <Typography variant="h5" component="p" fontWeight={700} data-testid={testId}>
        {value}
      </Typography>
    </Paper>
  );
}

export function Today({ api }: { api: AdminApi }) {
  const [location, setLocation] = useState('');
  const state = useLoad(useCallback(() => api.today(location || undefined), [api, location]));
  const { reload } = state;
  useEffect(() => {
    const timer = setInterval(reload, TODAY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  return (
    <Stack spacing={2}>
      <LocationPicker api={api} value={location} onChange={setLocation} allLabel="All my locations" testId="today-location" />
      {state.error && <Alert severity="error">{state.error}</Alert>}
      {/* Progress only before the first answer: a refresh never moves the figures. */}
      {state.data === null && state.loading && <LinearProgress aria-label="Loading today's figures" />}
      {state.data !== null &&
        ((day) => {
          const money = (amount: string) => formatMoney(amount, day.currency, day.locale);
          const days = [...new Set(day.locations.map((l) => l.business_day))];
          return (
            <Stack spacing={2}>
              <Typography variant="body2" color="text.secondary">
                So far on {days.map((d) => new Date(`${d}T12:00:00`).toLocaleDateString(day.locale, { weekday: 'long', day: 'numeric', month: 'long' })).join(', ') || 'today'} · updated{' '}
                {new Date(day.as_of).toLocaleTimeString(day.locale)}
              </Typography>
              <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5 }} aria-live="polite">
                <Figure label="Sales" value={money(day.sales)} testId="today-sales" />
                <Figure label="Transactions" value={day.transactions.toLocaleString(day.locale)} testId="today-transactions" />
                <Figure label="Average basket" value={money(day.average_basket)} testId="today-average" />
                <Figure label="Net of refunds" value={money(day.net_sales)} testId="today-net" />
              </Box>
              <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', lg: '1fr 1fr' } }}>
                <Box>
                  <Typography variant="h6" component="h2">
                    Top items
                  </Typography>
                  <SimpleTable
                    caption="Top items today"
                    head={['Item', 'Sold', 'Sales']}
                    rows={day.top_items.map((t) => [`${t.name} (${t.sku})`, qtyStr(dec(t.qty)), money(t.sales)])}
                    testId="today-top"
                  />
                </Box>
                <Box>
                  <Typography variant="h6" component="h2">
                    Sales per staff member
                  </Typography>
                  <SimpleTable
                    caption="Sales per staff member today"
                    head={['Staff', 'Transactions', 'Sales']}
                    rows={day.staff.map((s) => [s.name, String(s.transactions), money(s.sales)])}
                    testId="today-staff"
                  />
                </Box>
              </Box>
              <Box>
                <Typography variant="h6" component="h2">
                  By location
                </Typography>
                <SimpleTable
                  caption="Sales by location today"
                  head={['Location', 'Transactions', 'Sales', 'Average basket', 'Refunds', 'Net']}
                  rows={day.locations.map((l) => [l.name, String(l.transactions), money(l.sales), money(l.average_basket), `${money(l.refunds)} (${l.refunds_count})`, money(l.net_sales)])}
                  testId="today-locations"
                />
              </Box>
            </Stack>
          );
        })(state.data)}
    </Stack>
  );
}
