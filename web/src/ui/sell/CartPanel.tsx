/**
 * The cart: lines (scrolling inside the cart), coupon and cart discount, totals and
 * Park/Resume/Pay pinned at the bottom; after a sale, the sale's receipt in its place.
 */
import { Alert, Box, Button, Divider, Paper, Stack, TextField, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { largestLineDiscountPercent } from '../../domain/cart';
import { masked } from '../../domain/giftCards';
import { type Decimal, dec, max } from '../../domain/money';
import type { CartLineState, CartState, Customer } from '../../data/types';
import { can, useTill } from '../session';
import { CartDiscountField } from './CartDiscountField';
import { CartLineRow } from './CartLineRow';
import { Row, money } from './format';
import type { CartEdit } from './useCart';
import type { Priced } from './usePricing';

/** The customer's account as the chip shows it: store credit held, or what they owe. */
function accountNote(customer: Customer): string {
  const balance = dec(customer.account_balance ?? '0');
  if (balance.gt(0)) return ` · credit ${money(balance)}`;
  if (balance.lt(0)) return ` · owes ${money(balance.neg())}`;
  return '';
}

export function CartPanel({
  cart,
  customer,
  priced,
  canPay,
  limit,
  edit,
  done,
  onCustomer,
  onLineDiscount,
  onPark,
  onResume,
  onPay,
  changed,
  sx,
}: {
  cart: CartState;
  customer: Customer | null;
  priced: Priced;
  canPay: boolean;
  limit: Decimal;
  edit: (change: CartEdit) => void;
  /** The sale just completed, shown while the cart is empty. */
  done: ReactNode;
  onCustomer: () => void;
  onLineDiscount: (line: CartLineState) => void;
  onPark: () => void;
  onResume: () => void;
  onPay: () => void;
  /** The line the last add went to, highlighted (seq: which add, so each one flashes anew). */
  changed: { lineKey: string; seq: number } | null;
  /** Where the panel sits: sticky beside the grid, or in the phone's sheet. */
  sx?: Record<string, unknown>;
}) {
  const { session } = useTill();
  const totals = priced.value?.totals;
  const setQty = (line: CartLineState, qty: Decimal) => edit({ type: 'qty', lineKey: line.key, qty });
  const cards = cart.giftCards ?? [];
  const empty = cart.lines.length === 0 && cards.length === 0;
  const due = totals ? totals.grandTotal.plus(cards.reduce((s, c) => s.plus(dec(c.amount)), dec(0))) : undefined;
  // A manager's approval on the cart covers the sale's discounts up to their own limit.
  const cartLimit = cart.approval ? max(limit, dec(cart.approval.limit)) : limit;
  return (
    <Paper sx={{ p: 2, display: 'flex', flexDirection: 'column', minHeight: 0, overflow: 'hidden', ...sx }} data-testid="cart">
      <Stack direction="row" justifyContent="space-between" alignItems="center">
        <Typography variant="h6" component="h2">
          Cart
        </Typography>
        <Button onClick={onCustomer} data-testid="attach-customer">
          {customer ? `${customer.firstname} ${customer.lastname}${accountNote(customer)}` : 'Add customer'}
        </Button>
      </Stack>
      {empty && done ? (
        done
      ) : (
        <>
          <Box component="ul" sx={{ flex: '1 1 auto', minHeight: 0, overflowY: 'auto', m: 0, p: 0 }} data-testid="cart-lines">
            {cart.lines.map((line, i) => (
              <CartLineRow
                key={line.key}
                line={line}
                unitPrice={priced.value?.unitPrices[i]}
                total={totals?.lines[i] ? totals.lines[i].rowTotal.minus(totals.lines[i].discount) : undefined}
                canDiscount={can(session, 'discount')}
                onQty={setQty}
                onDiscount={onLineDiscount}
                changedBy={changed?.lineKey === line.key ? changed.seq : null}
              />
            ))}
            {cards.map((card) => (
              <Stack key={card.key} component="li" direction="row" alignItems="center" justifyContent="space-between" sx={{ py: 0.5 }} data-testid="cart-gift-card">
                <Typography variant="body2">
                  Gift card {masked(card.number)}
                  {card.kind === 'e_card' ? ' (e-card)' : ''}
                </Typography>
                <Stack direction="row" alignItems="center">
                  <Typography variant="body2">{money(card.amount)}</Typography>
                  <Button size="small" onClick={() => edit({ type: 'removeGiftCard', key: card.key })} aria-label={`Remove gift card ${masked(card.number)}`}>
                    Remove
                  </Button>
                </Stack>
              </Stack>
            ))}
          </Box>
          {empty && <Typography color="text.secondary">Tap a product to start a sale.</Typography>}
          {priced.error && <Alert severity="error">{priced.error}</Alert>}
          {priced.value?.promotion.couponRejection && <Alert severity="warning">{priced.value.promotion.couponRejection.message}</Alert>}
          <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" sx={{ my: 1 }}>
            <TextField
              size="small"
              label="Coupon"
              value={cart.couponCode ?? ''}
              onChange={(e) => edit({ type: 'coupon', code: e.target.value || null })}
              sx={{ flex: '1 1 120px' }}
            />
            {can(session, 'discount') && (
              <CartDiscountField key={empty ? 'empty' : 'open'} value={cart.cartDiscountPercent} limit={cartLimit} lineDiscount={largestLineDiscountPercent(cart.lines)} onApply={(percent) => edit({ type: 'cartDiscount', percent })} />
            )}
          </Stack>
          <Divider />
          {totals && (
            <Box sx={{ my: 1 }} data-testid="totals">
              <Row label="Subtotal" value={money(totals.subtotal)} />
              {totals.discount.gt(0) && <Row label="Discount" value={`−${money(totals.discount)}`} />}
              <Row label="Tax" value={money(totals.tax)} />
              <Row label="Total" value={money(totals.grandTotal)} strong testId="grand-total" />
              {cards.length > 0 && due && <Row label="With gift cards" value={money(due)} strong testId="due-with-gift-cards" />}
            </Box>
          )}
          <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
            <Button variant="outlined" onClick={onPark} disabled={empty}>
              Park
            </Button>
            <Button variant="outlined" onClick={onResume} data-testid="resume">
              Resume
            </Button>
            <Button variant="contained" sx={{ flex: 1 }} disabled={!canPay} onClick={onPay} data-testid="pay" aria-keyshortcuts="F12 Control+Enter" title="Pay (F12)">
              Pay {due ? money(due) : ''}
            </Button>
          </Stack>
        </>
      )}
    </Paper>
  );
}
