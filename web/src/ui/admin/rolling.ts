/** The monitoring page's memory: a rolling window of snapshots and the series drawn from it. */
import type { MonitoringSnapshot } from '../../api/admin';

export interface Sample {
  /** When the browser received it (ms since the epoch). */
  t: number;
  snapshot: MonitoringSnapshot;
}

export interface Point {
  t: number;
  v: number | null;
}

export interface Series {
  name: string;
  points: Point[];
}

/** Add a sample and drop those older than `spanMs` before it (the window never grows unbounded). */
export function keep(window: readonly Sample[], sample: Sample, spanMs: number): Sample[] {
  const since = sample.t - spanMs;
  return [...window.filter((s) => s.t >= since && s.t < sample.t), sample];
}

/** Every name a picker finds in any sample (queues or registers come and go). */
export function names(window: readonly Sample[], pick: (s: MonitoringSnapshot) => Record<string, unknown>): string[] {
  const found = new Set<string>();
  for (const sample of window) for (const name of Object.keys(pick(sample.snapshot))) found.add(name);
  return [...found].sort();
}

/** One series per name: `value` reads a figure from a snapshot (null where there is none). */
export function seriesBy(
  window: readonly Sample[],
  keys: readonly string[],
  value: (s: MonitoringSnapshot, key: string) => number | null | undefined,
): Series[] {
  return keys.map((name) => ({ name, points: window.map((s) => ({ t: s.t, v: value(s.snapshot, name) ?? null })) }));
}

export interface Scale {
  min: number;
  max: number;
}

/** The y-range over all series: from 0 (or the lowest value) to a rounded-up top, never empty. */
export function yScale(series: readonly Series[]): Scale {
  let min = 0;
  let max = 0;
  for (const s of series) {
    for (const p of s.points) {
      if (p.v === null) continue;
      min = Math.min(min, p.v);
      max = Math.max(max, p.v);
    }
  }
  if (max === min) max = min + 1;
  return { min, max: niceCeil(max) };
}

/** 1, 2, 5 × 10ⁿ at or above the value, so axis labels read well. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** An SVG path through the points; a null value breaks the line. */
export function linePath(points: readonly Point[], x: (t: number) => number, y: (v: number) => number): string {
  let path = '';
  let pen = false;
  for (const p of points) {
    if (p.v === null) {
      pen = false;
      continue;
    }
    path += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    pen = true;
  }
  return path;
}
