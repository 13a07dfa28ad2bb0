/**
 * Every case of every file in spec/vectors/totals and spec/vectors/pricing, run against the
 * TypeScript engine: the same contract the Python engine passes (tests/unit/test_totals_vectors.py
 * and test_pricing_vectors.py), read the same way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CartItem, type PriceInfo, priceCart } from './cart';
import { Decimal, dec } from './money';
import { cartSubtotal, selectDiscounts, type CartRule } from './promotions';
import { NOTHING_REFUNDED, RefundError, TenderError, changeDue, plusRefund, refundLine } from './refunds';
import { type Address, type AppliedRate, type TaxRate, type TaxRule, applicableRates, combinedPercent, groupRates } from './tax';
import {
  type CartDiscount,
  type CartInput,
  type CartLine,
  type CartTotals,
  type LineTotals,
  type TaxAmount,
  type TaxConfig,
  DEFAULT_CONFIG,
  TotalsError,
  computeTotals,
} from './totals';

/* eslint-disable @typescript-eslint/no-explicit-any -- vectors are untyped JSON */
type Case = Record<string, any>;

const VECTORS = resolve(__dirname, '../../../spec/vectors');

function loadCases(folder: string): [string, Case][] {
  const out: [string, Case][] = [];
  const dir = join(VECTORS, folder);
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    const document = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    expect(document.format).toBe('till-vectors/1');
    for (const item of document.cases) out.push([`${file}::${item.name}`, item]);
  }
  return out;
}

function strictDec(value: unknown): Decimal {
  if (typeof value !== 'string') throw new Error(`${String(value)} must be a decimal string`);
  try {
    return dec(value);
  } catch {
    throw new TotalsError('not_a_decimal', `not a decimal: ${value}`);
  }
}

const config = (data: Case | undefined): TaxConfig => ({
  algorithm: data?.algorithm ?? DEFAULT_CONFIG.algorithm,
  pricesIncludeTax: data?.prices_include_tax ?? false,
  applyAfterDiscount: data?.apply_after_discount ?? true,
  discountOnPricesIncludingTax: data?.discount_on_prices_including_tax ?? false,
  crossBorderTrade: data?.cross_border_trade ?? false,
  applyTaxOn: data?.apply_tax_on ?? 'custom',
});

const rate = (data: Case): AppliedRate => ({
  code: data.code,
  percent: strictDec(data.percent),
  priority: data.priority ?? 0,
  calculateSubtotal: data.calculate_subtotal ?? false,
});

const line = (data: Case): CartLine => ({
  key: data.key,
  sku: data.sku,
  qty: strictDec(data.qty),
  unitPrice: strictDec(data.unit_price),
  rates: (data.rates ?? []).map(rate),
  storeRates: data.store_rates == null ? null : data.store_rates.map(rate),
  lineDiscount: data.line_discount == null ? null : { kind: data.line_discount.kind, value: strictDec(data.line_discount.value) },
  originalPrice: data.original_price == null ? null : strictDec(data.original_price),
});

const discount = (data: Case): CartDiscount => ({
  kind: data.kind,
  amount: strictDec(data.amount),
  label: data.label,
  skus: data.skus == null ? null : new Set<string>(data.skus),
  stopFurther: data.stop_further ?? false,
});

const cart = (data: Case): CartInput => ({ lines: data.lines.map(line), discounts: (data.discounts ?? []).map(discount) });

function sameDecimal(actual: Decimal, expected: string, where: string): void {
  expect(actual.eq(strictDec(expected)), `${where}: got ${actual.toFixed()}, want ${expected}`).toBe(true);
}

function checkTaxes(actual: TaxAmount[], expected: Case[], where: string): void {
  const got = actual.map((tax) => [tax.code, tax.percent.toFixed(), tax.amount.toFixed()]);
  const want = expected.map((tax) => [tax.code, strictDec(tax.percent).toFixed(), strictDec(tax.amount).toFixed()]);
  expect(got, `${where}.taxes`).toEqual(want);
}

const LINE_FIELDS: Record<string, (l: LineTotals) => Decimal> = {
  qty: (l) => l.qty,
  price: (l) => l.price,
  price_incl_tax: (l) => l.priceInclTax,
  row_total: (l) => l.rowTotal,
  row_total_incl_tax: (l) => l.rowTotalInclTax,
  discount: (l) => l.discount,
  tax: (l) => l.tax,
  discount_tax_compensation: (l) => l.discountTaxCompensation,
  tax_percent: (l) => l.taxPercent,
  row_grand_total: (l) => l.rowGrandTotal,
};
const TOTAL_FIELDS: Record<string, (t: CartTotals) => Decimal> = {
  subtotal: (t) => t.subtotal,
  subtotal_incl_tax: (t) => t.subtotalInclTax,
  discount: (t) => t.discount,
  tax: (t) => t.tax,
  discount_tax_compensation: (t) => t.discountTaxCompensation,
  grand_total: (t) => t.grandTotal,
};

