/**
 * On a phone the cart is a sheet: a bar fixed at the bottom says "N items · total" (tap for the
 * cart) with Pay beside it, in view whatever the grid's scroll; after a sale it shows the change.
 */
import { Button, ButtonBase, Drawer, Paper, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import type { Decimal } from '../../domain/money';
import { dec } from '../../domain/money';
import type { CartState, Receipt } from '../../data/types';
import { money } from './format';

/** Height of the bar; the page keeps this much room at its bottom so nothing hides under it. */
export const CART_BAR_HEIGHT = 72;

export function CartBar({
  cart,
  total,
  receipt,
  canPay,
  open,
  onOpen,
  onClose,
  onPay,
  children,
}: {
  cart: CartState;
  total: Decimal | undefined;
  receipt: Receipt | null;
  canPay: boolean;
  open: boolean;
  onOpen: () => void;
  onClose: () => void;
  onPay: () => void;
  /** The cart panel, shown in the sheet. */
  children: ReactNode;
}) {
  const items = cart.lines.reduce((n, l) => n.plus(dec(l.qty)), dec(0));
  const summary =
    cart.lines.length === 0 && receipt
      ? `Change ${money(receipt.change)} · receipt`
      : `${items.toFixed()} item${items.eq(1) ? '' : 's'}${total ? ` · ${money(total)}` : ''}`;
  return (
    <>
      <Paper
        elevation={8}
        square
        className="no-print"
        data-testid="cart-bar"
        sx={{ position: 'fixed', left: 0, right: 0, bottom: 0, height: CART_BAR_HEIGHT, display: 'flex', alignItems: 'center', gap: 1, px: 1, pb: 'env(safe-area-inset-bottom)', zIndex: 'appBar' }}
      >
        <ButtonBase onClick={onOpen} data-testid="open-cart" aria-label={`Cart: ${summary}`} sx={{ flex: 1, minWidth: 0, height: 56, justifyContent: 'flex-start', px: 1, borderRadius: 1 }}>
          <Typography noWrap fontWeight={600}>
            {summary}
          </Typography>
        </ButtonBase>
        <Button variant="contained" disabled={!canPay} onClick={onPay} data-testid="bar-pay" sx={{ minWidth: 120 }}>
          Pay
        </Button>
      </Paper>
      <Drawer anchor="bottom" open={open} onClose={onClose} slotProps={{ paper: { sx: { maxHeight: '88dvh', display: 'flex' } } }}>
        {children}
      </Drawer>
    </>
  );
}
