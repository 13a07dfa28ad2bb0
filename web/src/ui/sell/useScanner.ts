/** A barcode scanner as a keyboard wedge: fast keys ending in Enter, caught anywhere but a text field. */
import { useEffect, useRef } from 'react';

/** Keys further apart than this (ms) are a person typing, not a scanner. */
const SCANNER_GAP_MS = 80;

export function useScanner(onScan: (code: string) => void): void {
  const wedge = useRef({ text: '', last: 0 });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      const now = performance.now();
      if (now - wedge.current.last > SCANNER_GAP_MS) wedge.current.text = '';
      wedge.current.last = now;
      if (event.key === 'Enter' && wedge.current.text.length >= 3) {
        onScan(wedge.current.text);
        wedge.current.text = '';
      } else if (event.key.length === 1) {
        wedge.current.text += event.key;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onScan]);
}
