/** Products matching what is typed, from the till's own index; a newer query cancels an older one. */
import { useEffect, useState } from 'react';
import { searchProducts } from '../../data/search';
import type { Product } from '../../data/types';

/** The matches for `query`, or null while nothing is typed. */
export function useSearch(query: string, limit = 24): Product[] | null {
  const [results, setResults] = useState<Product[] | null>(null);
  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setResults(null);
      return;
    }
    let cancelled = false;
    const started = performance.now();
    void searchProducts(text, limit).then((found) => {
      if (cancelled) return;
      // The IndexedDB part of a search, for bench/web_rail.mjs (the rest is rendering).
      performance.measure('till:search-query', { start: started });
      setResults(found);
    });
    return () => {
      cancelled = true;
    };
  }, [query, limit]);
  return results;
}
