/**
 * Cart totals (subtotal, discounts, tax, grand total) to the cent, the way Magento 2.4 does.
 * A port of src/till/domain/totals.py, step for step, so the till and the server agree; the
 * shared vectors in spec/vectors/totals prove it. Python keeps the parts in four modules, in this
 * file's order: totals_model.py (types and checks), tax_calculator.py (Calculator),
 * discounts.py (Discounted … applyDiscounts), totals.py (taxItems … computeTotals).
 *
 * 1. a tax pass without discounts gives each line its prices and the price discounts use;
 * 2. POS line discounts, then cart-rule discounts, with Magento's rounding deltas;
 * 3. a tax pass with the discounts, all lines through one calculator (TOTAL carries deltas);
 * 4. grand total = subtotal − discount + tax + discount tax compensation.
 */
import { Decimal, HUNDRED, ZERO, isDecimal, max, min, roundMoney, roundQty, sum } from './money';
import { type AppliedRate, type RateGroup, combinedPercent, groupRates } from './tax';

export type Algorithm = 'UNIT' | 'ROW' | 'TOTAL';
export const ALGORITHMS: readonly string[] = ['UNIT', 'ROW', 'TOTAL'];
/** `tax/calculation/apply_tax_on`: 0 "Custom price if available" (the default), 1 "Original price only". */
export type ApplyTaxOn = 'custom' | 'original';
export const APPLY_TAX_ON: readonly string[] = ['custom', 'original'];
export type DiscountAction = 'by_percent' | 'by_fixed' | 'cart_fixed';
export type LineDiscountKind = 'percent' | 'amount';
export const LINE_DISCOUNT_LABEL = 'Line discount';

const FIRST_DELTA = new Decimal('0.000001');
const SAME_RATE = new Decimal('0.00001');

/** A cart that cannot be totalled as given; `code` is stable, the message says what to fix. */
export class TotalsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TotalsError';
  }
}

function requireDecimal(value: unknown, what: string): Decimal {
  if (!isDecimal(value)) throw new TotalsError('not_a_decimal', `${what} must be a decimal number, got ${String(value)}`);
  return value;
}

export interface TaxConfig {
  algorithm: Algorithm;
  pricesIncludeTax: boolean;
  applyAfterDiscount: boolean;
  discountOnPricesIncludingTax: boolean;
  crossBorderTrade: boolean;
  applyTaxOn: ApplyTaxOn;
}

export const DEFAULT_CONFIG: TaxConfig = {
  algorithm: 'TOTAL',
  pricesIncludeTax: false,
  applyAfterDiscount: true,
  discountOnPricesIncludingTax: false,
  crossBorderTrade: false,
  applyTaxOn: 'custom',
};

export interface LineDiscount {
  kind: LineDiscountKind;
  value: Decimal;
}

export interface CartDiscount {
  kind: DiscountAction;
  amount: Decimal;
  label: string;
  /** null: every line is eligible. */
  skus: ReadonlySet<string> | null;
  stopFurther: boolean;
}

export interface CartLine {
  key: string;
  sku: string;
  qty: Decimal;
  unitPrice: Decimal;
  rates: AppliedRate[];
  /** The rates at the shop's origin; null means the same as `rates`. */
  storeRates: AppliedRate[] | null;
  lineDiscount: LineDiscount | null;
  /** The catalog's price of a line the cashier overrode (Magento's custom price); absent or null otherwise. */
  originalPrice?: Decimal | null;
}

export interface CartInput {
  lines: CartLine[];
  discounts: CartDiscount[];
}

export interface TaxAmount {
  code: string;
  percent: Decimal;
  amount: Decimal;
  rates: string[];
}

export interface DiscountAmount {
  label: string;
  amount: Decimal;
}

