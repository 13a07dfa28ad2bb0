/**
 * Which tax rates apply to one item, and how they group and compound, the way Magento picks them
 * (`Tax\Model\ResourceModel\Calculation::_getRates`, `getCalculationProcess`). A port of
 * src/till/domain/tax.py; the shared vectors prove both agree.
 */
import { Decimal, HUNDRED, ZERO, sum } from './money';

export interface AppliedRate {
  code: string;
  percent: Decimal;
  priority: number;
  calculateSubtotal: boolean;
}

export interface RateGroup {
  id: string;
  percent: Decimal;
  rates: AppliedRate[];
}

export interface TaxRate {
  code: string;
  country: string;
  region: string;
  postcode: string;
  percent: Decimal;
}

export interface TaxRule {
  code: string;
  customerClasses: string[];
  productClasses: string[];
  rates: string[];
  priority: number;
  position: number;
  calculateSubtotal: boolean;
}

export interface Address {
  country: string;
  region: string;
  postcode: string;
}

export class TaxError extends Error {}

const POSTCODE_SUBSTRING_LENGTH = 10;
const RANGE = /^(\d+)-(\d+)$/;
const DIGITS = /^\d+$/;
const SUFFIX_LENGTH: Record<string, number> = { US: 4, PT: 3 };

function postcodeTemplates(postcode: string, country: string): [Set<string>, boolean, string] {
  let lookup = postcode.trim().toUpperCase();
  let exact: string | null = null;
  const dash = lookup.lastIndexOf('-');
  const suffix = SUFFIX_LENGTH[country.toUpperCase()];
  if (dash >= 0 && suffix !== undefined) {
    const tail = lookup.slice(dash + 1);
    if (DIGITS.test(tail) && tail.length === suffix) {
      exact = lookup;
      lookup = lookup.slice(0, dash);
    }
  }
  const base = lookup.slice(0, POSTCODE_SUBSTRING_LENGTH);
  const templates = new Set([base, base + '*']);
  let source = base;
  if (exact !== null) {
    source = exact.slice(0, POSTCODE_SUBSTRING_LENGTH);
    templates.add(source);
  }
  for (let cut = 1; cut < source.length; cut++) templates.add(source.slice(0, -cut) + '*');
  return [templates, DIGITS.test(lookup), lookup];
}

/** Whether a rate's zone covers an address (country, region, postcode), as Magento decides. */
export function rateMatchesAddress(rate: TaxRate, address: Address): boolean {
  if (rate.country.toUpperCase() !== address.country.toUpperCase()) return false;
  if (rate.region !== '*' && rate.region !== '' && rate.region.toUpperCase() !== address.region.toUpperCase()) {
    return false;
  }
  const pattern = rate.postcode.trim().toUpperCase();
  let range = RANGE.exec(pattern);
  if (range !== null && BigInt(range[1]) > BigInt(range[2])) range = null;
  if (address.postcode.trim() === '*') return range === null;
  const [templates, numeric, lookup] = postcodeTemplates(address.postcode, address.country);
  if (range !== null) {
    if (!numeric) return false;
    const value = BigInt(lookup);
    return BigInt(range[1]) <= value && value <= BigInt(range[2]);
  }
  return pattern === '*' || pattern === '' || templates.has(pattern);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most specific zone first: specific region, then postcode (as text) and percent, descending. */
function bySpecificity(a: TaxRate, b: TaxRate): number {
  const rank = (r: TaxRate) => (r.region === '*' || r.region === '' ? 0 : 1);
  return (
    rank(b) - rank(a) ||
    compareText(b.region.toUpperCase(), a.region.toUpperCase()) ||
    compareText(b.postcode.trim().toUpperCase(), a.postcode.trim().toUpperCase()) ||
    b.percent.comparedTo(a.percent)
  );
}

/** The rates that apply to one item, in Magento's calculation order (each rule: its first match). */
export function applicableRates(
  rules: readonly TaxRule[],
  rates: readonly TaxRate[],
  customerClass: string,
  productClass: string,
  address: Address,
): AppliedRate[] {
  if (!customerClass || !productClass || !address.country) return [];
  const byCode = new Map<string, TaxRate>();
  for (const rate of rates) {
    if (byCode.has(rate.code)) throw new TaxError(`two tax rates share the code ${rate.code}`);
    byCode.set(rate.code, rate);
  }
  const ordered = rules.map((rule, index) => ({ rule, index }));
  ordered.sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index);
  const chosen: AppliedRate[] = [];
  const seen = new Set<string>();
  for (const { rule } of ordered) {
    if (!rule.customerClasses.includes(customerClass) || !rule.productClasses.includes(productClass)) continue;
    const matching: TaxRate[] = [];
    for (const code of rule.rates) {
      const rate = byCode.get(code);
      if (rate === undefined) throw new TaxError(`tax rule ${rule.code} names unknown rate ${code}`);
      if (rateMatchesAddress(rate, address)) matching.push(rate);
    }
    matching.sort(bySpecificity);
    const fresh = matching.filter((rate) => !seen.has(rate.code));
    for (const rate of matching) seen.add(rate.code);
    if (fresh.length > 0) {
      chosen.push({
        code: fresh[0].code,
        percent: fresh[0].percent,
        priority: rule.priority,
        calculateSubtotal: rule.calculateSubtotal,
      });
    }
  }
  return chosen;
}

/** Magento's calculation process: equal priorities add up, higher priorities compound. */
export function groupRates(rates: readonly AppliedRate[]): RateGroup[] {
  const groups: RateGroup[] = [];
  let total = ZERO;
  const ordered = rates.map((rate, index) => ({ rate, index }));
  ordered.sort((a, b) => a.rate.priority - b.rate.priority || a.index - b.index);
  let start = 0;
  while (start < ordered.length) {
    let end = start;
    while (end + 1 < ordered.length && ordered[end + 1].rate.priority === ordered[start].rate.priority) end++;
    const members = ordered.slice(start, end + 1).map((entry) => entry.rate);
    const summed = sum(members.map((rate) => rate.percent));
    const compounds = !members[members.length - 1].calculateSubtotal;
    const percent = compounds ? HUNDRED.plus(total).times(summed).div(HUNDRED) : summed;
    total = total.plus(percent);
    groups.push({ id: members.map((rate) => rate.code).join(''), percent, rates: members });
    start = end + 1;
  }
  return groups;
}

/** The item's total tax percent (7.5 then 5.5 compounded is 13.4125). */
export function combinedPercent(rates: readonly AppliedRate[]): Decimal {
  return sum(groupRates(rates).map((group) => group.percent));
}
