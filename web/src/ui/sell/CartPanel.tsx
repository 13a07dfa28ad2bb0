/** The cart column: lines with quantity and discount, coupon and cart discount, totals, Park/Resume/Pay. */
import { Alert, Box, Button, Divider, IconButton, List, Paper, Stack, TextField, Typography } from '@mui/material';
import { type Decimal, dec } from '../../domain/money';
import type { CartLineState, CartState, Customer } from '../../data/types';
import { can, useTill } from '../session';
import { Row, money } from './format';
import type { CartEdit } from './useCart';
import type { Priced } from './usePricing';

export function CartPanel({
  cart,
  customer,
  priced,
  canPay,
  limit,
  edit,
  onCustomer,
  onLineDiscount,
  onPark,
  onResume,
  onPay,
}: {
  cart: CartState;
  customer: Customer | null;
  priced: Priced;
  canPay: boolean;
  limit: Decimal;
  edit: (change: CartEdit) => void;
  onCustomer: () => void;
  onLineDiscount: (line: CartLineState) => void;
  onPark: () => void;
  onResume: () => void;
  onPay: () => void;
}) {
  const { session, notify } = useTill();
  const totals = priced.value?.totals;
  const setQty = (line: CartLineState, qty: Decimal) => edit({ type: 'qty', lineKey: line.key, qty });
  return (
    <Paper sx={{ p: 2, position: { md: 'sticky' }, top: { md: 80 } }} data-testid="cart">
      <Stack direction="row" justifyContent="space-between" alignItems="center">
        <Typography variant="h6">Cart</Typography>
        <Button onClick={onCustomer} data-testid="attach-customer">
          {customer ? `${customer.firstname} ${customer.lastname}` : 'Add customer'}
        </Button>
      </Stack>
      <List dense>
        {cart.lines.map((line, i) => {
          const lineTotals = totals?.lines[i];
          return (
            <Box key={line.key} sx={{ py: 0.5 }} data-testid="cart-line">
              <Stack direction="row" alignItems="center" spacing={1}>
                <Box sx={{ flex: 1, minWidth: 0 }}>
                  <Typography variant="body2" noWrap>
                    {line.name}
                  </Typography>
                  <Typography variant="caption" color="text.secondary">
                    {lineTotals ? money(priced.value!.unitPrices[i]) : ''} {line.discount ? `· −${line.discount.value}${line.discount.kind === 'percent' ? '%' : ''}` : ''}
                  </Typography>
                </Box>
                <IconButton onClick={() => setQty(line, dec(line.qty).minus(1))} aria-label="less">
                  −
                </IconButton>
                <Typography data-testid="line-qty" sx={{ minWidth: 24, textAlign: 'center' }}>
                  {line.qty}
                </Typography>
                <IconButton onClick={() => setQty(line, dec(line.qty).plus(1))} aria-label="more">
                  +
                </IconButton>
                <Typography sx={{ minWidth: 72, textAlign: 'right' }}>{lineTotals ? money(lineTotals.rowTotal.minus(lineTotals.discount)) : ''}</Typography>
                {can(session, 'discount') && (
                  <Button size="small" sx={{ minWidth: 40 }} onClick={() => onLineDiscount(line)} aria-label="line discount">
                    %
                  </Button>
                )}
              </Stack>
            </Box>
          );
        })}
      </List>
      {cart.lines.length === 0 && <Typography color="text.secondary">Tap a product to start a sale.</Typography>}
      {priced.error && <Alert severity="error">{priced.error}</Alert>}
      {priced.value?.promotion.couponRejection && <Alert severity="warning">{priced.value.promotion.couponRejection.message}</Alert>}
      <Stack direction="row" spacing={1} sx={{ my: 1 }}>
        <TextField
          size="small"
          label="Coupon"
          value={cart.couponCode ?? ''}
          onChange={(e) => edit({ type: 'coupon', code: e.target.value || null })}
          sx={{ flex: 1 }}
        />
        {can(session, 'discount') && (
          <TextField
            size="small"
            label={`Cart % (max ${limit.toFixed()})`}
            value={cart.cartDiscountPercent ?? ''}
            error={!!cart.cartDiscountPercent && (!/^\d+(\.\d+)?$/.test(cart.cartDiscountPercent) || dec(cart.cartDiscountPercent).gt(limit))}
            onChange={(e) => {
              const text = e.target.value.trim();
              if (text && /^\d+(\.\d{0,4})?$/.test(text) && dec(text).gt(limit)) {
                notify(`Your limit is ${limit.toFixed()}%`, 'warning');
                return;
              }
              edit({ type: 'cartDiscount', percent: text || null });
            }}
            sx={{ width: 130 }}
          />
        )}
      </Stack>
      <Divider />
      {totals && (
        <Box sx={{ my: 1 }} data-testid="totals">
          <Row label="Subtotal" value={money(totals.subtotal)} />
          {totals.discount.gt(0) && <Row label="Discount" value={`−${money(totals.discount)}`} />}
          <Row label="Tax" value={money(totals.tax)} />
          <Row label="Total" value={money(totals.grandTotal)} strong testId="grand-total" />
        </Box>
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        <Button variant="outlined" onClick={onPark} disabled={cart.lines.length === 0}>
          Park
        </Button>
        <Button variant="outlined" onClick={onResume} data-testid="resume">
          Resume
        </Button>
        <Button
          variant="contained"
          sx={{ flex: 1 }}
          disabled={!canPay}
          onClick={onPay}
          data-testid="pay"
        >
          Pay {totals ? money(totals.grandTotal) : ''}
        </Button>
      </Stack>
    </Paper>
  );
}
