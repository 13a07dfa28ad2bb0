import { describe, expect, it } from 'vitest';
import { countTotal, countWire, differenceWord, needsNote, parsePieces } from './cashCount';
import { dec } from './money';

describe('counting the drawer', () => {
  it('sums quantities × face values to the cent, as the server does', () => {
    // The same count as tests/unit/test_cash_count.py's dollar count.
    expect(countTotal({ '20.00': 3, '5.00': 1, '1.00': 4, '0.25': 3, '0.10': 1, '0.01': 7 }).toFixed(2)).toBe('69.92');
    // 0.1 + 0.2 as binary floats is 0.30000000000000004; the count stays exact.
    expect(countTotal({ '0.10': 1000, '0.20': 2000 }).toFixed(2)).toBe('500.00');
  });

  it('keeps only what was counted', () => {
    expect(countWire({ '20.00': 2, '10.00': 0 })).toEqual({ '20.00': 2 });
  });

  it('takes whole numbers only, up to what a drawer holds', () => {
    expect(parsePieces('')).toBe(0);
    expect(parsePieces('12')).toBe(12);
    expect(parsePieces('1.5')).toBeNull();
    expect(parsePieces('-1')).toBeNull();
    expect(parsePieces('999999')).toBeNull();
  });

  it('asks for a note only over the allowance, either way, and never without a rule', () => {
    const rule = { blind_count: false, note_over: '1.00' };
    expect(needsNote(rule, dec('-1.00'))).toBe(false);
    expect(needsNote(rule, dec('-1.01'))).toBe(true);
    expect(needsNote(rule, dec('2.50'))).toBe(true);
    expect(needsNote({ blind_count: true, note_over: null }, dec('-50'))).toBe(false);
    expect(differenceWord(dec('-2'))).toBe('Short');
    expect(differenceWord(dec('0.00'))).toBe('Balanced');
    expect(differenceWord(dec('0.05'))).toBe('Over');
  });
});