function checkTotals(totals: CartTotals, expected: Case): void {
  for (const key of Object.keys(expected)) expect([...Object.keys(TOTAL_FIELDS), 'taxes', 'discounts', 'lines']).toContain(key);
  for (const [name, read] of Object.entries(TOTAL_FIELDS)) if (name in expected) sameDecimal(read(totals), expected[name], name);
  if ('taxes' in expected) checkTaxes(totals.taxes, expected.taxes, 'cart');
  if ('discounts' in expected) {
    const got = totals.discounts.map((d) => [d.label, d.amount.toFixed()]);
    const want = expected.discounts.map((d: Case) => [d.label, strictDec(d.amount).toFixed()]);
    expect(got, 'discounts').toEqual(want);
  }
  for (const wanted of expected.lines ?? []) {
    const found = totals.lines.find((l) => l.key === wanted.key);
    expect(found, `line ${wanted.key}`).toBeDefined();
    for (const [name, read] of Object.entries(LINE_FIELDS)) {
      if (name in wanted) sameDecimal(read(found!), wanted[name], `line ${wanted.key}.${name}`);
    }
    if ('taxes' in wanted) checkTaxes(found!.taxes, wanted.taxes, `line ${wanted.key}`);
  }
  expect(totals.grandTotal.eq(totals.subtotal.minus(totals.discount).plus(totals.tax).plus(totals.discountTaxCompensation))).toBe(true);
  expect(totals.grandTotal.gte(0)).toBe(true);
}

