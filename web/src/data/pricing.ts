/** Read the pricing rules (tax, cart rules, customer groups) the till keeps, for `priceCart`. */
import { type PricingRules } from '../domain/cart';
import { dec, roundMoney } from '../domain/money';
import type { CartRule } from '../domain/promotions';
import type { TaxRate, TaxRule } from '../domain/tax';
import { DEFAULT_CONFIG, type TaxConfig } from '../domain/totals';
import { type TillDB, getMeta } from './db';
import type { Bootstrap } from './types';

export async function loadPricingRules(database: TillDB, locationCode: string): Promise<PricingRules> {
  const boot = await getMeta<Bootstrap>(database, 'bootstrap');
  const location = boot?.locations.find((l) => l.code === locationCode);
  const rows = await database.tax.toArray();
  const configRow = rows.find((row) => row.kind === 'config') as Record<string, unknown> | undefined;
  const config: TaxConfig = configRow
    ? {
        algorithm: configRow.algorithm as TaxConfig['algorithm'],
        pricesIncludeTax: Boolean(configRow.prices_include_tax),
        applyAfterDiscount: Boolean(configRow.apply_after_discount),
        discountOnPricesIncludingTax: Boolean(configRow.discount_on_prices_including_tax),
        crossBorderTrade: Boolean(configRow.cross_border_trade),
        applyTaxOn: configRow.apply_tax_on === 'original' ? 'original' : 'custom',
      }
    : DEFAULT_CONFIG;
  const rates: TaxRate[] = rows
    .filter((row) => row.kind === 'rate')
    .map((row) => ({
      code: String(row.code),
      country: String(row.country),
      region: typeof row.region === 'string' ? row.region : '*',
      postcode: typeof row.postcode === 'string' ? row.postcode : '*',
      percent: dec(String(row.percent)),
    }));
  const rules: TaxRule[] = rows
    .filter((row) => row.kind === 'rule')
    .map((row) => ({
      code: String(row.code),
      customerClasses: row.customer_classes as string[],
      productClasses: row.product_classes as string[],
      rates: row.rates as string[],
      priority: Number(row.priority ?? 0),
      position: Number(row.position ?? 0),
      calculateSubtotal: Boolean(row.calculate_subtotal),
    }))
    // The server's order: priority, position, code.
    .sort((a, b) => a.priority - b.priority || a.position - b.position || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const promotions = (await database.promotions.toArray()).sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);
  const cartRules: CartRule[] = promotions.map((row) => ({
    ruleId: String(row.id),
    name: row.name,
    action: row.action,
    amount: roundMoney(dec(row.amount)),
    customerGroupIds: row.customer_groups.map(Number),
    couponCode: row.coupon_code,
    label: row.name,
    active: Boolean(row.active),
    fromDate: row.from_date?.slice(0, 10) ?? null,
    toDate: row.to_date?.slice(0, 10) ?? null,
    minSubtotal: row.min_subtotal === null ? null : roundMoney(dec(row.min_subtotal)),
    skus: row.skus,
    sortOrder: row.sort_order ?? 0,
    stopFurtherRules: Boolean(row.stop_further_rules),
  }));
  return {
    config,
    rates,
    rules,
    cartRules,
    groupClasses: new Map((boot?.customer_groups ?? []).map((g) => [g.id, g.tax_class])),
    address: { country: location?.country ?? '', region: location?.region ?? '', postcode: location?.postcode ?? '' },
  };
}
