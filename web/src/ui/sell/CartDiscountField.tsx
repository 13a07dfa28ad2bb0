/**
 * The cart-wide discount in percent. What is typed stays as typed: a percent over the cashier's
 * limit (or not a number) is refused with the reason and no discount applies, never another one.
 * The limit holds for each line's discount and the cart's together, as the server judges it.
 */
import { TextField } from '@mui/material';
import { useState } from 'react';
import { combinedDiscountPercent } from '../../domain/cart';
import { type Decimal, ZERO, dec } from '../../domain/money';

const PERCENT = /^\d+(\.\d{1,4})?$/;

/** Why a typed percent cannot apply, or null when it can (blank means no discount). */
/** `lineDiscount` is the largest discount a line has of its own (percent of its row). */
export function cartPercentProblem(text: string, limit: Decimal, lineDiscount: Decimal = ZERO): string | null {
  if (!text) return null;
  if (!PERCENT.test(text)) return 'Type a percent, like 5 or 12.5';
  const percent = dec(text);
  if (percent.gt(limit)) return `${percent.toFixed()}% is over your limit of ${limit.toFixed()}%: ask a manager`;
  const together = combinedDiscountPercent(lineDiscount, percent);
  if (together.gt(limit)) {
    const shown = (p: Decimal) => p.toDecimalPlaces(2).toFixed();
    return `${shown(percent)}% more on a line already ${shown(lineDiscount)}% off takes ${shown(together)}% off it, over your limit of ${limit.toFixed()}%: ask a manager`;
  }
  return null;
}

export function CartDiscountField({
  value,
  limit,
  lineDiscount,
  onApply,
}: {
  value: string | null;
  limit: Decimal;
  lineDiscount: Decimal;
  onApply: (percent: string | null) => void;
}) {
  // What the cashier typed, while it differs from what applies (a refused percent).
  const [typed, setTyped] = useState<string | null>(null);
  const text = typed ?? value ?? '';
  const problem = cartPercentProblem(text, limit, lineDiscount);
  return (
    <TextField
      size="small"
      label="Cart %"
      value={text}
      error={problem !== null}
      helperText={problem ?? `up to ${limit.toFixed()}%`}
      onChange={(e) => {
        const next = e.target.value.trim();
        if (cartPercentProblem(next, limit, lineDiscount) === null) {
          setTyped(null);
          onApply(next || null);
        } else {
          setTyped(next);
          onApply(null);
        }
      }}
      slotProps={{ htmlInput: { inputMode: 'decimal' } }}
      sx={{ width: { xs: '100%', sm: 150 } }}
    />
  );
}