export interface LineTotals {
  key: string;
  sku: string;
  qty: Decimal;
  price: Decimal;
  priceInclTax: Decimal;
  rowTotal: Decimal;
  rowTotalInclTax: Decimal;
  discount: Decimal;
  tax: Decimal;
  discountTaxCompensation: Decimal;
  taxPercent: Decimal;
  rowGrandTotal: Decimal;
  taxes: TaxAmount[];
  discounts: DiscountAmount[];
}

export interface CartTotals {
  lines: LineTotals[];
  subtotal: Decimal;
  subtotalInclTax: Decimal;
  discount: Decimal;
  tax: Decimal;
  discountTaxCompensation: Decimal;
  grandTotal: Decimal;
  taxes: TaxAmount[];
  discounts: DiscountAmount[];
}

// --- validation (the Python dataclasses' __post_init__) ------------------------------------------

export function checkConfig(config: TaxConfig): void {
  if (!ALGORITHMS.includes(config.algorithm)) {
    throw new TotalsError('unknown_algorithm', `tax calculation algorithm ${config.algorithm} is not one of UNIT, ROW, TOTAL`);
  }
  if (!APPLY_TAX_ON.includes(config.applyTaxOn)) {
    throw new TotalsError('unknown_apply_tax_on', `apply tax on ${String(config.applyTaxOn)} is not one of custom, original`);
  }
}

export function checkLineDiscount(discount: LineDiscount): void {
  const value = requireDecimal(discount.value, 'a line discount');
  if (discount.kind === 'percent') {
    if (value.lt(0) || value.gt(HUNDRED)) {
      throw new TotalsError('line_discount_percent_range', `a line discount of ${value.toFixed()}% is outside 0–100%`);
    }
  } else if (discount.kind === 'amount') {
    if (!roundMoney(value).eq(value)) {
      throw new TotalsError('line_discount_precision', `a line discount of ${value.toFixed()} has more than two decimals`);
    }
    if (value.lt(0)) throw new TotalsError('negative_line_discount', `a line discount of ${value.toFixed()} is negative`);
  } else {
    throw new TotalsError('unknown_line_discount', `line discount kind ${String(discount.kind)} is not percent or amount`);
  }
}

export function checkCartDiscount(discount: CartDiscount): void {
  const amount = requireDecimal(discount.amount, `discount ${discount.label}`);
  if (!['by_percent', 'by_fixed', 'cart_fixed'].includes(discount.kind)) {
    throw new TotalsError(
      'unknown_discount_action',
      `discount ${discount.label}: action ${String(discount.kind)} is not by_percent, by_fixed or cart_fixed`,
    );
  }
  if (amount.lt(0)) throw new TotalsError('negative_discount', `discount ${discount.label} of ${amount.toFixed()} is negative`);
  if (discount.kind === 'by_percent' && amount.gt(HUNDRED)) {
    throw new TotalsError('discount_percent_range', `discount ${discount.label} of ${amount.toFixed()}% is over 100%`);
  }
}

export function checkLine(line: CartLine): void {
  if (line.lineDiscount !== null) checkLineDiscount(line.lineDiscount);
  if (!line.key) throw new TotalsError('missing_line_key', 'every cart line needs a key');
  const qty = requireDecimal(line.qty, `the quantity of line ${line.key}`);
  const price = requireDecimal(line.unitPrice, `the price of line ${line.key}`);
  if (qty.lte(0)) throw new TotalsError('qty_not_positive', `line ${line.key}: the quantity ${qty.toFixed()} must be more than zero`);
  if (!roundQty(qty).eq(qty)) {
    throw new TotalsError('qty_precision', `line ${line.key}: the quantity ${qty.toFixed()} has more than 4 decimals`);
  }
  if (price.lt(0)) throw new TotalsError('negative_price', `line ${line.key}: the price ${price.toFixed()} is negative`);
  if (line.originalPrice != null) {
    const original = requireDecimal(line.originalPrice, `the original price of line ${line.key}`);
    if (original.lt(0)) {
      throw new TotalsError('negative_price', `line ${line.key}: the original price ${original.toFixed()} is negative`);
    }
  }
  for (const rate of [...line.rates, ...(line.storeRates ?? [])]) {
    const percent = requireDecimal(rate.percent, `tax rate ${rate.code}`);
    if (percent.lt(0)) {
      throw new TotalsError('negative_rate', `line ${line.key}: tax rate ${rate.code} of ${percent.toFixed()}% is negative`);
    }
  }
}

