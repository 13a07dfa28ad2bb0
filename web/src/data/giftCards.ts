/**
 * What this till knows of gift cards: the balance it last saw of each card (asked online) and
 * what it took from it offline since, keyed by the number's SHA-256 digest (never the number).
 */
import { type Credentials, NetworkError, call } from '../api/client';
import { offlineAllowance } from '../domain/giftCards';
import { Decimal, ZERO, dec, moneyStr } from '../domain/money';
import { type TillDB, getMeta, setMeta } from './db';

interface Seen {
  balance: string;
  spentOffline: string;
}

export interface CardBalance {
  card: string;
  balance: string;
  offline_cap: string;
}

async function digest(number: string): Promise<string> {
  const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(number));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

const keyOf = async (number: string) => `giftCard:${await digest(number)}`;

/** Ask the server for a card's balance and remember it; null when the server is not reachable. */
export async function fetchBalance(database: TillDB, creds: Credentials, number: string): Promise<CardBalance | null> {
  try {
    const found = await call<CardBalance>(creds, 'POST', '/api/gift-cards/balance', { number });
    await setMeta(database, await keyOf(number), { balance: found.balance, spentOffline: '0.00' } satisfies Seen);
    return found;
  } catch (error) {
    if (error instanceof NetworkError) return null;
    throw error;
  }
}

/** What this till may take from a card now: online, its balance; offline, within the cap. */
export async function spendable(database: TillDB, creds: Credentials, number: string, cap: Decimal): Promise<{ amount: Decimal; online: boolean }> {
  const found = await fetchBalance(database, creds, number);
  if (found) return { amount: Decimal.max(ZERO, dec(found.balance)), online: true };
  const seen = await getMeta<Seen>(database, await keyOf(number));
  if (!seen) return { amount: ZERO, online: false };
  return { amount: offlineAllowance(dec(seen.balance), dec(seen.spentOffline), cap), online: false };
}

/** Count what a sale took from a card (offline: against the allowance until the next look-up). */
export async function noteSpent(database: TillDB, number: string, amount: Decimal): Promise<void> {
  const key = await keyOf(number);
  const seen = await getMeta<Seen>(database, key);
  if (!seen) return;
  // The balance seen stays as the server said it; what was taken since counts against it.
  await setMeta(database, key, { balance: seen.balance, spentOffline: moneyStr(dec(seen.spentOffline).plus(amount)) } satisfies Seen);
}
