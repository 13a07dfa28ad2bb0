/**
 * Gift cards on the till (docs/ledgers.md): numbers as typed or made, shown masked, and what a
 * till offline may still take from a card. The same rules as till.domain.gift_cards.
 */
import { Decimal, ZERO } from './money';

/** 8 to 32 digits or capital letters, once spaces and dashes are dropped. */
const CARD_NUMBER = /^[0-9A-Z]{8,32}$/;
/** Digits of an e-card number the till makes (as the server's `new_card_number`). */
export const GENERATED_DIGITS = 19;

/** A number as typed or scanned, without spaces or dashes; null when it is no card number. */
export function readCardNumber(raw: string): string | null {
  const number = raw.replace(/[\s-]/g, '').toUpperCase();
  return CARD_NUMBER.test(number) ? number : null;
}

/** A new e-card number from the browser's secure random source (never Math.random). */
export function newCardNumber(random: (buffer: Uint32Array) => Uint32Array = (b) => crypto.getRandomValues(b)): string {
  const digits: number[] = [];
  const buffer = new Uint32Array(1);
  while (digits.length < GENERATED_DIGITS) {
    random(buffer);
    // Rejection sampling: values past the last whole multiple of 10 would favour low digits.
    if (buffer[0] >= 4_294_967_290) continue;
    const digit = buffer[0] % 10;
    if (digits.length === 0 && digit === 0) continue;
    digits.push(digit);
  }
  return digits.join('');
}

/** A card as a receipt shows it: `**** 1234`. */
export function masked(number: string): string {
  return `**** ${number.slice(-4)}`;
}

/**
 * What a till offline may still take from a card (or a customer's credit): the balance it last
 * saw and the shop's cap, less what it already took offline since.
 */
export function offlineAllowance(lastSeen: Decimal, spentOffline: Decimal, cap: Decimal): Decimal {
  return Decimal.max(ZERO, Decimal.min(lastSeen, cap).minus(spentOffline));
}
