/**
 * The cart as the cashier builds it, priced with the same engine and rules the server uses
 * (src/till/domain/pricing.py; both run spec/vectors/pricing): catalog final price, tax rates at
 * the location, cart rules and coupon, then the cashier's manual cart discount as one more
 * by_percent discount.
 */
import { Decimal, ZERO, dec, min } from './money';
import { type CartRule, type PromotionResult, cartSubtotal, selectDiscounts } from './promotions';
import { type Address, type TaxRate, type TaxRule, applicableRates } from './tax';
import { type CartLine, type CartTotals, type TaxConfig, computeTotals } from './totals';

export const MANUAL_DISCOUNT_LABEL = 'Manual discount';
/** The tax class of a customer who is not signed in (Magento's default for group 0). */
export const DEFAULT_CUSTOMER_CLASS = 'Retail Customer';

export interface PriceInfo {
  price: string;
  special_price: string | null;
  special_from: string | null;
  special_to: string | null;
  tier_prices: { qty: string; price: string; customer_group_id: number | null }[];
}

export interface PricingRules {
  config: TaxConfig;
  rates: TaxRate[];
  rules: TaxRule[];
  cartRules: CartRule[];
  groupClasses: Map<number, string>;
  address: Address;
}

export interface CartItem {
  key: string;
  sku: string;
  qty: Decimal;
  taxClass: string;
  price: PriceInfo;
  lineDiscount: { kind: 'percent' | 'amount'; value: Decimal } | null;
}

export interface PricedCart {
  totals: CartTotals;
  unitPrices: Decimal[];
  promotion: PromotionResult;
}

/** The unit price a customer pays before cart rules: Magento's lowest-price rule. */
export function finalPrice(price: PriceInfo, day: string, groupId: number, qty: Decimal): Decimal {
  let best = dec(price.price);
  const from = price.special_from?.slice(0, 10) ?? null;
  const to = price.special_to?.slice(0, 10) ?? null;
  if (price.special_price !== null && (from === null || from <= day) && (to === null || day <= to)) {
    best = min(best, dec(price.special_price));
  }
  for (const tier of price.tier_prices) {
    if (dec(tier.qty).lte(qty) && (tier.customer_group_id === null || tier.customer_group_id === groupId)) {
      best = min(best, dec(tier.price));
    }
  }
  return best;
}

/** Price a cart: lines keyed 1…n in cart order, as the server keys them. */
export function priceCart(
  items: readonly CartItem[],
  rules: PricingRules,
  options: { groupId: number; day: string; couponCode: string | null; cartDiscountPercent: Decimal | null },
): PricedCart {
  const customerClass = rules.groupClasses.get(options.groupId) ?? DEFAULT_CUSTOMER_CLASS;
  const unitPrices = items.map((item) => finalPrice(item.price, options.day, options.groupId, item.qty));
  const lines: CartLine[] = items.map((item, index) => ({
    key: String(index + 1),
    sku: item.sku,
    qty: item.qty,
    unitPrice: unitPrices[index],
    rates: applicableRates(rules.rules, rules.rates, customerClass, item.taxClass, rules.address),
    storeRates: null,
    lineDiscount: item.lineDiscount,
  }));
  const cart = { lines, discounts: [] };
  const promotion = selectDiscounts(rules.cartRules, {
    couponCode: options.couponCode,
    on: options.day,
    customerGroupId: options.groupId,
    subtotal: lines.length > 0 ? cartSubtotal(cart, rules.config) : ZERO,
    skus: new Set(items.map((item) => item.sku)),
  });
  const discounts = [...promotion.discounts];
  if (options.cartDiscountPercent !== null && options.cartDiscountPercent.gt(0)) {
    discounts.push({ kind: 'by_percent', amount: options.cartDiscountPercent, label: MANUAL_DISCOUNT_LABEL, skus: null, stopFurther: false });
  }
  return { totals: computeTotals({ lines, discounts }, rules.config), unitPrices, promotion };
}

/** The business day ("YYYY-MM-DD") of a moment in a location's time zone. */
export function businessDay(moment: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(moment);
  } catch {
    return moment.toISOString().slice(0, 10);
  }
}

/** The percent a discount takes of its row, to check against the cashier's limit. */
export function discountPercentOfRow(kind: 'percent' | 'amount', value: Decimal, row: Decimal): Decimal {
  if (kind === 'percent') return value;
  if (row.isZero()) return new Decimal(100);
  return min(value.times(100).div(row), new Decimal(100));
}

/**
 * A line's own discount and the cart discount together, as a percent of the row: the cart
 * percent is taken of what the line's discount left, so `line + cart − line × cart / 100`.
 * The cashier's limit holds for this, line by line (the server's `combined_discount_percent`).
 */
export function combinedDiscountPercent(line: Decimal, cart: Decimal): Decimal {
  return line.plus(cart).minus(line.times(cart).div(100));
}

/** The largest discount of any line of its own, as a percent of its row (unit price × quantity). */
export function largestLineDiscountPercent(lines: readonly { qty: string; unitPrice: string; discount: { kind: 'percent' | 'amount'; value: string } | null }[]): Decimal {
  let worst = ZERO;
  for (const line of lines) {
    if (!line.discount) continue;
    const percent = discountPercentOfRow(line.discount.kind, dec(line.discount.value), dec(line.unitPrice).times(dec(line.qty)));
    if (percent.gt(worst)) worst = percent;
  }
  return worst;
}
