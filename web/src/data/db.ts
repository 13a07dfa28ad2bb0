/**
 * The till's replica and outbox in IndexedDB (Dexie). Versions are migrations: add a new
 * `version(n)` with what changed, never edit an old one.
 */
import { Dexie, type Table } from 'dexie';
import type {
  Cursor,
  Customer,
  MetaRow,
  OutboxEntry,
  ParkedCart,
  PriceRow,
  Product,
  PromotionRow,
  Receipt,
  StaffRow,
  StockRow,
  TaxRow,
} from './types';

export class TillDB extends Dexie {
  products!: Table<Product, string>;
  prices!: Table<PriceRow, string>;
  stock!: Table<StockRow, string>;
  customers!: Table<Customer, string>;
  tax!: Table<TaxRow, string>;
  promotions!: Table<PromotionRow, number>;
  staff!: Table<StaffRow, number>;
  outbox!: Table<OutboxEntry, number>;
  parked!: Table<ParkedCart, number>;
  receipts!: Table<Receipt, string>;
  cursors!: Table<Cursor, string>;
  meta!: Table<MetaRow, string>;

  constructor(name = 'till') {
    super(name);
    this.version(1).stores({
      products: 'sku, name, barcode, *category_ids, parent_sku, *words',
      prices: 'sku',
      stock: 'key, sku',
      customers: 'key, id, email, *words',
      tax: 'key, kind',
      promotions: 'id, coupon_code',
      staff: 'id, username',
      outbox: '++seq, kind, status, key',
      parked: '++id, parkedAt',
      receipts: 'key, receiptNumber, createdAt, orderId, status',
      cursors: 'dataset',
      meta: 'key',
    });
  }
}

/** Search words of a text: lower case, split on anything that is not a letter or digit. */
export function wordsOf(...texts: (string | null | undefined)[]): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    const lower = text.toLowerCase();
    words.add(lower);
    for (const word of lower.split(/[^\p{L}\p{N}]+/u)) if (word) words.add(word);
  }
  return [...words];
}

let shared: TillDB | null = null;

/** The app's database (one per origin). */
export function db(): TillDB {
  shared ??= new TillDB();
  return shared;
}

export async function getMeta<T>(database: TillDB, key: string): Promise<T | undefined> {
  return (await database.meta.get(key))?.value as T | undefined;
}

export async function setMeta(database: TillDB, key: string, value: unknown): Promise<void> {
  await database.meta.put({ key, value });
}

/** A write failed: explain it in words a cashier can act on. */
export function storageErrorMessage(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  const inner = (error as { inner?: { name?: string } } | null)?.inner?.name ?? '';
  if (name === 'QuotaExceededError' || inner === 'QuotaExceededError') {
    return 'This device is out of storage: the sale was NOT saved. Free up space (or sync and clear old receipts) and try again.';
  }
  return `Saving on this device failed (${error instanceof Error ? error.message : String(error)}). Nothing was lost from earlier sales; try again.`;
}
