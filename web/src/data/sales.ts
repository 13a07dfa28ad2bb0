/**
 * What the till writes when the cashier acts: each write is ONE IndexedDB transaction that stores
 * the record (receipt, customer, shift) and its outbox entry together, so the network is never
 * involved and a crash can never keep one without the other.
 */
import type { PushedCustomerIn, SaleIn } from '../api/client';
import { changeDue, refundLine, type RefundedSoFar } from '../domain/refunds';
import { Decimal, ZERO, dec, moneyStr, qtyStr, sum } from '../domain/money';
import type { PricedCart } from '../domain/cart';
import { EMPTY_CART, cartKeyOf, unseenReceiptKeyOf } from './carts';
import { type TillDB, getMeta, setMeta, wordsOf } from './db';
import { masked } from '../domain/giftCards';
import type { ActedBy, CartState, Customer, OutboxEntry, Receipt, ReceiptRefund, TenderMethod } from './types';

/** How the member acting got onto this till: signed in while the server saw it, or by a PIN checked here alone. */
export type SignInWay = 'online' | 'offline_pin';

export interface Who {
  staffId: number;
  staffName: string;
  registerCode: string;
  locationCode: string;
  /** Sent with the sale: the server believes an `online` seller only if it saw them on this till, and flags an `offline_pin` one. */
  signIn?: SignInWay;
}

/** Who did a queued action on the till (a refund, cash, a shift step): the server judges it by this member, not by the session that sends it. */
export interface Actor {
  staffId: number;
  signIn: SignInWay;
}

/** The wire form of an actor, stamped with the till's clock now. */
export function actedBy(actor: Actor | undefined): { acted_by?: ActedBy } {
  return actor ? { acted_by: { staff_id: actor.staffId, sign_in: actor.signIn, at: new Date().toISOString() } } : {};
}

