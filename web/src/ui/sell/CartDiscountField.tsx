/**
 * The cart-wide discount in percent. What is typed stays as typed: a percent over the cashier's
 * limit (or not a number) is refused with the reason and no discount applies, never another one.
 */
import { TextField } from '@mui/material';
import { useState } from 'react';
import { type Decimal, dec } from '../../domain/money';

const PERCENT = /^\d+(\.\d{1,4})?$/;

/** Why a typed percent cannot apply, or null when it can (blank means no discount). */
export function cartPercentProblem(text: string, limit: Decimal): string | null {
  if (!text) return null;
  if (!PERCENT.test(text)) return 'Type a percent, like 5 or 12.5';
  if (dec(text).gt(limit)) return `${dec(text).toFixed()}% is over your limit of ${limit.toFixed()}%: ask a manager`;
  return null;
}

export function CartDiscountField({ value, limit, onApply }: { value: string | null; limit: Decimal; onApply: (percent: string | null) => void }) {
  // What the cashier typed, while it differs from what applies (a refused percent).
  const [typed, setTyped] = useState<string | null>(null);
  const text = typed ?? value ?? '';
  const problem = cartPercentProblem(text, limit);
  return (
    <TextField
      size="small"
      label="Cart %"
      value={text}
      error={problem !== null}
      helperText={problem ?? `up to ${limit.toFixed()}%`}
      onChange={(e) => {
        const next = e.target.value.trim();
        if (cartPercentProblem(next, limit) === null) {
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
