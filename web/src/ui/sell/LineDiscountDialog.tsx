/**
 * A discount on one cart line, in percent or an amount, within the cashier's limit or a manager's
 * approval; the limit holds for the line's discount and the cart discount together.
 */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { combinedDiscountPercent, discountPercentOfRow } from '../../domain/cart';
import { type Decimal, dec } from '../../domain/money';
import type { CartApproval, CartLineState } from '../../data/types';
import { AMOUNT } from './format';
import { ManagerApproval } from './ManagerApproval';

export function LineDiscountDialog({
  line,
  row,
  limit,
  cartPercent,
  onClose,
  onApply,
}: {
  line: CartLineState;
  row: Decimal;
  limit: Decimal;
  /** The cart discount in percent (0 when none): it comes off what the line's discount leaves. */
  cartPercent: Decimal;
  onClose: () => void;
  onApply: (discount: CartLineState['discount'], approval?: CartApproval) => void;
}) {
  const [kind, setKind] = useState<'percent' | 'amount'>(line.discount?.kind ?? 'percent');
  const [value, setValue] = useState(line.discount?.value ?? '');
  const [approval, setApproval] = useState<CartApproval | null>(null);
  const valid = kind === 'percent' ? /^\d+(\.\d{1,4})?$/.test(value) : AMOUNT.test(value);
  const own = valid ? discountPercentOfRow(kind, dec(value), row) : null;
  const percent = own === null ? null : combinedDiscountPercent(own, cartPercent);
  const overOwn = percent !== null && percent.gt(limit);
  const over = overOwn && (approval === null || percent.gt(dec(approval.limit)));
  return (
    <Dialog open onClose={onClose}>
      <DialogTitle>Discount on {line.name}</DialogTitle>
      <DialogContent>
        <Stack direction="row" spacing={1} sx={{ my: 1 }}>
          <Button variant={kind === 'percent' ? 'contained' : 'outlined'} onClick={() => setKind('percent')}>
            %
          </Button>
          <Button variant={kind === 'amount' ? 'contained' : 'outlined'} onClick={() => setKind('amount')}>
            $
          </Button>
          <TextField value={value} onChange={(e) => setValue(e.target.value)} label={kind === 'percent' ? 'Percent' : 'Amount off the line'} />
        </Stack>
        {over && (
          <Alert severity="error">
            {cartPercent.isZero() ? 'Over' : `With the cart's ${cartPercent.toFixed()}% the line is ${percent.toDecimalPlaces(2).toFixed()}% off, over`} your limit of {limit.toFixed()}%: ask a manager.
          </Alert>
        )}
        {overOwn && approval && !over && (
          <Alert severity={approval.proof ? 'success' : 'warning'}>
            Approved by {approval.username}
            {approval.proof ? '' : ' offline: the server will flag it for a manager to confirm'}.
          </Alert>
        )}
        {over && <ManagerApproval onApproved={setApproval} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onApply(null)}>Remove</Button>
        <Button variant="contained" disabled={!valid || over || dec(value).isZero()} onClick={() => onApply({ kind, value }, overOwn && approval ? approval : undefined)}>
          Apply
        </Button>
      </DialogActions>
    </Dialog>
  );
}
