/**
 * Exact money arithmetic, rounded the way Magento rounds (half away from zero, to cents).
 *
 * Every amount is a `Decimal` from this module's constructor (28 significant digits, like
 * Python's default decimal context), never a binary float. Amounts travel as decimal strings.
 */
import DecimalJs from 'decimal.js';

/** The one Decimal constructor of the app: 28 significant digits, banker's rounding for divisions. */
export const Decimal = DecimalJs.clone({
  precision: 28,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = DecimalJs;

export const ZERO = new Decimal(0);
export const HUNDRED = new Decimal(100);
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal from a decimal string (or an integer); floats and junk are refused. */
export function dec(value: string | number | Decimal): Decimal {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new MoneyError(`amounts must be decimal strings, not ${value}`);
    return new Decimal(value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!DECIMAL_TEXT.test(text)) throw new MoneyError(`not a decimal number: ${JSON.stringify(value)}`);
    return new Decimal(text);
  }
  if (value instanceof DecimalJs && value.isFinite()) return new Decimal(value);
  throw new MoneyError(`not a decimal number: ${String(value)}`);
}

export class MoneyError extends Error {}

/** Round to cents, half away from zero (PHP `round($x, 2)`). */
export function roundMoney(amount: Decimal): Decimal {
  return amount.toDecimalPlaces(2, DecimalJs.ROUND_HALF_UP);
}

/** Round a quantity to the four places Magento stores. */
export function roundQty(qty: Decimal): Decimal {
  return qty.toDecimalPlaces(4, DecimalJs.ROUND_HALF_UP);
}

/** The wire form of an amount: a plain decimal string with two places. */
export function moneyStr(amount: Decimal): string {
  return roundMoney(amount).toFixed(2);
}

/** A quantity as a plain decimal string without trailing zeros ("2", "1.5"). */
export function qtyStr(qty: Decimal): string {
  return roundQty(qty).toFixed();
}

export function sum(amounts: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const amount of amounts) total = total.plus(amount);
  return total;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}

/** Whether a value is a finite decimal made by this module (or decimal.js). */
export function isDecimal(value: unknown): value is Decimal {
  return value instanceof DecimalJs && value.isFinite();
}
