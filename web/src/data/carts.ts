/**
 * The register's open cart and its parked carts. Every change that moves a cart (park, resume,
 * and the sale's clearing of it in sales.ts) is ONE IndexedDB transaction, so a crash between
 * two writes can never lose a cart or leave a sold cart in place.
 */
import { type TillDB, getMeta, setMeta } from './db';
import type { CartState, Customer, ParkedCart, Receipt } from './types';

export const EMPTY_CART: CartState = { lines: [], customerKey: null, couponCode: null, cartDiscountPercent: null };

/** Where a register's open cart is kept (meta). */
export const cartKeyOf = (registerCode: string) => `cart:${registerCode}`;

/** Where a register keeps the key of a receipt the cashier has not yet seen (meta). */
export const unseenReceiptKeyOf = (registerCode: string) => `unseenReceipt:${registerCode}`;

function parkedLabel(cart: CartState, customer: Customer | null): string {
  return `${cart.lines.length} items${customer ? ` · ${customer.firstname}` : ''}`;
}

function parkedRow(cart: CartState, customer: Customer | null, total: string | null): ParkedCart {
  return {
    parkedAt: new Date().toISOString(),
    label: parkedLabel(cart, customer),
    cart,
    customerName: customer ? `${customer.firstname} ${customer.lastname}` : null,
    total,
  };
}

/** Park the open cart: it joins the parked carts and the register's cart is empty, together. */
export async function parkCart(database: TillDB, registerCode: string, cart: CartState, customer: Customer | null, total: string | null): Promise<void> {
  await database.transaction('rw', [database.parked, database.meta], async () => {
    await database.parked.add(parkedRow(cart, customer, total));
    await setMeta(database, cartKeyOf(registerCode), EMPTY_CART);
  });
}

/**
 * Resume a parked cart: it leaves the parked list and becomes the register's cart, and the open
 * cart (if it has lines) is parked in its place, all in one transaction. Returns the resumed
 * cart, or null when it is no longer parked (resumed on another tab).
 */
export async function resumeParked(
  database: TillDB,
  registerCode: string,
  parkedId: number,
  open: CartState,
  openCustomer: Customer | null,
  openTotal: string | null,
): Promise<CartState | null> {
  return database.transaction('rw', [database.parked, database.meta], async () => {
    const chosen = await database.parked.get(parkedId);
    if (!chosen) return null;
    await database.parked.delete(parkedId);
    if (open.lines.length > 0) await database.parked.add(parkedRow(open, openCustomer, openTotal));
    await setMeta(database, cartKeyOf(registerCode), chosen.cart);
    return chosen.cart;
  });
}

/** Give a parked cart a name the cashier will recognise; blank clears it. */
export async function renameParked(database: TillDB, parkedId: number, name: string): Promise<void> {
  await database.parked.update(parkedId, { name: name.trim() || undefined });
}

/** Drop a parked cart the customer will not come back for. */
export async function deleteParked(database: TillDB, parkedId: number): Promise<void> {
  await database.parked.delete(parkedId);
}

/** The receipt of a sale the till completed but the cashier never saw (the browser died first). */
export async function unseenReceipt(database: TillDB, registerCode: string): Promise<Receipt | null> {
  const key = await getMeta<string>(database, unseenReceiptKeyOf(registerCode));
  return key ? ((await database.receipts.get(key)) ?? null) : null;
}

/** The cashier has seen the receipt (closed it): it is not shown again on reopening. */
export async function receiptSeen(database: TillDB, registerCode: string): Promise<void> {
  await database.meta.delete(unseenReceiptKeyOf(registerCode));
}
