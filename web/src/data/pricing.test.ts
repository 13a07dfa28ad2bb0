/**
 * A Magento cart rule as the server's promotions feed delivers it after `till magento pull`
 * (src/till/magento/pull/rules.py; the same row tests/magento/test_rules_pull.py reads from the
 * feed), stored in the till's replica by the sync engine and applied by the till's own pricing.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { applyPage } from '../sync/engine';
import { priceCart } from '../domain/cart';
import { dec } from '../domain/money';
import { TillDB } from './db';
import { loadPricingRules } from './pricing';

const BAGS_RULE = {
  id: 12,
  name: '$5 off bags',
  coupon_code: 'LUMA5',
  action: 'cart_fixed',
  amount: '5.00',
  active: true,
  from_date: null,
  to_date: null,
  customer_groups: [0, 1, 2, 3],
  min_subtotal: null,
  skus: ['24-MB01', '24-MB02'],
  sort_order: 0,
  stop_further_rules: true,
};
const CONFIG_ROW = {
  kind: 'config',
  algorithm: 'TOTAL',
  prices_include_tax: false,
  apply_after_discount: true,
  discount_on_prices_including_tax: false,
  cross_border_trade: false,
  apply_tax_on: 'original',
};
const price = (amount: string) => ({ price: amount, special_price: null, special_from: null, special_to: null, tier_prices: [] });

describe('a cart rule pulled from Magento', () => {
  it('is applied by the till from its replica when the web store coupon is entered', async () => {
    const db = new TillDB('pulled-rule');
    await applyPage(db, 'promotions', { items: [BAGS_RULE], deleted: [], cursor: 3, has_more: false } as never);
    await applyPage(db, 'tax', { items: [CONFIG_ROW], deleted: [], cursor: 4, has_more: false } as never);
    const rules = await loadPricingRules(db, 'NYC');
    expect(rules.config.applyTaxOn).toBe('original');

    const items = [
      { key: 'a', sku: '24-MB01', qty: dec('2'), taxClass: 'Taxable Goods', price: price('34.00'), lineDiscount: null },
      { key: 'b', sku: 'MH01-S-Black', qty: dec('1'), taxClass: 'Taxable Goods', price: price('20.00'), lineDiscount: null },
    ];
    const options = { groupId: 0, day: '2026-12-07', couponCode: 'luma5', cartDiscountPercent: null };
    const priced = priceCart(items, rules, options);

    expect(priced.promotion.couponCode).toBe('LUMA5');
    expect(priced.promotion.ruleIds).toEqual(['12']);
    // cart_fixed 5.00 over the only eligible row (2 x 34.00): that row takes all of it.
    expect(priced.totals.lines.map((line) => line.discount.toFixed(2))).toEqual(['5.00', '0.00']);
    expect(priced.totals.grandTotal.toFixed(2)).toBe('83.00');

    // Deleted in Magento, the next page removes it: the coupon is no longer known.
    await applyPage(db, 'promotions', { items: [], deleted: ['12'], cursor: 5, has_more: false } as never);
    const after = priceCart(items, await loadPricingRules(db, 'NYC'), options);
    expect(after.promotion.couponRejection?.reason).toBe('unknown');
    expect(after.totals.grandTotal.toFixed(2)).toBe('88.00');
  });
});
