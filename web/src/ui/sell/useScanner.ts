/**
 * A barcode scanner as a keyboard wedge: fast keys ending in Enter. Caught anywhere: outside a
 * field, and in any field but the search (which adds what is scanned into it itself): a scan
 * that lands in the coupon, the cart % or the pay amount is taken out of that field again and
 * goes to the cart.
 */
import { useEffect, useRef } from 'react';

/** Keys further apart than this (ms) are a person typing, not a scanner. */
const SCANNER_GAP_MS = 80;
/** In a field a person may type quickly too: a scan there is faster and at least this long. */
const FIELD_GAP_MS = 50;
const FIELD_MIN_LENGTH = 4;

type Field = HTMLInputElement | HTMLTextAreaElement;

const isField = (target: EventTarget | null): target is Field => target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;

/** Put a React-controlled field back to a value, as if the cashier had typed it. */
function restore(field: Field, value: string): void {
  const prototype = field instanceof HTMLInputElement ? HTMLInputElement.prototype : HTMLTextAreaElement.prototype;
  Object.getOwnPropertyDescriptor(prototype, 'value')?.set?.call(field, value);
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

export function useScanner(onScan: (code: string) => void): void {
  const burst = useRef({ text: '', last: 0, slowest: 0, field: null as Field | null, before: '' });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const state = burst.current;
      // When the key was pressed, not when it is handled: keys queued behind a busy render keep
      // their spacing, so one scan is not split in two (nor a person's typing made a scan).
      const now = event.timeStamp;
      const gap = now - state.last;
      const field = isField(event.target) ? event.target : null;
      if (field?.dataset.scanHome === 'true') {
        state.text = '';
        return;
      }
      if (gap > SCANNER_GAP_MS || field !== state.field) {
        state.text = '';
        state.slowest = 0;
        state.field = field;
        state.before = field?.value ?? '';
      } else if (state.text) {
        state.slowest = Math.max(state.slowest, gap);
      }
      state.last = now;
      if (event.key === 'Enter') {
        const code = state.text;
        state.text = '';
        if (!field && code.length >= 3) {
          // The scanner's Enter is not the focused button's: it must not complete a sale.
          event.preventDefault();
          event.stopPropagation();
          onScan(code);
        } else if (field && code.length >= FIELD_MIN_LENGTH && state.slowest <= FIELD_GAP_MS && gap <= FIELD_GAP_MS) {
          // Not the field's Enter (no coupon applied, no payment taken): the scan goes to the cart.
          event.preventDefault();
          event.stopPropagation();
          restore(field, state.before);
          onScan(code);
        }
      } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
        state.text += event.key;
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onScan]);
}