// --- tax calculator --------------------------------------------------------------------------------

interface TaxItem {
  code: string;
  qty: Decimal;
  unitPrice: Decimal;
  groups: RateGroup[];
  rate: Decimal;
  storeRate: Decimal;
  discount: Decimal;
  /** Magento's `price_for_tax_calculation`: the price taxed when it is not the unit price. */
  priceForTax: Decimal | null;
}

interface ItemTax {
  price: Decimal;
  priceInclTax: Decimal;
  rowTotal: Decimal;
  rowTotalInclTax: Decimal;
  rowTax: Decimal;
  discountTaxCompensation: Decimal;
  taxes: TaxAmount[];
}

const taxOf = (amount: Decimal, percent: Decimal) => amount.times(percent).div(HUNDRED);
// p·r/(100+r): Magento's p·(1 − 1/(1+r)), exact whenever it terminates.
const taxIn = (amount: Decimal, percent: Decimal) => amount.times(percent).div(HUNDRED.plus(percent));
const percentKey = (percent: Decimal) => percent.toFixed();
const bucket = (...parts: string[]) => parts.join('\u0001');

/**
 * `AbstractCalculator::getPriceForTaxCalculation`: the price `CommonTaxCollector::mapItem` chose (the
 * original price under "Original price only"), rounded; none or zero means the unit price. Only the
 * tax-exclusive paths read it, as in Magento.
 */
function priceForTax(item: TaxItem, price: Decimal): Decimal {
  return item.priceForTax !== null && !item.priceForTax.isZero() ? roundMoney(item.priceForTax) : price;
}

function groupAmount(group: RateGroup, amount: Decimal): TaxAmount {
  return { code: group.id, percent: group.percent, amount, rates: group.rates.map((rate) => rate.code) };
}

/** One Magento tax calculator and its rounding deltas (they live as long as one pass). */
class Calculator {
  private readonly deltas = new Map<string, Decimal>();

  constructor(private readonly config: TaxConfig) {}

  private deltaRound(amount: Decimal, key: string): Decimal {
    if (amount.isZero()) return ZERO;
    const carried = amount.plus(this.deltas.get(key) ?? FIRST_DELTA);
    const rounded = roundMoney(carried);
    this.deltas.set(key, carried.minus(rounded));
    return rounded;
  }

  private roundAmount(amount: Decimal, rateKey: string, direction: string, kind: string, item: TaxItem): Decimal {
    const scope = this.config.algorithm === 'TOTAL' ? '' : item.code;
    return this.deltaRound(amount, bucket(kind + direction, scope, rateKey));
  }

  calculate(item: TaxItem): ItemTax {
    if (this.config.pricesIncludeTax) {
      return this.config.algorithm === 'UNIT' ? this.unitIncl(item) : this.aggregateIncl(item);
    }
    return this.config.algorithm === 'UNIT' ? this.unitExcl(item) : this.aggregateExcl(item);
  }

  private beforeKind(): string {
    return this.config.applyAfterDiscount ? 'tax_before_discount' : 'regular';
  }

