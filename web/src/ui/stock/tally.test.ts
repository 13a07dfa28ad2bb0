import { describe, expect, it } from 'vitest';
import { addScan, discrepancyText, tallyRows, wireLines } from './tally';

describe('a receiver’s tally', () => {
  it('records short, over and damaged lines as the server does', () => {
    let scanned: Record<string, string> = {};
    for (const sku of ['BAG', 'BAG', 'MUG', 'CAP']) scanned = addScan(scanned, sku);
    const rows = tallyRows({ BAG: '3', MUG: '1' }, scanned, { MUG: '1' });
    expect(rows.map((r) => [r.sku, discrepancyText(r.discrepancies)])).toEqual([
      ['BAG', 'short 1'],
      ['CAP', 'over 1'],
      ['MUG', 'over 1 · damaged 1'],
    ]);
    expect(wireLines(scanned)).toEqual([
      { sku: 'BAG', quantity: '2' },
      { sku: 'MUG', quantity: '1' },
      { sku: 'CAP', quantity: '1' },
    ]);
  });

  it('adds tenths exactly', () => {
    let scanned: Record<string, string> = {};
    for (let i = 0; i < 3; i++) scanned = addScan(scanned, 'ROPE', '0.1');
    expect(scanned.ROPE).toBe('0.3');
  });
});
