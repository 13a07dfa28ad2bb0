/**
 * Counting the drawer at a shift's close: notes and coins by face value, summed exactly, and the
 * manager's close rule (till.domain.cash_count on the server holds the same table and rule).
 */
import { type Decimal, ZERO, dec, moneyStr } from './money';

/** Notes and coins in circulation, largest first; the US dollar coin shares "1.00" with the note. */
export const DENOMINATIONS: Record<string, { notes: string[]; coins: string[] }> = {
  USD: { notes: ['100.00', '50.00', '20.00', '10.00', '5.00', '2.00', '1.00'], coins: ['0.50', '0.25', '0.10', '0.05', '0.01'] },
  EUR: { notes: ['500.00', '200.00', '100.00', '50.00', '20.00', '10.00', '5.00'], coins: ['2.00', '1.00', '0.50', '0.20', '0.10', '0.05', '0.02', '0.01'] },
  GBP: { notes: ['50.00', '20.00', '10.00', '5.00'], coins: ['2.00', '1.00', '0.50', '0.20', '0.10', '0.05', '0.02', '0.01'] },
};

/** More of one note or coin than any drawer holds: a typing slip (the server refuses it too). */
export const MAX_PIECES = 100_000;

/** How many of each face value ("20.00") were counted. */
export type Pieces = Record<string, number>;

/** The counted cash: quantities × face values, exact. */
export function countTotal(pieces: Pieces): Decimal {
  let total = ZERO;
  for (const [face, quantity] of Object.entries(pieces)) total = total.plus(dec(face).times(quantity));
  return dec(moneyStr(total));
}

/** The count as kept and sent: non-zero quantities only. */
export function countWire(pieces: Pieces): Pieces {
  return Object.fromEntries(Object.entries(pieces).filter(([, quantity]) => quantity > 0));
}

/** A typed quantity: a whole number of zero or more, up to what a drawer holds; null when it is not. */
export function parsePieces(text: string): number | null {
  if (text.trim() === '') return 0;
  if (!/^\d{1,6}$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value <= MAX_PIECES ? value : null;
}

/** The manager's rule, as the bootstrap gives it (`shift_close`). */
export interface CloseRule {
  blind_count: boolean;
  /** A difference (either way) above this needs a note; null: never. */
  note_over: string | null;
}

export const NO_RULE: CloseRule = { blind_count: false, note_over: null };

export function needsNote(rule: CloseRule, difference: Decimal): boolean {
  return rule.note_over !== null && difference.abs().gt(dec(rule.note_over));
}

/** "Short", "Over" or "Balanced": the difference in a manager's words. */
export function differenceWord(difference: Decimal): 'Short' | 'Over' | 'Balanced' {
  return difference.isZero() ? 'Balanced' : difference.isNegative() ? 'Short' : 'Over';
}