  private unitExcl(item: TaxItem): ItemTax {
    const price = roundMoney(item.unitPrice);
    const taxed = priceForTax(item, price);
    const rowTotal = roundMoney(price.times(item.qty));
    let unitBeforeTotal = ZERO;
    let rowBeforeTotal = ZERO;
    const taxes: TaxAmount[] = [];
    for (const group of item.groups) {
      const unitBefore = this.roundAmount(taxOf(taxed, group.percent), group.id, '', this.beforeKind(), item);
      let unitAfter = unitBefore;
      if (this.config.applyAfterDiscount) {
        const taxable = max(taxed.minus(item.discount.div(item.qty)), ZERO);
        unitAfter = this.roundAmount(taxOf(taxable, group.percent), group.id, '', 'regular', item);
      }
      unitBeforeTotal = unitBeforeTotal.plus(unitBefore);
      rowBeforeTotal = rowBeforeTotal.plus(roundMoney(unitBefore.times(item.qty)));
      taxes.push(groupAmount(group, roundMoney(unitAfter.times(item.qty))));
    }
    return {
      price,
      priceInclTax: price.plus(unitBeforeTotal),
      rowTotal,
      rowTotalInclTax: rowTotal.plus(rowBeforeTotal),
      rowTax: sum(taxes.map((tax) => tax.amount)),
      discountTaxCompensation: ZERO,
      taxes,
    };
  }

  private aggregateExcl(item: TaxItem): ItemTax {
    const price = roundMoney(item.unitPrice);
    const rowTotal = roundMoney(price.times(item.qty));
    const rowTaxed = roundMoney(priceForTax(item, price).times(item.qty));
    let beforeTotal = ZERO;
    const taxes: TaxAmount[] = [];
    for (const group of item.groups) {
      const before = this.roundAmount(taxOf(rowTaxed, group.percent), group.id, '', this.beforeKind(), item);
      let after = before;
      if (this.config.applyAfterDiscount) {
        const taxable = max(rowTaxed.minus(item.discount), ZERO);
        after = this.roundAmount(taxOf(taxable, group.percent), group.id, '', 'regular', item);
      }
      beforeTotal = beforeTotal.plus(before);
      taxes.push(groupAmount(group, after));
    }
    const rowIncl = rowTotal.plus(beforeTotal);
    return {
      price,
      priceInclTax: roundMoney(rowIncl.div(item.qty)),
      rowTotal,
      rowTotalInclTax: rowIncl,
      rowTax: sum(taxes.map((tax) => tax.amount)),
      discountTaxCompensation: ZERO,
      taxes,
    };
  }

  private priceInclTax(item: TaxItem): Decimal {
    let priceIncl = roundMoney(item.unitPrice);
    const same = this.config.crossBorderTrade || item.rate.minus(item.storeRate).abs().lt(SAME_RATE);
    if (!same) {
      const excl = priceIncl.minus(taxIn(priceIncl, item.storeRate));
      priceIncl = roundMoney(excl.plus(taxOf(excl, item.rate)));
    }
    return priceIncl;
  }

  /** Each unit's tax through the item's delta buckets (`UnitBaseCalculator::calculateWithTaxInPrice`). */
  private unitIncl(item: TaxItem): ItemTax {
    const priceIncl = this.priceInclTax(item);
    const key = percentKey(item.rate);
    const unitTax = this.roundAmount(taxIn(priceIncl, item.rate), key, '1', this.beforeKind(), item);
    const rowIncl = roundMoney(priceIncl.times(item.qty));
    const rowTaxBefore = roundMoney(unitTax.times(item.qty));
    let rowTax = rowTaxBefore;
    if (this.config.applyAfterDiscount) {
      const taxable = max(priceIncl.minus(item.discount.div(item.qty)), ZERO);
      const unitAfter = this.roundAmount(taxIn(taxable, item.rate), key, '1', 'regular', item);
      rowTax = roundMoney(unitAfter.times(item.qty));
    }
    return {
      price: priceIncl.minus(unitTax),
      priceInclTax: priceIncl,
      rowTotal: rowIncl.minus(rowTaxBefore),
      rowTotalInclTax: rowIncl,
      rowTax,
      discountTaxCompensation: rowTaxBefore.minus(rowTax),
      taxes: this.splitTaxes(rowTax, item),
    };
  }

