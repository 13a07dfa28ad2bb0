/** Small shared pieces of the sell screen: money as the cashier reads it, a label–value row. */
import { Stack, Typography } from '@mui/material';
import { type Decimal, moneyStr } from '../../domain/money';
import type { Bootstrap } from '../../data/types';

export const money = (value: Decimal | string) => `$${typeof value === 'string' ? value : moneyStr(value)}`;

/** An amount of money as typed: digits and at most two decimals. */
export const AMOUNT = /^\d+(\.\d{1,2})?$/;

export function Row({ label, value, strong, testId }: { label: string; value: string; strong?: boolean; testId?: string }) {
  return (
    <Stack direction="row" justifyContent="space-between">
      <Typography fontWeight={strong ? 700 : 400} variant={strong ? 'h6' : 'body2'} component="p">
        {label}
      </Typography>
      <Typography fontWeight={strong ? 700 : 400} variant={strong ? 'h6' : 'body2'} component="p" data-testid={testId}>
        {value}
      </Typography>
    </Stack>
  );
}

/** The name a receipt carries, the same at the sale and on a reprint: the store, then the location. */
export function storeNameOf(boot: Bootstrap | null | undefined, locationCode: string): string {
  const store = typeof boot?.store?.name === 'string' ? boot.store.name : null;
  const location = boot?.locations.find((l) => l.code === locationCode)?.name ?? null;
  return [store, location].filter(Boolean).join(' · ') || 'Till';
}
