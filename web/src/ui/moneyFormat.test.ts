import { describe, expect, it } from 'vitest';
import { formatMoney } from './moneyFormat';

describe('money in the store locale', () => {
  it('groups thousands and keeps the cents of a decimal string exactly', () => {
    expect(formatMoney('1805.95', 'USD', 'en-US')).toBe('$1,805.95');
    expect(formatMoney('-2.00', 'USD', 'en-US')).toBe('-$2.00');
    // Past a double's 15–17 digits the string still formats exactly.
    expect(formatMoney('12345678901234567.89', 'USD', 'en-US')).toBe('$12,345,678,901,234,567.89');
    expect(formatMoney('1805.95', 'EUR', 'de-DE').replace(/\s/g, ' ')).toBe('1.805,95 €');
  });
});