  private aggregateIncl(item: TaxItem): ItemTax {
    const priceIncl = this.priceInclTax(item);
    const rowIncl = roundMoney(priceIncl.times(item.qty));
    const key = percentKey(item.rate);
    let rowTax = this.roundAmount(taxIn(rowIncl, item.rate), key, '1', this.beforeKind(), item);
    const rowTotal = rowIncl.minus(rowTax);
    let compensation = ZERO;
    if (this.config.applyAfterDiscount) {
      const taxable = max(rowIncl.minus(item.discount), ZERO);
      const after = this.roundAmount(taxIn(taxable, item.rate), key, '1', 'regular', item);
      compensation = rowTax.minus(after);
      rowTax = after;
    }
    return {
      price: roundMoney(rowTotal.div(item.qty)),
      priceInclTax: priceIncl,
      rowTotal,
      rowTotalInclTax: rowIncl,
      rowTax,
      discountTaxCompensation: compensation,
      taxes: this.splitTaxes(rowTax, item),
    };
  }

  /** A tax-inclusive row tax shared over the groups by percent (Till gives a shortfall to the last). */
  private splitTaxes(rowTax: Decimal, item: TaxItem): TaxAmount[] {
    const taxes: TaxAmount[] = [];
    let applied = ZERO;
    for (const group of item.groups) {
      if (group.percent.isZero()) continue;
      let amount = this.deltaRound(rowTax.div(item.rate).times(group.percent), bucket('applied_tax_amount1', '', group.id));
      if (applied.plus(amount).gt(rowTax)) amount = rowTax.minus(applied);
      applied = applied.plus(amount);
      taxes.push(groupAmount(group, amount));
    }
    if (taxes.length > 0 && applied.lt(rowTax)) {
      const last = taxes[taxes.length - 1];
      taxes[taxes.length - 1] = { ...last, amount: last.amount.plus(rowTax).minus(applied) };
    }
    return taxes;
  }
}

// --- discounts ---------------------------------------------------------------------------------------

class Discounted {
  amount: Decimal = ZERO;
  percent: Decimal = ZERO;
  parts: [string, Decimal][] = [];

  constructor(
    readonly line: CartLine,
    readonly price: Decimal,
    readonly rowTotal: Decimal,
    readonly rowTotalInclTax: Decimal,
  ) {}

  get base(): Decimal {
    return roundMoney(this.line.qty.times(this.price));
  }

  take(label: string, cumulative: Decimal): void {
    if (!cumulative.eq(this.amount)) this.parts.push([label, cumulative.minus(this.amount)]);
    this.amount = cumulative;
  }
}

interface CartFixedState {
  itemsPrice: Decimal;
  itemsCount: number;
  available: Decimal;
}

class DiscountRounder {
  readonly byPercent = new Map<string, Decimal>();
  private readonly cartFixed = new Map<number, Decimal>();

  roundCartFixed(amount: Decimal, rule: number): Decimal {
    if (amount.isZero()) return amount;
    const carried = amount.plus(this.cartFixed.get(rule) ?? FIRST_DELTA);
    const rounded = roundMoney(carried);
    this.cartFixed.set(rule, carried.minus(rounded));
    return rounded;
  }

  resetCartFixed(rule: number): void {
    this.cartFixed.delete(rule);
  }
}

const appliesTo = (discount: CartDiscount, sku: string) => discount.skus === null || discount.skus.has(sku);

function sortByPriority(items: Discounted[], discounts: readonly CartDiscount[]): Discounted[] {
  let remaining = [...items];
  const ordered: Discounted[] = [];
  for (const discount of discounts) {
    ordered.push(...remaining.filter((item) => appliesTo(discount, item.line.sku)));
    remaining = remaining.filter((item) => !appliesTo(discount, item.line.sku));
  }
  return [...ordered, ...remaining];
}

