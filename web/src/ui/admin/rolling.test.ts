import { describe, expect, it } from 'vitest';
import type { MonitoringSnapshot } from '../../api/admin';
import { keep, linePath, names, niceCeil, seriesBy, yScale } from './rolling';

function snap(queues: Record<string, Partial<MonitoringSnapshot['queues'][string]>>, sales = 0): MonitoringSnapshot {
  const full = Object.fromEntries(
    Object.entries(queues).map(([name, q]) => [
      name,
      { waiting: 0, in_flight: 0, dead: 0, processed: 0, failures: 0, mean_ms_5m: null, mean_ms_total: null, ...q },
    ]),
  );
  return { at: '', transport: 'database', queues: full, outbox: { unsent: 0, oldest_unsent_age_seconds: null }, sales_last_minute: sales, sync: {}, workers: {}, flags: {} };
}

describe('the rolling window', () => {
  it('keeps only the samples within the span, in order', () => {
    let window = keep([], { t: 0, snapshot: snap({}) }, 10_000);
    window = keep(window, { t: 4_000, snapshot: snap({}) }, 10_000);
    window = keep(window, { t: 12_000, snapshot: snap({}) }, 10_000);
    expect(window.map((s) => s.t)).toEqual([4_000, 12_000]);
  });

  it('draws a series per queue, with gaps where a queue was not there yet', () => {
    const window = [
      { t: 0, snapshot: snap({ live: { waiting: 3 } }) },
      { t: 1, snapshot: snap({ live: { waiting: 1 }, 'webhook.1': { waiting: 7 } }) },
    ];
    const keys = names(window, (s) => s.queues);
    expect(keys).toEqual(['live', 'webhook.1']);
    const series = seriesBy(window, keys, (s, k) => s.queues[k]?.waiting);
    expect(series[1].points.map((p) => p.v)).toEqual([null, 7]);
    expect(linePath(series[1].points, (t) => t * 10, (v) => v)).toBe('M10.0,7.0');
    expect(linePath(series[0].points, (t) => t * 10, (v) => v)).toBe('M0.0,3.0L10.0,1.0');
  });

  it('scales the y axis to a readable top and never to an empty range', () => {
    expect(niceCeil(7)).toBe(10);
    expect(niceCeil(0.3)).toBe(0.5);
    expect(niceCeil(120)).toBe(200);
    expect(yScale([{ name: 'a', points: [{ t: 0, v: 0 }] }])).toEqual({ min: 0, max: 1 });
    expect(yScale([{ name: 'a', points: [{ t: 0, v: 42 }, { t: 1, v: null }] }])).toEqual({ min: 0, max: 50 });
  });
});
