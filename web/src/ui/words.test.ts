/** What the till and back office say in words: the cart % refusal, flags, report money. */
import { describe, expect, it } from 'vitest';
import { dec } from '../domain/money';
import { flagInWords } from './admin/Flags';
import { reportCell } from './admin/Reports';
import { cartPercentProblem } from './sell/CartDiscountField';

describe('cart percent', () => {
  it('refuses a percent over the limit with the reason, and takes one within it', () => {
    expect(cartPercentProblem('12', dec(10))).toBe('12% is over your limit of 10%: ask a manager');
    expect(cartPercentProblem('10', dec(10))).toBeNull();
    expect(cartPercentProblem('1', dec(10))).toBeNull();
    expect(cartPercentProblem('', dec(10))).toBeNull();
    expect(cartPercentProblem('1O', dec(10))).toBe('Type a percent, like 5 or 12.5');
  });
});

describe('flags in words', () => {
  it('says what an oversold sale sold, with no JSON', () => {
    const text = flagInWords('oversold', { stock_id: 2, salable: { 'HOME-SKILLET': '-1.0000' } });
    expect(text).toBe('Sold more than was in stock: HOME-SKILLET (-1 left after the sale). Count or move stock.');
  });
  it('says a totals mismatch as the two totals, in dollars', () => {
    const text = flagInWords('totals_mismatch', { server: { grand_total: '10.5' }, client: { grand_total: '9.99' } });
    expect(text).toBe("The till charged $9.99; the server prices it at $10.50. Check the till's prices and rules are synced.");
  });
  it('says an unknown flag as its fields, never braces', () => {
    expect(flagInWords('something_new', { lines: { A: 1 }, note: 'x' })).toBe('lines: A; note: x');
  });
});

describe('report cells', () => {
  it('shows money columns in dollars and cents, exact, whatever float the server summed', () => {
    expect(reportCell('total', 1805.9499999999998)).toBe('$1,805.95');
    expect(reportCell('total', '-1234567.5')).toBe('-$1,234,567.50');
    expect(reportCell('tax', '0.1')).toBe('$0.10');
    expect(reportCell('sales', 3)).toBe('3');
    expect(reportCell('day', '2026-12-07')).toBe('2026-12-07');
    expect(reportCell('total', null)).toBe('');
  });
});