function ruleAmount(
  discount: CartDiscount,
  index: number,
  item: Discounted,
  fixed: Map<number, CartFixedState>,
  rounder: DiscountRounder,
): Decimal {
  const qty = item.line.qty;
  if (discount.kind === 'by_percent') {
    item.percent = min(HUNDRED, item.percent.plus(discount.amount));
    return item.base.minus(item.amount).times(discount.amount).div(HUNDRED);
  }
  if (discount.kind === 'by_fixed') return qty.times(discount.amount);
  const state = fixed.get(index)!;
  if (state.available.lte(0)) return ZERO;
  let amount: Decimal;
  if (state.itemsCount <= 1) {
    amount = min(item.base, state.available);
    rounder.resetCartFixed(index);
  } else {
    if (state.itemsPrice.isZero()) return ZERO;
    const share = rounder.roundCartFixed(discount.amount.times(item.base).div(state.itemsPrice), index);
    amount = min(item.base, share);
    state.itemsCount -= 1;
  }
  amount = roundMoney(amount);
  state.available = state.available.minus(amount);
  if (state.available.lte(0)) rounder.resetCartFixed(index);
  return amount;
}

function applyDiscounts(items: Discounted[], discounts: readonly CartDiscount[], config: TaxConfig): void {
  for (const item of items) {
    const lineDiscount = item.line.lineDiscount;
    if (lineDiscount === null) continue;
    let amount: Decimal;
    if (lineDiscount.kind === 'percent') {
      amount = roundMoney(item.base.times(lineDiscount.value).div(HUNDRED));
    } else {
      amount = roundMoney(lineDiscount.value);
      if (amount.gt(item.base)) {
        throw new TotalsError(
          'line_discount_exceeds_row',
          `line ${item.line.key}: a discount of ${amount.toFixed(2)} is more than the line's ${item.base.toFixed(2)}`,
        );
      }
    }
    item.take(LINE_DISCOUNT_LABEL, amount);
  }

  const fixed = new Map<number, CartFixedState>();
  discounts.forEach((discount, index) => {
    if (discount.kind !== 'cart_fixed') return;
    const eligible = items.filter((item) => appliesTo(discount, item.line.sku));
    fixed.set(index, {
      itemsPrice: sum(eligible.map((item) => item.base)),
      itemsCount: eligible.length,
      available: discount.amount,
    });
  });
  const rounder = new DiscountRounder();
  for (const item of sortByPriority(items, discounts)) {
    for (let index = 0; index < discounts.length; index++) {
      const discount = discounts[index];
      if (!appliesTo(discount, item.line.sku)) continue;
      let amount = ruleAmount(discount, index, item, fixed, rounder);
      if (!item.percent.isZero() && item.rowTotal.gt(0)) {
        const key = percentKey(item.percent);
        amount = amount.plus(rounder.byPercent.get(key) ?? ZERO);
        rounder.byPercent.set(key, amount.minus(roundMoney(amount)));
      }
      if (item.percent.eq(HUNDRED) && item.rowTotalInclTax.minus(amount).lt(0)) amount = item.rowTotalInclTax;
      amount = roundMoney(amount);
      item.take(discount.label, min(item.amount.plus(amount), item.base));
      if (discount.stopFurther) break;
    }
  }

  // Till's own guard: no discount may push a line below zero.
  for (const item of items) {
    const exclRow = !config.pricesIncludeTax && config.applyAfterDiscount;
    const cap = exclRow ? item.rowTotal : item.rowTotalInclTax;
    if (item.amount.gt(cap)) {
      let excess = item.amount.minus(cap);
      while (excess.gt(0) && item.parts.length > 0) {
        const [label, part] = item.parts.pop()!;
        const kept = max(part.minus(excess), ZERO);
        excess = excess.minus(part.minus(kept));
        if (!kept.isZero()) item.parts.push([label, kept]);
      }
      item.amount = cap;
    }
  }
}

// --- totals --------------------------------------------------------------------------------------------

