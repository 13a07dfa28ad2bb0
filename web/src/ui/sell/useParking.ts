/** Park the cart to serve someone else, and resume a parked one; each one transaction (data/carts.ts). */
import { useCallback } from 'react';
import { EMPTY_CART, parkCart, resumeParked } from '../../data/carts';
import { type TillDB, storageErrorMessage } from '../../data/db';
import type { CartState, Customer } from '../../data/types';

export function useParking(
  database: TillDB,
  registerCode: string,
  cart: CartState,
  customer: Customer | null,
  /** The open cart's total as priced, kept with it when parked. */
  total: string | null,
  adopt: (stored: CartState) => void,
  notify: (message: string, severity: 'success') => void,
  onError: (message: string) => void,
) {
  const park = useCallback(async () => {
    if (cart.lines.length === 0) return;
    try {
      await parkCart(database, registerCode, cart, customer, total);
      adopt(EMPTY_CART);
      notify('Cart parked', 'success');
    } catch (e) {
      onError(storageErrorMessage(e));
    }
  }, [database, registerCode, cart, customer, total, adopt, notify, onError]);

  /** The chosen parked cart becomes the cart; an open one with lines is parked in its place. */
  const resume = useCallback(
    async (parkedId: number) => {
      try {
        const resumed = await resumeParked(database, registerCode, parkedId, cart, customer, total);
        if (!resumed) return;
        if (cart.lines.length > 0) notify('Cart parked', 'success');
        adopt(resumed);
      } catch (e) {
        onError(storageErrorMessage(e));
      }
    },
    [database, registerCode, cart, customer, total, adopt, notify, onError],
  );

  return { park, resume };
}
