/** A small line chart in plain SVG: a rolling time axis, a 0-based y axis, a legend. */
import { Box, Typography } from '@mui/material';
import { memo } from 'react';
import { type Series, linePath, yScale } from './rolling';

const COLOURS = ['#0d47a1', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#ad1457'];
const W = 480;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

function formatValue(v: number): string {
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(1);
}

interface Props {
  /** Heading and the chart's accessible name. */
  title: string;
  unit?: string;
  series: readonly Series[];
  /** The time span the x axis shows, in ms, ending at `now`. */
  spanMs: number;
  now: number;
  testId?: string;
}

export const LineChart = memo(function LineChart({ title, unit, series, spanMs, now, testId }: Props) {
  const scale = yScale(series);
  const x = (t: number) => PAD.left + ((t - (now - spanMs)) / spanMs) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - scale.min) / (scale.max - scale.min)) * (H - PAD.top - PAD.bottom);
  const latest = series.map((s) => {
    const last = [...s.points].reverse().find((p) => p.v !== null);
    return { name: s.name, value: last?.v ?? null };
  });
  const summary = latest.map((l) => `${l.name} ${l.value === null ? 'none' : formatValue(l.value)}${unit ? ` ${unit}` : ''}`).join(', ');
  return (
    <Box component="figure" sx={{ m: 0, p: 1.5, border: 1, borderColor: 'divider', borderRadius: 1, bgcolor: 'background.paper' }} data-testid={testId}>
      <Typography component="figcaption" variant="subtitle1" sx={{ fontWeight: 600 }}>
        {title}
        {unit ? ` (${unit})` : ''}
      </Typography>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${title}: ${summary || 'no data yet'}`} style={{ display: 'block' }}>
        <title>{`${title}: ${summary || 'no data yet'}`}</title>
        {[0, 0.5, 1].map((f) => {
          const v = scale.min + f * (scale.max - scale.min);
          return (
            <g key={f}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#e0e0e0" />
              <text x={PAD.left - 4} y={y(v) + 4} textAnchor="end" fontSize="11" fill="#555">
                {formatValue(v)}
              </text>
            </g>
          );
        })}
        <text x={PAD.left} y={H - 4} fontSize="11" fill="#555">
          −{Math.round(spanMs / 1000)} s
        </text>
        <text x={W - PAD.right} y={H - 4} fontSize="11" fill="#555" textAnchor="end">
          now
        </text>
        {series.map((s, i) => (
          <path key={s.name} d={linePath(s.points, x, y)} fill="none" stroke={COLOURS[i % COLOURS.length]} strokeWidth={2} strokeDasharray={i >= COLOURS.length ? '4 3' : undefined} />
        ))}
      </svg>
      <Box component="ul" sx={{ listStyle: 'none', m: 0, p: 0, display: 'flex', flexWrap: 'wrap', gap: 1.5 }}>
        {latest.map((l, i) => (
          <Box component="li" key={l.name} sx={{ display: 'flex', alignItems: 'center', gap: 0.5, fontSize: 14 }}>
            <Box component="span" aria-hidden sx={{ width: 12, height: 12, borderRadius: '2px', bgcolor: COLOURS[i % COLOURS.length] }} />
            <span>{l.name}</span>
            <strong data-testid={testId ? `${testId}-${l.name}` : undefined}>{l.value === null ? '–' : formatValue(l.value)}</strong>
          </Box>
        ))}
        {latest.length === 0 && <li>No data yet</li>}
      </Box>
    </Box>
  );
});
