/** One product in the grid; memoised so a cart change does not re-render the whole grid. */
import { Button, Card, CardActionArea } from '@mui/material';
import { memo } from 'react';
import { dec, qtyStr } from '../../domain/money';
import type { Product } from '../../data/types';
import { money } from './format';

export const ProductTile = memo(function ProductTile({
  product: p,
  salable,
  onAdd,
  onStock,
}: {
  product: Product;
  salable: string | undefined;
  onAdd: (p: Product) => void;
  onStock: (sku: string) => void;
}) {
  const simple = p.type !== 'configurable';
  return (
    <Card variant="outlined" data-testid={`product-${p.sku}`}>
      <CardActionArea onClick={() => onAdd(p)} sx={{ p: 1.5, minHeight: 96, display: 'block' }}>
        <div style={{ fontWeight: 500, fontSize: 14, lineHeight: 1.2 }}>{p.name}</div>
        <div style={{ fontSize: 12, color: '#666' }}>{p.sku}</div>
        <div style={{ display: 'flex', justifyContent: 'space-between', marginTop: 4, fontSize: 14 }}>
          <b>{simple ? money(p.price) : 'options…'}</b>
          {simple && (
            <span data-testid={`stock-${p.sku}`} style={{ fontSize: 12, color: salable !== undefined && dec(salable).lte(0) ? '#d32f2f' : '#666' }}>
              {salable !== undefined ? `${qtyStr(dec(salable))} left` : ''}
            </span>
          )}
        </div>
      </CardActionArea>
      {simple && (
        <Button size="small" onClick={() => onStock(p.sku)} sx={{ minHeight: 32, width: '100%' }}>
          Stock
        </Button>
      )}
    </Card>
  );
});
