/** Park the cart to serve someone else, and resume a parked one. */
import { useCallback } from 'react';
import { type TillDB, storageErrorMessage } from '../../data/db';
import type { CartState, Customer } from '../../data/types';
import { type CartEdit, EMPTY_CART } from './useCart';

export function useParking(
  database: TillDB,
  cart: CartState,
  customer: Customer | null,
  edit: (change: CartEdit) => void,
  notify: (message: string, severity: 'success') => void,
  onError: (message: string) => void,
) {
  const park = useCallback(async () => {
    if (cart.lines.length === 0) return;
    try {
      await database.parked.add({ parkedAt: new Date().toISOString(), label: `${cart.lines.length} items${customer ? ` · ${customer.firstname}` : ''}`, cart });
      edit({ type: 'replace', cart: EMPTY_CART });
      notify('Cart parked', 'success');
    } catch (e) {
      onError(storageErrorMessage(e));
    }
  }, [database, cart, customer, edit, notify, onError]);

  /** The parked cart chosen (already taken off the parked list) becomes the cart; an open one is parked. */
  const resume = useCallback(
    (resumed: CartState) => {
      if (cart.lines.length > 0) void park();
      edit({ type: 'replace', cart: resumed });
    },
    [cart.lines.length, park, edit],
  );

  return { park, resume };
}
