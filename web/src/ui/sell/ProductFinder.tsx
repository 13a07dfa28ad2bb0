/**
 * The left of the sell screen: search (name, SKU or a typed barcode), top categories, the product
 * grid. With no category or search it opens on this till's top sellers, so a sale starts with a tap.
 */
import { Box, Chip, Stack, TextField, Typography } from '@mui/material';
import { type Ref, useMemo, useState } from 'react';
import { db } from '../../data/db';
import type { Product } from '../../data/types';
import { useLive } from '../hooks';
import { useTill } from '../session';
import { ProductTile } from './ProductTile';
import { useSearch } from './useSearch';

/** How many recent sales the start screen counts, and how many top sellers it shows. */
const RECENT_SALES = 300;
const TOP_SELLERS = 12;

/** The products this till sold most in its recent sales, most sold first. */
async function topSellers(): Promise<Product[]> {
  const database = db();
  const receipts = await database.receipts.orderBy('createdAt').reverse().limit(RECENT_SALES).toArray();
  const sold = new Map<string, number>();
  for (const receipt of receipts) for (const line of receipt.lines) sold.set(line.sku, (sold.get(line.sku) ?? 0) + Number(line.qty));
  const skus = [...sold.entries()].sort((a, b) => b[1] - a[1]).map(([sku]) => sku);
  const products = await database.products.bulkGet(skus.slice(0, TOP_SELLERS));
  return products.filter((p): p is Product => p !== undefined && p.enabled);
}

/** Focus the search on a till with a keyboard; on a touch screen that would open the on-screen keyboard. */
export const keyboardTill = () => typeof matchMedia === 'function' && matchMedia('(pointer: fine)').matches;

export function ProductFinder({
  stockId,
  onAdd,
  onScan,
  onStock,
  searchRef,
}: {
  stockId: number;
  onAdd: (product: Product) => void;
  /** Enter in search: add the product with this code, else `fallback` (the one match shown); false when neither. */
  onScan: (code: string, fallback: Product | null) => Promise<boolean>;
  onStock: (sku: string) => void;
  searchRef?: Ref<HTMLInputElement>;
}) {
  const { boot } = useTill();
  const database = db();
  const [query, setQuery] = useState('');
  const [category, setCategory] = useState<number | null>(null);
  const results = useSearch(query);

  const categories = useMemo(
    () => (boot?.categories ?? []).filter((c) => c.parent_id !== null && boot?.categories.some((p) => p.id === c.parent_id && p.parent_id === null)),
    [boot],
  );
  const browse = useLive(
    async () => {
      if (category === null) return topSellers();
      const rows = await database.products.where('category_ids').equals(category).limit(200).toArray();
      return rows.filter((p) => p.enabled && p.parent_sku === null);
    },
    [category],
    [] as Product[],
  );
  const shown = results ?? browse;
  const stockBySku = useLive(
    async () => {
      const rows = await database.stock.bulkGet(shown.map((p) => `${p.sku}@${stockId}`));
      return new Map(rows.filter((r) => r !== undefined).map((r) => [r.sku, r.salable]));
    },
    [shown, stockId],
    new Map<string, string>(),
  );

  return (
    <>
      <TextField
        fullWidth
        autoFocus={keyboardTill()}
        inputRef={searchRef}
        label="Search name or SKU, or scan"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && query.trim()) {
            // Cleared at once: a scanner's next code must not be typed after this one while it is looked up.
            const typed = query;
            const single = results && results.length === 1 ? results[0] : null;
            setQuery('');
            void onScan(typed, single).then((found) => {
              // Not one product: give the cashier back what they typed (unless they typed on).
              if (!found) setQuery((now) => (now === '' ? typed : now));
            });
          }
        }}
        slotProps={{ htmlInput: { 'data-testid': 'search', 'data-scan-home': 'true' } }}
      />
      <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" sx={{ my: 1 }}>
        {categories.map((c) => (
          <Chip
            key={c.id}
            label={c.name}
            color={category === c.id ? 'primary' : 'default'}
            onClick={() => {
              setQuery('');
              setCategory(c.id);
            }}
            sx={{ height: 40, fontSize: 15 }}
          />
        ))}
      </Stack>
      {results === null && category === null && shown.length > 0 && (
        <Typography variant="subtitle2" component="h2" color="text.secondary" sx={{ mb: 0.5 }}>
          Top sellers on this till
        </Typography>
      )}
      <Box sx={{ display: 'grid', gap: 1, gridTemplateColumns: 'repeat(auto-fill, minmax(140px, 1fr))' }} data-testid="product-grid">
        {shown.map((p) => (
          <ProductTile key={p.sku} product={p} salable={stockBySku.get(p.sku)} onAdd={onAdd} onStock={onStock} />
        ))}
        {shown.length === 0 && (
          <Typography color="text.secondary" sx={{ p: 2, gridColumn: '1 / -1' }}>
            {query ? 'No products match.' : 'Pick a category or search.'}
          </Typography>
        )}
      </Box>
    </>
  );
}
