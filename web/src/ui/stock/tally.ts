/**
 * What a receiver has scanned against what was expected, per SKU, as the server will record it
 * (src/till/domain/stock_moves.py `receipt`): short, over and damaged, never through a float.
 */
import { Decimal, ZERO, dec } from '../../domain/money';

export type Discrepancy = 'short' | 'over' | 'damaged';

export interface TallyRow {
  sku: string;
  expected: Decimal;
  received: Decimal;
  damaged: Decimal;
  discrepancies: Partial<Record<Discrepancy, Decimal>>;
}

/** A scan adds one unit of a SKU to a tally. */
export function addScan(tally: Record<string, string>, sku: string, quantity = '1'): Record<string, string> {
  return { ...tally, [sku]: dec(tally[sku] ?? '0').plus(dec(quantity)).toString() };
}

export function tallyRows(expected: Record<string, string>, scanned: Record<string, string>, damaged: Record<string, string>): TallyRow[] {
  const skus = [...new Set([...Object.keys(expected), ...Object.keys(scanned), ...Object.keys(damaged)])].sort();
  return skus.map((sku) => {
    const want = dec(expected[sku] ?? '0');
    const good = dec(scanned[sku] ?? '0');
    const broken = dec(damaged[sku] ?? '0');
    const arrived = good.plus(broken);
    const discrepancies: TallyRow['discrepancies'] = {};
    if (arrived.lessThan(want)) discrepancies.short = want.minus(arrived);
    if (arrived.greaterThan(want)) discrepancies.over = arrived.minus(want);
    if (!broken.equals(ZERO)) discrepancies.damaged = broken;
    return { sku, expected: want, received: good, damaged: broken, discrepancies };
  });
}

/** "short 1 · damaged 1", or "" when the line is as expected. */
export function discrepancyText(found: Partial<Record<Discrepancy, Decimal | string>>): string {
  return (['short', 'over', 'damaged'] as const)
    .filter((kind) => found[kind] !== undefined)
    .map((kind) => `${kind} ${dec(found[kind] as Decimal | string).toString()}`)
    .join(' · ');
}

/** The wire's lines ({sku, quantity} with decimal strings) of a tally, leaving out zeros. */
export function wireLines(tally: Record<string, string>): { sku: string; quantity: string }[] {
  return Object.entries(tally)
    .filter(([, quantity]) => dec(quantity).greaterThan(ZERO))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

export { Decimal };
