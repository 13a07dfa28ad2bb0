/** Live monitoring: polls the server's snapshot every few seconds and charts a rolling window. */
import { Alert, Box, Paper, Stack, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import type { AdminApi, MonitoringSnapshot } from '../../api/admin';
import { errorText } from './common';
import { LineChart } from './LineChart';
import { type Sample, keep, names, seriesBy } from './rolling';

/** How often to ask, and how much history to keep in memory. */
export const POLL_MS = 3_000;
export const SPAN_MS = 5 * 60_000;

function Figure({ label, value, testId }: { label: string; value: string | number; testId: string }) {
  return (
    <Paper variant="outlined" sx={{ p: 1.5, minWidth: 140 }}>
      <Typography variant="body2" color="text.secondary" id={`${testId}-label`}>
        {label}
      </Typography>
      <Typography variant="h4" component="p" data-testid={testId} aria-labelledby={`${testId}-label`}>
        {value}
      </Typography>
    </Paper>
  );
}

export function Monitoring({ api }: { api: AdminApi }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      // A hidden tab asks nothing: the charts resume when the manager looks again.
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(() => void poll(), POLL_MS);
        return;
      }
      try {
        const snapshot = await api.monitoring();
        if (stopped) return;
        setSamples((w) => keep(w, { t: Date.now(), snapshot }, SPAN_MS));
        setError(null);
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api]);

  const latest: MonitoringSnapshot | undefined = samples.at(-1)?.snapshot;
  const now = samples.at(-1)?.t ?? 0;
  // The x axis grows with the history held, from one minute up to the whole window.
  const span = Math.min(SPAN_MS, Math.max(60_000, now - (samples[0]?.t ?? now)));
  const charts = useMemo(() => {
    const queues = names(samples, (s) => s.queues);
    const registers = names(samples, (s) => s.sync);
    const perQueue = (field: 'waiting' | 'in_flight' | 'dead' | 'failures') => seriesBy(samples, queues, (s, q) => s.queues[q]?.[field]);
    const means = queues.flatMap((q) => [
      ...seriesBy(samples, [q], (s) => s.queues[q]?.mean_ms_5m).map((s) => ({ ...s, name: `${q} · 5 min` })),
      ...seriesBy(samples, [q], (s) => s.queues[q]?.mean_ms_total).map((s) => ({ ...s, name: `${q} · total` })),
    ]);
    return {
      waiting: [...seriesBy(samples, ['outbox (unsent)'], (s) => s.outbox.unsent), ...perQueue('waiting')],
      inFlight: perQueue('in_flight'),
      dead: perQueue('dead'),
      failures: perQueue('failures'),
      means,
      sales: seriesBy(samples, ['sales'], (s) => s.sales_last_minute),
      lag: seriesBy(samples, registers, (s, r) => s.sync[r]?.lag_seconds),
    };
  }, [samples]);

  return (
    <Stack spacing={2} data-testid="monitoring">
      <Typography variant="body2" color="text.secondary" aria-live="polite">
        {latest
          ? `Updated ${new Date(now).toLocaleTimeString()} · every ${POLL_MS / 1000} s · ${latest.transport} queue · showing the last ${SPAN_MS / 60_000} minutes`
          : 'Asking the server…'}
      </Typography>
      {error && <Alert severity="warning">Could not refresh: {error}</Alert>}
      {latest && (
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5 }}>
          <Figure label="Sales in the last minute" value={latest.sales_last_minute} testId="sales-per-minute" />
          <Figure label="Outbox unsent" value={latest.outbox.unsent} testId="outbox-unsent" />
          <Figure label="Workers running" value={Object.keys(latest.workers).length} testId="workers" />
          <Figure label="Open flags" value={Object.values(latest.flags).reduce((a, b) => a + b, 0)} testId="open-flags" />
        </Box>
      )}
      {latest && Object.keys(latest.workers).length === 0 && (
        <Alert severity="info">No worker has reported in the last 30 s: messages wait until `till worker` runs.</Alert>
      )}
      <Box sx={{ display: 'grid', gap: 1.5, gridTemplateColumns: { xs: '1fr', md: '1fr 1fr', xl: '1fr 1fr 1fr' } }}>
        <LineChart title="Sales per minute" series={charts.sales} spanMs={span} now={now} testId="chart-sales" />
        <LineChart title="Messages waiting" series={charts.waiting} spanMs={span} now={now} testId="chart-waiting" />
        <LineChart title="In flight" series={charts.inFlight} spanMs={span} now={now} testId="chart-in-flight" />
        <LineChart title="Dead-lettered" series={charts.dead} spanMs={span} now={now} testId="chart-dead" />
        <LineChart title="Processing time, current (5 min) vs total mean" unit="ms" series={charts.means} spanMs={span} now={now} testId="chart-mean" />
        <LineChart title="Failures" series={charts.failures} spanMs={span} now={now} testId="chart-failures" />
        <LineChart title="Sync lag per register" unit="s" series={charts.lag} spanMs={span} now={now} testId="chart-lag" />
      </Box>
    </Stack>
  );
}
