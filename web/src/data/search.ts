/** Product search over the till's IndexedDB index of words (name, SKU, barcode). */
import { type TillDB, db } from './db';
import type { Product } from './types';

/** Most keys read for one word of a multi-word query before intersecting. */
const KEYS_PER_WORD = 20_000;

/**
 * Products having, for every word of the query, a word that starts with it (name, SKU or barcode).
 * Only primary keys are read from the index; whole products are read for the hits shown.
 */
export async function searchProducts(query: string, limit = 40, database: TillDB = db()): Promise<Product[]> {
  const whole = query.trim().toLowerCase();
  const words = [...new Set(whole.split(/[^\p{L}\p{N}]+/u).filter(Boolean))];
  if (words.length === 0) return [];
  const index = database.products.where('words');
  let keys: string[] = [];
  if (!/\s/.test(whole)) {
    // One word, or a SKU/barcode typed whole ("pm-c00041"): the index answers it directly.
    keys = [...new Set(await index.startsWith(whole).limit(limit * 4).primaryKeys())];
  }
  if (keys.length === 0 && words.length === 1) {
    keys = [...new Set(await index.startsWith(words[0]).limit(limit * 4).primaryKeys())];
  } else if (keys.length === 0) {
    const sets = await Promise.all(words.map(async (word) => new Set(await index.startsWith(word).limit(KEYS_PER_WORD).primaryKeys())));
    sets.sort((a, b) => a.size - b.size);
    keys = [...sets[0]].filter((key) => sets.every((set) => set.has(key)));
  }
  const products = await database.products.bulkGet(keys.slice(0, limit * 2));
  return products.filter((p): p is Product => p !== undefined && p.enabled).slice(0, limit);
}

export async function productByCode(code: string, database: TillDB = db()): Promise<Product | undefined> {
  const text = code.trim();
  return (await database.products.where('barcode').equals(text).first()) ?? (await database.products.get(text));
}
