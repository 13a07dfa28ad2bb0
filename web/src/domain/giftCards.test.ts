import { describe, expect, it } from 'vitest';
import { GENERATED_DIGITS, masked, newCardNumber, offlineAllowance, readCardNumber } from './giftCards';
import { dec } from './money';

describe('gift cards', () => {
  it('reads a typed number without spaces or dashes', () => {
    expect(readCardNumber('6006 4912-3456 7890')).toBe('6006491234567890');
    expect(readCardNumber('1234')).toBeNull();
  });
  it('makes long numbers that do not repeat', () => {
    const made = new Set(Array.from({ length: 500 }, () => newCardNumber()));
    expect(made.size).toBe(500);
    for (const n of made) expect(n).toMatch(new RegExp(`^[1-9]\\d{${GENERATED_DIGITS - 1}}$`));
  });
  it('shows only the last four', () => {
    expect(masked('6006491234567890')).toBe('**** 7890');
  });
  it('lets two offline tills overspend a card by at most the cap', () => {
    const cap = dec('50.00');
    for (const seen of ['0.00', '10.00', '49.99', '60.00', '500.00'].map(dec)) {
      const one = offlineAllowance(seen, dec(0), cap);
      const two = offlineAllowance(seen, dec(0), cap);
      expect(one.plus(two).minus(seen).lte(cap)).toBe(true);
      expect(offlineAllowance(seen, one, cap).isZero()).toBe(true);
    }
  });
});
