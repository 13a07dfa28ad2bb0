/**
 * One line of the cart: name, unit price and discount, − quantity +, its total, a line discount.
 * The line the last add went to is highlighted, with a flash for each add, and scrolled into view.
 */
import { Box, Button, IconButton, Stack, Typography, keyframes } from '@mui/material';
import { memo, useEffect, useRef } from 'react';
import { type Decimal, dec } from '../../domain/money';
import type { CartLineState } from '../../data/types';
import { money } from './format';

// Two names for one flash: a second add to the same line switches name, so the flash runs again.
const FLASH = keyframes`from { background-color: rgba(255, 193, 7, 0.75); }`;
const FLASH_AGAIN = keyframes`0% { background-color: rgba(255, 193, 7, 0.75); }`;

export const CartLineRow = memo(function CartLineRow({
  line,
  unitPrice,
  total,
  canDiscount,
  onQty,
  onDiscount,
  changedBy,
}: {
  line: CartLineState;
  unitPrice: Decimal | undefined;
  total: Decimal | undefined;
  canDiscount: boolean;
  onQty: (line: CartLineState, qty: Decimal) => void;
  onDiscount: (line: CartLineState) => void;
  /** Which add last changed this line (a new number flashes it again), or null. */
  changedBy: number | null;
}) {
  const row = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (changedBy !== null) row.current?.scrollIntoView?.({ block: 'nearest' });
  }, [changedBy]);
  return (
    <Box
      component="li"
      ref={row}
      sx={{
        py: 0.5,
        px: 0.5,
        listStyle: 'none',
        borderRadius: 1,
        borderLeft: 4,
        borderColor: changedBy === null ? 'transparent' : 'primary.main',
        bgcolor: changedBy === null ? 'transparent' : 'action.selected',
        animation: changedBy === null ? 'none' : `${changedBy % 2 ? FLASH : FLASH_AGAIN} 0.8s ease-out`,
      }}
      data-testid="cart-line"
      data-changed={changedBy !== null}
    >
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