function expectCode(run: () => unknown, type: new (...args: never[]) => Error & { code: string }, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected error ${code}`).toBeInstanceOf(type);
  expect((caught as { code: string }).code).toBe(code);
}

const taxRules = (c: Case): TaxRule[] =>
  c.tax_rules.map((r: Case) => ({
    code: r.code,
    customerClasses: r.customer_classes,
    productClasses: r.product_classes,
    rates: r.rates,
    priority: r.priority ?? 0,
    position: r.position ?? 0,
    calculateSubtotal: r.calculate_subtotal ?? false,
  }));

const taxRates = (c: Case): TaxRate[] =>
  c.tax_rates.map((r: Case) => ({
    code: r.code,
    country: r.country,
    region: r.region ?? '*',
    postcode: r.postcode ?? '*',
    percent: strictDec(r.percent),
  }));

const address = (c: Case): Address => ({ country: c.address.country, region: c.address.region ?? '', postcode: c.address.postcode ?? '' });

const cartRule = (r: Case): CartRule => ({
  ruleId: r.rule_id,
  name: r.name,
  action: r.action,
  amount: strictDec(r.amount),
  customerGroupIds: r.customer_group_ids,
  couponCode: r.coupon_code ?? null,
  label: r.label ?? '',
  active: r.active ?? true,
  fromDate: r.from_date ?? null,
  toDate: r.to_date ?? null,
  minSubtotal: r.min_subtotal == null ? null : strictDec(r.min_subtotal),
  skus: r.skus ?? null,
  sortOrder: r.sort_order ?? 0,
  stopFurtherRules: r.stop_further_rules ?? false,
});

const priceInfo = (p: Case): PriceInfo => ({
  price: p.price,
  special_price: p.special_price ?? null,
  special_from: p.special_from ?? null,
  special_to: p.special_to ?? null,
  tier_prices: p.tier_prices ?? [],
});

const RUNNERS: Record<string, (c: Case) => void> = {
  pricing(c) {
    const products = new Map<string, Case>(c.products.map((p: Case) => [p.sku, p]));
    const items: CartItem[] = c.lines.map((l: Case, index: number) => ({
      key: String(index + 1),
      sku: l.sku,
      qty: strictDec(l.qty),
      taxClass: products.get(l.sku)!.tax_class,
      price: priceInfo(products.get(l.sku)!),
      lineDiscount: l.line_discount == null ? null : { kind: l.line_discount.kind, value: strictDec(l.line_discount.value) },
    }));
    const priced = priceCart(
      items,
      {
        config: config(c.config),
        rates: taxRates(c),
        rules: taxRules(c),
        cartRules: c.cart_rules.map(cartRule),
        groupClasses: new Map<number, string>(c.customer_groups.map((g: Case) => [g.id, g.tax_class])),
        address: address(c),
      },
      {
        groupId: c.customer_group_id,
        day: c.date,
        couponCode: c.coupon_code ?? null,
        cartDiscountPercent: c.cart_discount_percent == null ? null : strictDec(c.cart_discount_percent),
      },
    );
    expect(priced.unitPrices.map((p) => p.toFixed(2))).toEqual(c.expected.unit_prices.map((p: string) => strictDec(p).toFixed(2)));
    expect(priced.promotion.ruleIds).toEqual(c.expected.rule_ids);
    expect(priced.promotion.couponCode).toBe(c.expected.coupon.accepted);
    expect(priced.promotion.couponRejection?.reason ?? null).toBe(c.expected.coupon.rejection);
    checkTotals(priced.totals, c.expected.totals);
  },
  totals(c) {
    if ('error' in c.expected) {
      expectCode(() => computeTotals(cart(c), config(c.config)), TotalsError, c.expected.error);
      return;
    }
    checkTotals(computeTotals(cart(c), config(c.config)), c.expected);
  },
  tax_rates(c) {
    const applied = applicableRates(taxRules(c), taxRates(c), c.customer_class, c.product_class, address(c));
    const plain = (r: AppliedRate) => [r.code, r.percent.toFixed(), r.priority, r.calculateSubtotal];
    expect(applied.map(plain)).toEqual(c.expected.rates.map((r: Case) => plain(rate(r))));
    if ('groups' in c.expected) {
      expect(groupRates(applied).map((g) => [g.id, g.percent.toFixed()])).toEqual(
        c.expected.groups.map((g: Case) => [g.id, strictDec(g.percent).toFixed()]),
      );
    }
    if ('combined_percent' in c.expected) sameDecimal(combinedPercent(applied), c.expected.combined_percent, 'combined');
  },
  promotions(c) {
    const cfg = config(c.config);
    const input = cart(c);
    const result = selectDiscounts(c.rules.map(cartRule), {
      couponCode: c.coupon_code ?? null,
      on: c.date,
      customerGroupId: c.customer_group_id,
      subtotal: cartSubtotal(input, cfg),
      skus: new Set(input.lines.map((l) => l.sku)),
    });
    expect(result.couponCode).toBe(c.expected.coupon.accepted);
    expect(result.couponRejection?.reason ?? null).toBe(c.expected.coupon.rejection);
    expect(result.ruleIds).toEqual(c.expected.rule_ids);
    checkTotals(computeTotals({ lines: input.lines, discounts: result.discounts }, cfg), c.expected.totals);
  },
  refund(c) {
    const l = c.line;
    const paid = {
      key: l.key,
      sku: l.sku,
      qty: strictDec(l.qty),
      rowTotal: strictDec(l.row_total),
      discount: strictDec(l.discount),
      tax: strictDec(l.tax),
      discountTaxCompensation: strictDec(l.discount_tax_compensation),
    };
    let soFar = NOTHING_REFUNDED;
    for (const step of c.refunds) {
      if ('error' in step.expected) {
        expectCode(() => refundLine(paid, strictDec(step.qty), soFar), RefundError, step.expected.error);
        continue;
      }
      const refund = refundLine(paid, strictDec(step.qty), soFar);
      sameDecimal(refund.rowTotal, step.expected.row_total, 'row_total');
      sameDecimal(refund.discount, step.expected.discount, 'discount');
      sameDecimal(refund.tax, step.expected.tax, 'tax');
      sameDecimal(refund.discountTaxCompensation, step.expected.discount_tax_compensation, 'compensation');
      sameDecimal(refund.total, step.expected.total, 'total');
      soFar = plusRefund(soFar, refund);
    }
  },
  change(c) {
    const payments = c.payments.map((p: Case) => ({ method: p.method, amount: strictDec(p.amount) }));
    if ('error' in c.expected) {
      expectCode(() => changeDue(strictDec(c.grand_total), payments), TenderError, c.expected.error);
      return;
    }
    sameDecimal(changeDue(strictDec(c.grand_total), payments), c.expected.change, 'change');
  },
};

const CASES = loadCases('totals');
const PRICING = loadCases('pricing');

function runCase(c: Case): void {
  expect(c.source, 'every vector cites its source').toBeTruthy();
  const run = RUNNERS[c.kind];
  expect(run, `kind ${c.kind}`).toBeDefined();
  run(c);
}

describe('shared totals vectors', () => {
  it('has at least as many cases as the Python suite demands', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });
  it.each(CASES)('%s', (_name, c) => runCase(c));
});

describe('shared pricing vectors (priceCart, the twin of till.domain.pricing.price_sale)', () => {
  it('has at least as many cases as the Python suite demands', () => {
    expect(PRICING.length).toBeGreaterThanOrEqual(10);
  });
  it.each(PRICING)('%s', (_name, c) => runCase(c));
});

describe('money', () => {
  it('refuses binary floats', () => {
    expect(() => dec(9.99)).toThrow(/decimal strings/);
  });
  it('rounds half away from zero like Magento', () => {
    expect(dec('1.665').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2)).toBe('1.67');
  });
});

describe('refunds beyond the vectors', () => {
  it('shares a negative-cent discount tax compensation without calling it over-refunded', () => {
    const line = { key: '1', sku: 'S', qty: dec('2'), rowTotal: dec('10.00'), discount: dec('1.00'), tax: dec('0.80'), discountTaxCompensation: dec('-0.01') };
    const first = refundLine(line, dec('1'));
    const second = refundLine(line, dec('1'), plusRefund(NOTHING_REFUNDED, first));
    expect(first.discountTaxCompensation.plus(second.discountTaxCompensation).toFixed(2)).toBe('-0.01');
    expect(first.total.plus(second.total).toFixed(2)).toBe('9.79');
  });
});