function taxItems(lines: readonly CartLine[], config: TaxConfig, discounts?: Map<string, Decimal>): TaxItem[] {
  return lines.map((line) => {
    const groups = groupRates(line.rates);
    const rate = sum(groups.map((group) => group.percent));
    return {
      code: line.key,
      qty: line.qty,
      unitPrice: line.unitPrice,
      groups,
      rate,
      storeRate: line.storeRates === null ? rate : combinedPercent(line.storeRates),
      discount: discounts === undefined ? ZERO : discounts.get(line.key)!,
      priceForTax: config.applyTaxOn === 'original' ? (line.originalPrice ?? null) : null,
    };
  });
}

function summariseTaxes(perLine: TaxAmount[][]): TaxAmount[] {
  const summary = new Map<string, TaxAmount>();
  for (const taxes of perLine) {
    for (const tax of taxes) {
      const seen = summary.get(tax.code);
      summary.set(tax.code, seen === undefined ? { ...tax } : { ...seen, amount: seen.amount.plus(tax.amount) });
    }
  }
  return [...summary.values()];
}

function summariseDiscounts(items: Discounted[]): DiscountAmount[] {
  const summary = new Map<string, Decimal>();
  for (const item of items) {
    for (const [label, amount] of item.parts) summary.set(label, (summary.get(label) ?? ZERO).plus(amount));
  }
  return [...summary.entries()].map(([label, amount]) => ({ label, amount }));
}

/** Compute a cart's totals to the cent, as Magento 2.4's quote collectors would. */
export function computeTotals(cart: CartInput, config: TaxConfig = DEFAULT_CONFIG): CartTotals {
  for (const line of cart.lines) checkLine(line);
  for (const discount of cart.discounts) checkCartDiscount(discount);
  checkConfig(config);
  const keys = cart.lines.map((line) => line.key);
  const duplicates = [...new Set(keys.filter((key, i) => keys.indexOf(key) !== i))].sort();
  if (duplicates.length > 0) {
    throw new TotalsError('duplicate_line_key', `line keys must be unique: ${duplicates.join(', ')}`);
  }
  const before = new Calculator(config);
  const undiscounted = taxItems(cart.lines, config).map((item) => before.calculate(item));
  const discounted = cart.lines.map((line, i) => {
    const tax = undiscounted[i];
    const price = config.discountOnPricesIncludingTax ? tax.priceInclTax : tax.price;
    return new Discounted(line, price, tax.rowTotal, tax.rowTotalInclTax);
  });
  applyDiscounts(discounted, cart.discounts, config);
  const amounts = new Map(discounted.map((item) => [item.line.key, item.amount] as const));
  const after = new Calculator(config);
  const taxed = taxItems(cart.lines, config, amounts).map((item) => after.calculate(item));
  const lines: LineTotals[] = cart.lines.map((line, i) => {
    const tax = taxed[i];
    const item = discounted[i];
    return {
      key: line.key,
      sku: line.sku,
      qty: line.qty,
      price: tax.price,
      priceInclTax: tax.priceInclTax,
      rowTotal: tax.rowTotal,
      rowTotalInclTax: tax.rowTotalInclTax,
      discount: item.amount,
      tax: tax.rowTax,
      discountTaxCompensation: tax.discountTaxCompensation,
      taxPercent: combinedPercent(line.rates),
      rowGrandTotal: tax.rowTotal.minus(item.amount).plus(tax.rowTax).plus(tax.discountTaxCompensation),
      taxes: tax.taxes,
      discounts: item.parts.map(([label, amount]) => ({ label, amount })),
    };
  });
  const subtotal = sum(lines.map((line) => line.rowTotal));
  const discount = sum(lines.map((line) => line.discount));
  const taxTotal = sum(lines.map((line) => line.tax));
  const compensation = sum(lines.map((line) => line.discountTaxCompensation));
  return {
    lines,
    subtotal,
    subtotalInclTax: sum(lines.map((line) => line.rowTotalInclTax)),
    discount,
    tax: taxTotal,
    discountTaxCompensation: compensation,
    grandTotal: subtotal.minus(discount).plus(taxTotal).plus(compensation),
    taxes: summariseTaxes(lines.map((line) => line.taxes)),
    discounts: summariseDiscounts(discounted),
  };
}
