/** The cart priced as the server will price it: the till's rules and prices, the domain's `priceCart`. */
import { useMemo } from 'react';
import { type CartItem, type PricedCart, priceCart } from '../../domain/cart';
import { dec } from '../../domain/money';
import type { TillDB } from '../../data/db';
import { loadPricingRules } from '../../data/pricing';
import type { CartState, Customer } from '../../data/types';
import { useLive } from '../hooks';

export interface Priced {
  value: PricedCart | null;
  /** Why the cart cannot be priced (the domain's message), or null. */
  error: string | null;
}

export function usePricing(database: TillDB, cart: CartState, customer: Customer | null, locationCode: string, day: string): Priced {
  const rules = useLive(() => loadPricingRules(database, locationCode), [locationCode], null);
  const prices = useLive(
    async () => {
      const skus = cart.lines.map((l) => l.sku);
      const [products, priceRows] = await Promise.all([database.products.bulkGet(skus), database.prices.bulkGet(skus)]);
      return skus.map((_, i) => ({ product: products[i], price: priceRows[i] ?? products[i] }));
    },
    [cart.lines.map((l) => l.sku).join('|')],
    [],
  );

  return useMemo(() => {
    // A cart of gift cards only is priced too: its goods total nothing.
    const nothing = cart.lines.length === 0 && (cart.giftCards ?? []).length === 0;
    if (!rules || nothing || prices.length !== cart.lines.length) return { value: null, error: null };
    try {
      const items: CartItem[] = cart.lines.map((line, i) => ({
        key: line.key,
        sku: line.sku,
        qty: dec(line.qty),
        taxClass: prices[i].product?.tax_class ?? 'Taxable Goods',
        price: prices[i].price ?? { price: line.unitPrice, special_price: null, special_from: null, special_to: null, tier_prices: [] },
        lineDiscount: line.discount ? { kind: line.discount.kind, value: dec(line.discount.value) } : null,
      }));
      const value = priceCart(items, rules, {
        groupId: customer?.group_id ?? 0,
        day,
        couponCode: cart.couponCode,
        cartDiscountPercent: cart.cartDiscountPercent ? dec(cart.cartDiscountPercent) : null,
      });
      return { value, error: null };
    } catch (e) {
      return { value: null, error: e instanceof Error ? e.message : String(e) };
    }
  }, [rules, cart, prices, customer, day]);
}
