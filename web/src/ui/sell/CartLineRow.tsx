/** One line of the cart: name, unit price and discount, − quantity +, its total, a line discount. */
import { Box, Button, IconButton, Stack, Typography } from '@mui/material';
import { memo } from 'react';
import { type Decimal, dec } from '../../domain/money';
import type { CartLineState } from '../../data/types';
import { money } from './format';

export const CartLineRow = memo(function CartLineRow({
  line,
  unitPrice,
  total,
  canDiscount,
  onQty,
  onDiscount,
}: {
  line: CartLineState;
  unitPrice: Decimal | undefined;
  total: Decimal | undefined;
  canDiscount: boolean;
  onQty: (line: CartLineState, qty: Decimal) => void;
  onDiscount: (line: CartLineState) => void;
}) {
  return (
    <Box component="li" sx={{ py: 0.5, listStyle: 'none' }} data-testid="cart-line">
      <Stack direction="row" alignItems="center" spacing={0.5}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="body2" noWrap>
            {line.name}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            {unitPrice ? money(unitPrice) : ''} {line.discount ? `· −${line.discount.value}${line.discount.kind === 'percent' ? '%' : ''}` : ''}
          </Typography>
        </Box>
        <IconButton onClick={() => onQty(line, dec(line.qty).minus(1))} aria-label={`one less ${line.name}`}>
          −
        </IconButton>
        <Typography data-testid="line-qty" sx={{ minWidth: 24, textAlign: 'center' }}>
          {line.qty}
        </Typography>
        <IconButton onClick={() => onQty(line, dec(line.qty).plus(1))} aria-label={`one more ${line.name}`}>
          +
        </IconButton>
        <Typography sx={{ minWidth: 64, textAlign: 'right' }}>{total ? money(total) : ''}</Typography>
        {canDiscount && (
          <Button size="small" sx={{ minWidth: 44 }} onClick={() => onDiscount(line)} aria-label={`line discount on ${line.name}`}>
            %
          </Button>
        )}
      </Stack>
    </Box>
  );
});