export function newKey(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

function outbox(kind: OutboxEntry['kind'], key: string, registerCode: string, body: OutboxEntry['body']): OutboxEntry {
  return { kind, key, registerCode, body, createdAt: new Date().toISOString(), status: 'pending', attempts: 0 };
}

export function formatReceiptNumber(registerCode: string, n: number, series: string | null = null): string {
  const number = String(n).padStart(6, '0');
  return series ? `${registerCode}-${series}-${number}` : `${registerCode}-${number}`;
}

/**
 * Receipt numbers are the register's code, this till's own series on the register (given by the
 * server when the till was set up, so tills sharing a register never make the same number, even
 * offline) and a counter kept in the same transaction as the sale. A till set up before series
 * existed has none and numbers REGISTER-NUMBER.
 */
async function nextReceiptNumber(database: TillDB, registerCode: string): Promise<string> {
  const key = `receiptSeq:${registerCode}`;
  const n = ((await getMeta<number>(database, key)) ?? 0) + 1;
  await setMeta(database, key, n);
  const series = (await getMeta<string>(database, `receiptSeries:${registerCode}`)) ?? null;
  return formatReceiptNumber(registerCode, n, series);
}

export interface SaleInput {
  who: Who;
  cart: CartState;
  priced: PricedCart;
  names: string[];
  customer: Customer | null;
  payments: { method: TenderMethod; amount: Decimal; cardNumber?: string }[];
}

/** What the gift cards in a cart add to what the customer pays. */
export function giftCardsDue(cart: CartState): Decimal {
  return sum((cart.giftCards ?? []).map((c) => dec(c.amount)));
}

/**
 * Record a paid sale: receipt, outbox entry, the register's cart emptied and the receipt marked
 * unseen, in one transaction; so a crash never leaves a sold cart to be rung up again, and the
 * till reopens on the receipt the cashier never saw. Returns the receipt.
 */
export async function recordSale(database: TillDB, input: SaleInput): Promise<Receipt> {
  const { who, cart, priced, customer } = input;
  const totals = priced.totals;
  // Gift cards sold are paid with the goods, outside the goods' totals.
  const change = changeDue(totals.grandTotal.plus(giftCardsDue(cart)), input.payments);
  const key = newKey('sale');
  const createdAt = new Date().toISOString();
  let receipt!: Receipt;
  await database.transaction('rw', [database.meta, database.receipts, database.outbox], async () => {
    const receiptNumber = await nextReceiptNumber(database, who.registerCode);
    const sale: SaleIn = {
      idempotency_key: key,
      register_code: who.registerCode,
      receipt_number: receiptNumber,
      location_code: who.locationCode,
      staff_id: who.staffId,
      sign_in: who.signIn ?? null,
      created_at: createdAt,
      lines: cart.lines.map((line, i) => ({
        sku: line.sku,
        name: line.name,
        qty: qtyStr(dec(line.qty)),
        unit_price: moneyStr(priced.unitPrices[i]),
        line_discount: line.discount ? { kind: line.discount.kind, value: line.discount.value } : null,
        price_override: false,
      })),
      payments: input.payments.map((p) => ({
        method: p.method,
        amount: moneyStr(p.amount),
        reference: '',
        ...(p.cardNumber ? { card_number: p.cardNumber } : {}),
      })),
      gift_cards: (cart.giftCards ?? []).map((c) => ({ number: c.number, amount: c.amount, kind: c.kind })),
      totals: {
        subtotal: moneyStr(totals.subtotal),
        discount: moneyStr(totals.discount),
        tax: moneyStr(totals.tax),
        grand_total: moneyStr(totals.grandTotal),
      },
      customer_id: customer?.id ?? null,
      customer_key: customer && customer.id === null ? customer.client_key : null,
      coupon_code: priced.promotion.couponCode,
      cart_discount_percent: cart.cartDiscountPercent && dec(cart.cartDiscountPercent).gt(0) ? cart.cartDiscountPercent : null,
      // A manager's approval, with the server's proof when it was taken online (else flagged).
      approved_by: cart.approval?.approvedBy ?? null,
      approval: cart.approval?.proof ?? null,
    };
    receipt = {
      key,
      receiptNumber,
      registerCode: who.registerCode,
      locationCode: who.locationCode,
      staffId: who.staffId,
      staffName: who.staffName,
      customerName: customer ? `${customer.firstname} ${customer.lastname}` : null,
      createdAt,
      lines: totals.lines.map((line, i) => ({
        lineNo: i + 1,
        sku: line.sku,
        name: input.names[i] ?? line.sku,
        qty: qtyStr(line.qty),
        unitPrice: moneyStr(priced.unitPrices[i]),
        rowTotal: moneyStr(line.rowTotal),
        discount: moneyStr(line.discount),
        tax: moneyStr(line.tax),
        discountTaxCompensation: moneyStr(line.discountTaxCompensation),
        rowGrandTotal: moneyStr(line.rowGrandTotal),
        qtyRefunded: '0',
      })),
      payments: input.payments.map((p) => ({ method: p.method, amount: moneyStr(p.amount), ...(p.cardNumber ? { reference: masked(p.cardNumber) } : {}) })),
      giftCards: (cart.giftCards ?? []).map((c) => ({ card: masked(c.number), amount: c.amount, kind: c.kind })),
      subtotal: moneyStr(totals.subtotal),
      discount: moneyStr(totals.discount),
      tax: moneyStr(totals.tax),
      grandTotal: moneyStr(totals.grandTotal),
      change: moneyStr(change),
      couponCode: priced.promotion.couponCode,
      status: 'unsent',
      orderId: null,
      flags: [],
      reason: null,
      refunds: [],
    };
    await database.receipts.add(receipt);
    await database.outbox.add(outbox('sale', key, who.registerCode, sale));
    await setMeta(database, cartKeyOf(who.registerCode), EMPTY_CART);
    await setMeta(database, unseenReceiptKeyOf(who.registerCode), key);
  });
  return receipt;
}

export interface RefundRequest {
  lineNo: number;
  qty: Decimal;
  restock: boolean;
}

/** What each line gave back already (from the receipt's earlier refunds). */
function refundedSoFar(receipt: Receipt, lineNo: number): RefundedSoFar {
  const line = receipt.lines.find((l) => l.lineNo === lineNo)!;
  let soFar: RefundedSoFar = { qty: ZERO, rowTotal: ZERO, discount: ZERO, tax: ZERO, discountTaxCompensation: ZERO };
  for (const refund of receipt.refunds) {
    for (const item of refund.lines.filter((l) => l.lineNo === lineNo)) {
      const step = refundLine(paidLine(line), dec(item.qty), soFar);
      soFar = {
        qty: soFar.qty.plus(step.qty),
        rowTotal: soFar.rowTotal.plus(step.rowTotal),
        discount: soFar.discount.plus(step.discount),
        tax: soFar.tax.plus(step.tax),
        discountTaxCompensation: soFar.discountTaxCompensation.plus(step.discountTaxCompensation),
      };
    }
  }
  return soFar;
}

function paidLine(line: Receipt['lines'][number]) {
  return {
    key: String(line.lineNo),
    sku: line.sku,
    qty: dec(line.qty),
    rowTotal: dec(line.rowTotal),
    discount: dec(line.discount),
    tax: dec(line.tax),
    discountTaxCompensation: dec(line.discountTaxCompensation),
  };
}

/** The amount a refund of these lines gives back (computed as the server will). */
export function refundAmount(receipt: Receipt, requests: RefundRequest[]): Decimal {
  return sum(
    requests.map((request) => {
      const line = receipt.lines.find((l) => l.lineNo === request.lineNo)!;
      return refundLine(paidLine(line), request.qty, refundedSoFar(receipt, request.lineNo)).total;
    }),
  );
}

/**
 * Ask for a receipt e-mail: queued in the outbox (sent by the sync when online, once, by its
 * request key) so a cashier offline loses nothing. `to` null: the sale's customer.
 */
export async function queueReceiptMail(database: TillDB, receipt: Receipt, to: string | null, gift: boolean): Promise<string> {
  const key = newKey('mail');
  await database.outbox.add(outbox('receipt_mail', key, receipt.registerCode, { sale_key: receipt.key, request_key: key, to, gift }));
  return key;
}

/** Record a refund of a sale made on this till: on the receipt and in the outbox, together. */
export async function recordRefund(
  database: TillDB,
  receipt: Receipt,
  requests: RefundRequest[],
  method: 'cash' | 'card' | 'other',
  reason: string,
  actor?: Actor,
): Promise<ReceiptRefund> {
  const key = newKey('refund');
  const amounts = requests.map((request) => {
    const line = receipt.lines.find((l) => l.lineNo === request.lineNo)!;
    return refundLine(paidLine(line), request.qty, refundedSoFar(receipt, request.lineNo)).total;
  });
  const refund: ReceiptRefund = {
    key,
    createdAt: new Date().toISOString(),
    method,
    total: moneyStr(sum(amounts)),
    lines: requests.map((request, i) => ({ lineNo: request.lineNo, qty: qtyStr(request.qty), restock: request.restock, amount: moneyStr(amounts[i]) })),
  };
  await database.transaction('rw', [database.receipts, database.outbox], async () => {
    const current = (await database.receipts.get(receipt.key))!;
    const lines = current.lines.map((line) => {
      const request = requests.find((r) => r.lineNo === line.lineNo);
      return request ? { ...line, qtyRefunded: qtyStr(dec(line.qtyRefunded).plus(request.qty)) } : line;
    });
    await database.receipts.update(receipt.key, { refunds: [...current.refunds, refund], lines });
    await database.outbox.add(
      outbox('refund', key, receipt.registerCode, {
        sale_key: receipt.key,
        idempotency_key: key,
        register_code: receipt.registerCode,
        lines: requests.map((r) => ({ line_no: r.lineNo, qty: qtyStr(r.qty), restock: r.restock })),
        method,
        reason,
        ...actedBy(actor),
      }),
    );
  });
  return refund;
}

/** Create a customer on the till (offline too): stored now, pushed before any sale naming it. */
export async function createCustomer(
  database: TillDB,
  registerCode: string,
  fields: { email: string; firstname: string; lastname: string; phone: string | null; groupId: number },
  actor?: Actor,
): Promise<Customer> {
  const clientKey = newKey('cust');
  const body: PushedCustomerIn = {
    client_key: clientKey,
    email: fields.email,
    firstname: fields.firstname,
    lastname: fields.lastname,
    phone: fields.phone,
    group_id: fields.groupId,
    ...actedBy(actor),
  };
  const customer: Customer = {
    email: body.email,
    firstname: body.firstname,
    lastname: body.lastname,
    key: clientKey,
    id: null,
    client_key: clientKey,
    phone: fields.phone,
    group_id: fields.groupId,
    words: wordsOf(fields.firstname, fields.lastname, fields.email, fields.phone),
  };
  await database.transaction('rw', [database.customers, database.outbox], async () => {
    await database.customers.add(customer);
    await database.outbox.add(outbox('customer', clientKey, registerCode, body));
  });
  return customer;
}

// --- shifts ------------------------------------------------------------------------------------

export interface CashMovement {
  kind: 'in' | 'out';
  amount: string;
  reason: string;
  at: string;
}

export interface Shift {
  registerCode: string;
  openedAt: string;
  openedBy: string;
  openingFloat: string;
  movements: CashMovement[];
}

export interface ShiftReport {
  kind: 'X' | 'Z';
  registerCode: string;
  openedAt: string;
  closedAt: string | null;
  openingFloat: string;
  salesCount: number;
  refundsCount: number;
  grossSales: string;
  refunds: string;
  netSales: string;
  tax: string;
  discounts: string;
  paymentsByMethod: Record<string, string>;
  cashIn: string;
  cashOut: string;
  expectedCash: string;
  countedCash: string | null;
  difference: string | null;
  /** The count by note and coin (face value → how many), when the drawer was counted so. */
  countedByDenomination?: Record<string, number> | null;
  /** Why the count differs from the expected cash, in the closer's words. */
  note?: string;
}

/** How the drawer was counted at the close: by note and coin (optional) and the note. */
export interface CloseCount {
  currency?: string;
  pieces?: Record<string, number> | null;
  note?: string;
}

const shiftKey = (registerCode: string) => `shift:${registerCode}`;

export async function currentShift(database: TillDB, registerCode: string): Promise<Shift | null> {
  return (await getMeta<Shift | null>(database, shiftKey(registerCode))) ?? null;
}

export async function openShift(database: TillDB, registerCode: string, openedBy: string, openingFloat: Decimal, actor?: Actor): Promise<Shift> {
  const shift: Shift = { registerCode, openedAt: new Date().toISOString(), openedBy, openingFloat: moneyStr(openingFloat), movements: [] };
  await database.transaction('rw', [database.meta, database.outbox], async () => {
    await setMeta(database, shiftKey(registerCode), shift);
    await database.outbox.add(outbox('shift_open', newKey('shift'), registerCode, { opening_float: shift.openingFloat, ...actedBy(actor) }));
  });
  return shift;
}

export async function moveCash(database: TillDB, registerCode: string, kind: 'in' | 'out', amount: Decimal, reason: string, actor?: Actor): Promise<void> {
  await database.transaction('rw', [database.meta, database.outbox], async () => {
    const shift = await currentShift(database, registerCode);
    if (!shift) throw new Error('open the shift first');
    const movement: CashMovement = { kind, amount: moneyStr(amount), reason, at: new Date().toISOString() };
    await setMeta(database, shiftKey(registerCode), { ...shift, movements: [...shift.movements, movement] });
    await database.outbox.add(outbox('cash', newKey('cash'), registerCode, { kind, amount: movement.amount, reason, ...actedBy(actor) }));
  });
}

/** The running figures of a shift from this till's own receipts (works offline). */
export async function shiftReport(database: TillDB, shift: Shift, counted: Decimal | null = null): Promise<ShiftReport> {
  const receipts = (await database.receipts.where('createdAt').aboveOrEqual(shift.openedAt).toArray()).filter(
    (r) => r.registerCode === shift.registerCode && r.status !== 'rejected',
  );
  const byMethod = new Map<string, Decimal>();
  let gross = ZERO;
  let tax = ZERO;
  let discounts = ZERO;
  let refunds = ZERO;
  let refundsCount = 0;
  let cashRefunds = ZERO;
  for (const receipt of receipts) {
    gross = gross.plus(dec(receipt.grandTotal));
    tax = tax.plus(dec(receipt.tax));
    discounts = discounts.plus(dec(receipt.discount));
    for (const payment of receipt.payments) byMethod.set(payment.method, (byMethod.get(payment.method) ?? ZERO).plus(dec(payment.amount)));
    byMethod.set('cash', (byMethod.get('cash') ?? ZERO).minus(dec(receipt.change)));
    for (const refund of receipt.refunds) {
      refunds = refunds.plus(dec(refund.total));
      refundsCount++;
      if (refund.method === 'cash') cashRefunds = cashRefunds.plus(dec(refund.total));
    }
  }
  const cashIn = sum(shift.movements.filter((m) => m.kind === 'in').map((m) => dec(m.amount)));
  const cashOut = sum(shift.movements.filter((m) => m.kind === 'out').map((m) => dec(m.amount)));
  const expected = dec(shift.openingFloat).plus(byMethod.get('cash') ?? ZERO).plus(cashIn).minus(cashOut).minus(cashRefunds);
  return {
    kind: counted === null ? 'X' : 'Z',
    registerCode: shift.registerCode,
    openedAt: shift.openedAt,
    closedAt: counted === null ? null : new Date().toISOString(),
    openingFloat: shift.openingFloat,
    salesCount: receipts.length,
    refundsCount,
    grossSales: moneyStr(gross),
    refunds: moneyStr(refunds),
    netSales: moneyStr(gross.minus(refunds)),
    tax: moneyStr(tax),
    discounts: moneyStr(discounts),
    paymentsByMethod: Object.fromEntries([...byMethod.entries()].map(([m, a]) => [m, moneyStr(a)])),
    cashIn: moneyStr(cashIn),
    cashOut: moneyStr(cashOut),
    expectedCash: moneyStr(expected),
    countedCash: counted === null ? null : moneyStr(counted),
    difference: counted === null ? null : moneyStr(counted.minus(expected)),
  };
}

/** Close the shift with the counted cash (and its count by note and coin, and a note): the Z
 * report is kept, the close goes to the outbox (the server checks the count and the note again). */
export async function closeShift(database: TillDB, registerCode: string, counted: Decimal, actor?: Actor, count: CloseCount = {}): Promise<ShiftReport> {
  let report!: ShiftReport;
  await database.transaction('rw', [database.meta, database.outbox, database.receipts], async () => {
    const shift = await currentShift(database, registerCode);
    if (!shift) throw new Error('no open shift');
    const note = (count.note ?? '').trim();
    const pieces = count.pieces && count.currency ? count.pieces : null;
    report = { ...(await shiftReport(database, shift, counted)), countedByDenomination: pieces, note };
    await setMeta(database, shiftKey(registerCode), null);
    await setMeta(database, `lastZ:${registerCode}`, report);
    await setMeta(database, `blindCount:${registerCode}`, null);
    await database.outbox.add(
      outbox('shift_close', newKey('close'), registerCode, {
        counted_cash: moneyStr(counted),
        ...(pieces ? { cash_count: { currency: count.currency, pieces } } : {}),
        ...(note ? { note } : {}),
        ...actedBy(actor),
      }),
    );
  });
  return report;
}

export { Decimal };
