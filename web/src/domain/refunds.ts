/**
 * Refund (credit memo) shares and the change due on a cash sale; a port of
 * src/till/domain/refunds.py. All refunds of a line add up to what it was paid.
 */
import { type Decimal, ZERO, isDecimal, roundMoney, roundQty } from './money';

export const CASH = 'cash';

export class RefundError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class TenderError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PaidLine {
  key: string;
  sku: string;
  qty: Decimal;
  rowTotal: Decimal;
  discount: Decimal;
  tax: Decimal;
  discountTaxCompensation: Decimal;
}

export interface RefundedSoFar {
  qty: Decimal;
  rowTotal: Decimal;
  discount: Decimal;
  tax: Decimal;
  discountTaxCompensation: Decimal;
}

export interface LineRefund extends RefundedSoFar {
  key: string;
  sku: string;
  total: Decimal;
  isLast: boolean;
}

export const NOTHING_REFUNDED: RefundedSoFar = { qty: ZERO, rowTotal: ZERO, discount: ZERO, tax: ZERO, discountTaxCompensation: ZERO };

export function plusRefund(soFar: RefundedSoFar, refund: LineRefund): RefundedSoFar {
  return {
    qty: soFar.qty.plus(refund.qty),
    rowTotal: soFar.rowTotal.plus(refund.rowTotal),
    discount: soFar.discount.plus(refund.discount),
    tax: soFar.tax.plus(refund.tax),
    discountTaxCompensation: soFar.discountTaxCompensation.plus(refund.discountTaxCompensation),
  };
}

function share(paid: Decimal, refunded: Decimal, name: string, qty: Decimal, left: Decimal): Decimal {
  const remaining = paid.minus(refunded);
  // Discount tax compensation can be a negative cent (a rounding delta): "more than paid" means
  // past zero on the paid amount's side, whichever sign it has (as refunds.py).
  if ((remaining.lt(0) && paid.gte(0)) || (paid.lt(0) && remaining.gt(0))) {
    throw new RefundError('refunded_more_than_paid', `${name}: more was given back than paid`);
  }
  if (qty.eq(left)) return remaining;
  return roundMoney(remaining.times(qty).div(left));
}

/** Refund `qty` units of a line, given what earlier refunds of it gave back. */
export function refundLine(line: PaidLine, qty: Decimal, already: RefundedSoFar = NOTHING_REFUNDED): LineRefund {
  if (!isDecimal(qty) || qty.lte(0)) throw new RefundError('qty_not_positive', `line ${line.key}: refund a quantity above zero`);
  if (!roundQty(qty).eq(qty)) throw new RefundError('qty_precision', `line ${line.key}: ${qty.toFixed()} has more than 4 decimals`);
  const left = line.qty.minus(already.qty);
  if (left.lte(0)) throw new RefundError('fully_refunded', `line ${line.key} is already fully refunded`);
  if (qty.gt(left)) {
    throw new RefundError(
      'qty_exceeds_remaining',
      `line ${line.key}: ${qty.toFixed()} cannot be refunded, only ${left.toFixed()} of ${line.qty.toFixed()} are left`,
    );
  }
  const rowTotal = share(line.rowTotal, already.rowTotal, 'row total', qty, left);
  const discount = share(line.discount, already.discount, 'discount', qty, left);
  const tax = share(line.tax, already.tax, 'tax', qty, left);
  const compensation = share(line.discountTaxCompensation, already.discountTaxCompensation, 'discount tax compensation', qty, left);
  return {
    key: line.key,
    sku: line.sku,
    qty,
    rowTotal,
    discount,
    tax,
    discountTaxCompensation: compensation,
    total: rowTotal.minus(discount).plus(tax).plus(compensation),
    isLast: qty.eq(left),
  };
}

export interface Tender {
  method: string;
  amount: Decimal;
}

function cents(amount: unknown, what: string): Decimal {
  if (!isDecimal(amount)) throw new TenderError('not_a_decimal', `${what} must be a decimal number`);
  if (!roundMoney(amount).eq(amount)) throw new TenderError('sub_cent_amount', `${what} of ${amount.toFixed()} has more than two decimals`);
  return amount;
}

/** The change to hand back; only cash may exceed what is due. */
export function changeDue(grandTotal: Decimal, payments: readonly Tender[]): Decimal {
  const total = cents(grandTotal, 'the total');
  if (total.lt(0)) throw new TenderError('negative_total', `a total of ${total.toFixed(2)} cannot be paid`);
  let tendered = ZERO;
  let nonCash = ZERO;
  for (const payment of payments) {
    const amount = cents(payment.amount, `a ${payment.method} payment`);
    if (amount.lte(0)) throw new TenderError('payment_not_positive', `a ${payment.method} payment of ${amount.toFixed(2)} must be above zero`);
    tendered = tendered.plus(amount);
    if (payment.method !== CASH) nonCash = nonCash.plus(amount);
  }
  if (tendered.lt(total)) {
    throw new TenderError('underpaid', `payments of ${tendered.toFixed(2)} do not cover the total of ${total.toFixed(2)}: ${total.minus(tendered).toFixed(2)} is still due`);
  }
  if (nonCash.gt(total)) {
    throw new TenderError('non_cash_exceeds_total', `non-cash payments of ${nonCash.toFixed(2)} are more than the total of ${total.toFixed(2)}; only cash can be more than what is due`);
  }
  return tendered.minus(total);
}
