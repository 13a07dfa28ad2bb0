/**
 * Simple cart price rules and coupon codes (Magento "Cart Price Rules"); a port of
 * src/till/domain/promotions.py. Rules are selected here; the amounts come from `computeTotals`.
 */
import { type Decimal, ZERO } from './money';
import { type CartDiscount, type CartInput, type DiscountAction, type TaxConfig, DEFAULT_CONFIG, computeTotals } from './totals';

export type RejectionReason =
  | 'unknown'
  | 'inactive'
  | 'not_yet_valid'
  | 'expired'
  | 'customer_group'
  | 'minimum_subtotal'
  | 'no_matching_items'
  | 'overridden';

export interface CartRule {
  ruleId: string;
  name: string;
  action: DiscountAction;
  amount: Decimal;
  customerGroupIds: number[];
  couponCode: string | null;
  label: string;
  active: boolean;
  /** "YYYY-MM-DD", both days included; null is open. */
  fromDate: string | null;
  toDate: string | null;
  minSubtotal: Decimal | null;
  skus: string[] | null;
  sortOrder: number;
  stopFurtherRules: boolean;
}

export interface CouponRejection {
  coupon: string;
  reason: RejectionReason;
  message: string;
}

export interface PromotionResult {
  discounts: CartDiscount[];
  ruleIds: string[];
  couponCode: string | null;
  couponRejection: CouponRejection | null;
}

export class PromotionError extends Error {}

const normalise = (code: string) => code.trim().toLowerCase();

/** This rule's action as the totals engine takes it. */
export function ruleDiscount(rule: CartRule): CartDiscount {
  return {
    kind: rule.action,
    amount: rule.amount,
    label: rule.label || rule.couponCode || rule.name,
    skus: rule.skus === null ? null : new Set(rule.skus),
    stopFurther: rule.stopFurtherRules,
  };
}

function failure(
  rule: CartRule,
  on: string,
  groupId: number,
  subtotal: Decimal,
  skus: ReadonlySet<string>,
): [RejectionReason, string] | null {
  if (!rule.active) return ['inactive', 'is not active'];
  if (rule.fromDate !== null && on < rule.fromDate) return ['not_yet_valid', `is valid from ${rule.fromDate}`];
  if (rule.toDate !== null && on > rule.toDate) return ['expired', `expired on ${rule.toDate}`];
  if (!rule.customerGroupIds.includes(groupId)) return ['customer_group', "is not for this customer's group"];
  if (rule.minSubtotal !== null && subtotal.lt(rule.minSubtotal)) {
    const short = rule.minSubtotal.minus(subtotal);
    return ['minimum_subtotal', `needs a subtotal of at least ${rule.minSubtotal.toFixed(2)} (${short.toFixed(2)} more)`];
  }
  if (rule.skus !== null && ![...skus].some((sku) => rule.skus!.includes(sku))) {
    return ['no_matching_items', 'applies to none of the items in the cart'];
  }
  return null;
}

function overridden(couponRule: CartRule, chosen: CartRule[], skus: ReadonlySet<string>): boolean {
  const earlier = chosen.slice(0, chosen.indexOf(couponRule));
  for (const sku of skus) {
    if (couponRule.skus !== null && !couponRule.skus.includes(sku)) continue;
    const stopped = earlier.some((rule) => rule.stopFurtherRules && (rule.skus === null || rule.skus.includes(sku)));
    if (!stopped) return false;
  }
  return true;
}

/** The cart rules that apply to a cart, as discounts for `computeTotals`, and the coupon's fate. */
export function selectDiscounts(
  rules: readonly CartRule[],
  options: { couponCode: string | null; on: string; customerGroupId: number; subtotal: Decimal; skus: ReadonlySet<string> },
): PromotionResult {
  const { couponCode, on, customerGroupId, subtotal, skus } = options;
  const byCode = new Map<string, CartRule>();
  for (const rule of rules) {
    if (rule.couponCode === null) continue;
    const key = normalise(rule.couponCode);
    const other = byCode.get(key);
    if (other !== undefined) throw new PromotionError(`cart rules ${other.name} and ${rule.name} share the coupon ${rule.couponCode}`);
    byCode.set(key, rule);
  }
  const entered = couponCode && couponCode.trim() ? normalise(couponCode) : null;
  const couponRule = entered === null ? undefined : byCode.get(entered);

  const ordered = rules.map((rule, index) => ({ rule, index }));
  ordered.sort((a, b) => a.rule.sortOrder - b.rule.sortOrder || a.index - b.index);
  const chosen: CartRule[] = [];
  for (const { rule } of ordered) {
    if (rule.couponCode !== null && rule !== couponRule) continue;
    if (failure(rule, on, customerGroupId, subtotal, skus) === null) chosen.push(rule);
  }

  let rejection: CouponRejection | null = null;
  let accepted: string | null = null;
  if (entered !== null) {
    const shown = (couponCode ?? '').trim();
    if (couponRule === undefined) {
      rejection = { coupon: shown, reason: 'unknown', message: `The coupon "${shown}" does not exist.` };
    } else {
      let why = failure(couponRule, on, customerGroupId, subtotal, skus);
      if (why === null && overridden(couponRule, chosen, skus)) {
        why = ['overridden', 'is replaced by another promotion on every item'];
        chosen.splice(chosen.indexOf(couponRule), 1);
      }
      if (why !== null) {
        rejection = { coupon: shown, reason: why[0], message: `The coupon "${shown}" ${why[1]}.` };
      } else {
        accepted = couponRule.couponCode;
      }
    }
  }
  return {
    discounts: chosen.map(ruleDiscount),
    ruleIds: chosen.map((rule) => rule.ruleId),
    couponCode: accepted,
    couponRejection: rejection,
  };
}

/** The cart's subtotal excl. tax before cart discounts: what rule conditions compare against. */
export function cartSubtotal(cart: CartInput, config: TaxConfig = DEFAULT_CONFIG): Decimal {
  if (cart.lines.length === 0) return ZERO;
  return computeTotals({ lines: cart.lines, discounts: [] }, config).subtotal;
}
