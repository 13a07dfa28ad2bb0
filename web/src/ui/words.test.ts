/** What the till and back office say in words: the cart % refusal, flags, report money. */
import { describe, expect, it } from 'vitest';
import { combinedDiscountPercent, largestLineDiscountPercent } from '../domain/cart';
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
  it('holds a line already discounted and the cart percent to the limit together, as the server does', () => {
    // 8 % more on a line 8 % off takes 15.36 % of it (the server flags it over_limit).
    expect(cartPercentProblem('8', dec(10), dec(8))).toBe('8% more on a line already 8% off takes 15.36% off it, over your limit of 10%: ask a manager');
    expect(cartPercentProblem('5', dec(10), dec(5))).toBeNull(); // 9.75 %
    expect(cartPercentProblem('10', dec(10), dec(0))).toBeNull();
    // A manager's approval of 40 % off a line covers the sale up to her limit of 50 %: 44.8 %.
    expect(cartPercentProblem('8', dec(50), dec(40))).toBeNull();
  });
});

describe('discount limit per line', () => {
  it('counts a line discount and the cart discount together, the cart taking what the line left', () => {
    expect(combinedDiscountPercent(dec(8), dec(8)).toFixed()).toBe('15.36');
    expect(combinedDiscountPercent(dec(10), dec(0)).toFixed()).toBe('10');
    expect(combinedDiscountPercent(dec(0), dec(10)).toFixed()).toBe('10');
  });
  it("finds the largest line discount of the cart, amounts as a share of the line's row", () => {
    const line = (unitPrice: string, qty: string, discount: { kind: 'percent' | 'amount'; value: string } | null) => ({ unitPrice, qty, discount });
    expect(largestLineDiscountPercent([line('10.00', '2', { kind: 'amount', value: '3.00' }), line('4.00', '1', { kind: 'percent', value: '12' }), line('9.00', '1', null)]).toFixed()).toBe('15');
    expect(largestLineDiscountPercent([line('9.00', '1', null)]).toFixed()).toBe('0');
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
