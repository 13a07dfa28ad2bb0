/** The cart being rung up: its edits as a reducer, every change kept on the device at once. */
import { useCallback, useEffect, useState } from 'react';
import { type Decimal, dec, qtyStr } from '../../domain/money';
import { EMPTY_CART, cartKeyOf } from '../../data/carts';
import { type TillDB, getMeta, setMeta, storageErrorMessage } from '../../data/db';
import type { CartApproval, CartGiftCard, CartLineState, CartState, Product } from '../../data/types';

export type CartEdit =
  /** One more of a product: a line of its own, or one more on its undiscounted line. */
  | { type: 'add'; product: Product; lineKey: string }
  /** A line's quantity; zero or less removes the line. */
  | { type: 'qty'; lineKey: string; qty: Decimal }
  /** A line's discount; with a manager's approval when it is over the cashier's limit. */
  | { type: 'lineDiscount'; lineKey: string; discount: CartLineState['discount']; approval?: CartApproval }
  | { type: 'coupon'; code: string | null }
  | { type: 'cartDiscount'; percent: string | null }
  | { type: 'customer'; customerKey: string | null }
  /** A gift card sold with the sale, or one taken off again. */
  | { type: 'giftCard'; card: CartGiftCard }
  | { type: 'removeGiftCard'; key: string };

/** What one edit does to a cart (pure: the new line's key comes with the edit). */
export function editCart(cart: CartState, edit: CartEdit): CartState {
  switch (edit.type) {
    case 'add': {
      const { product } = edit;
      const existing = cart.lines.find((l) => l.sku === product.sku && !l.discount);
      if (existing) return { ...cart, lines: cart.lines.map((l) => (l === existing ? { ...l, qty: qtyStr(dec(l.qty).plus(1)) } : l)) };
      const line: CartLineState = { key: edit.lineKey, sku: product.sku, name: product.name, qty: '1', unitPrice: product.price, discount: null };
      return { ...cart, lines: [...cart.lines, line] };
    }
    case 'qty': {
      const { qty } = edit;
      return {
        ...cart,
        lines: qty.lte(0) ? cart.lines.filter((l) => l.key !== edit.lineKey) : cart.lines.map((l) => (l.key === edit.lineKey ? { ...l, qty: qtyStr(qty) } : l)),
      };
    }
    case 'lineDiscount':
      return {
        ...cart,
        lines: cart.lines.map((l) => (l.key === edit.lineKey ? { ...l, discount: edit.discount } : l)),
        ...(edit.approval ? { approval: edit.approval } : {}),
      };
    case 'coupon':
      return { ...cart, couponCode: edit.code };
    case 'cartDiscount':
      return { ...cart, cartDiscountPercent: edit.percent };
    case 'customer':
      return { ...cart, customerKey: edit.customerKey };
    case 'giftCard':
      return { ...cart, giftCards: [...(cart.giftCards ?? []).filter((c) => c.number !== edit.card.number), edit.card] };
    case 'removeGiftCard':
      return { ...cart, giftCards: (cart.giftCards ?? []).filter((c) => c.key !== edit.key) };
  }
}

/**
 * The register's cart, loaded from the device and written back on every edit, so a reload
 * never loses what was rung up. `onError` hears of a write that failed. `adopt` shows a cart
 * a transaction has already stored (emptied by a sale or a park, a parked one resumed).
 */
export function useCart(database: TillDB, registerCode: string, onError: (message: string) => void) {
  const cartKey = cartKeyOf(registerCode);
  const [cart, setCart] = useState<CartState>(EMPTY_CART);

  useEffect(() => {
    void getMeta<CartState>(database, cartKey).then((saved) => saved && setCart(saved));
  }, [database, cartKey]);

  const edit = useCallback(
    (change: CartEdit) => {
      setCart((current) => {
        const next = editCart(current, change);
        setMeta(database, cartKey, next).catch((e: unknown) => onError(storageErrorMessage(e)));
        return next;
      });
    },
    [database, cartKey, onError],
  );

  return { cart, edit, adopt: setCart };
}
