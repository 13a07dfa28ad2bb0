/** Adding to the cart by tap, scan or scanner: the beep, the changed line to highlight, and what to announce. */
import { useCallback, useRef, useState } from 'react';
import { beep } from './beep';
import { dec } from '../../domain/money';
import { storageErrorMessage } from '../../data/db';
import { productByCode } from '../../data/search';
import type { CartState, Product } from '../../data/types';
import type { CartEdit } from './useCart';
import { useScanner } from './useScanner';

/** The last thing a scan or tap did: a product added (its SKU and name), or a code not found (sku null). */
interface Heard {
  seq: number;
  sku: string | null;
  name: string;
}

interface Adding {
  cart: CartState;
  edit: (change: CartEdit) => void;
  /** Pay is open: what is added now is listed in Pay. */
  paying: boolean;
  /** A product with options: the cashier picks one first. */
  onPick: (product: Product) => void;
  setError: (message: string) => void;
  notify: (message: string, severity: 'warning') => void;
}

export function useAddToCart({ cart, edit, paying, onPick, setError, notify }: Adding) {
  // Pay is open: read by the add callback, which must not change with it.
  const payingNow = useRef(false);
  payingNow.current = paying;
  const [addedWhilePaying, setAddedWhilePaying] = useState<string[]>([]);
  // Scanned codes still being looked up: the sale is not completed without them.
  const [scanning, setScanning] = useState(0);
  // The last add (or unknown scan), for the highlight and the announcement.
  const [heard, setHeard] = useState<Heard | null>(null);

  const add = useCallback(
    (product: Product) => {
      if (product.type === 'configurable') {
        onPick(product);
        return;
      }
      edit({ type: 'add', product, lineKey: crypto.randomUUID() });
      setHeard((last) => ({ seq: (last?.seq ?? 0) + 1, sku: product.sku, name: product.name }));
      if (payingNow.current) setAddedWhilePaying((names) => [...names, product.name]);
    },
    [edit, onPick],
  );

  /** Look a scanned (or typed) code up and add it; `fallback` is the one product a search showed. */
  const scan = useCallback(
    async (code: string, fallback: Product | null = null): Promise<boolean> => {
      setScanning((n) => n + 1);
      try {
        const product = (await productByCode(code)) ?? fallback;
        beep(product ? 'found' : 'unknown');
        if (product) add(product);
        else setHeard((last) => ({ seq: (last?.seq ?? 0) + 1, sku: null, name: `No product with barcode or SKU ${code}` }));
        return !!product;
      } catch (e) {
        setError(storageErrorMessage(e));
        return false;
      } finally {
        setScanning((n) => n - 1);
      }
    },
    [add, setError],
  );
  const wedgeScan = useCallback(
    (code: string) => {
      void scan(code).then((found) => {
        if (!found) notify(`No product with barcode or SKU ${code}`, 'warning');
      });
    },
    [scan, notify],
  );
  useScanner(wedgeScan);

  // What the last add changed: the cart line it went to and how many of it the cart now holds.
  const changedLine = heard?.sku ? cart.lines.find((l) => l.sku === heard.sku && !l.discount) : undefined;
  const inCart = heard?.sku ? cart.lines.filter((l) => l.sku === heard.sku).reduce((n, l) => n.plus(dec(l.qty)), dec(0)) : null;
  const changed = changedLine && heard ? { lineKey: changedLine.key, seq: heard.seq } : null;
  const announcement = !heard ? '' : heard.sku === null ? heard.name : inCart?.gt(0) ? `Added ${heard.name}, ${inCart.toString()} in cart` : '';

  const payOpened = useCallback(() => setAddedWhilePaying([]), []);
  return { add, scan, scanning: scanning > 0, addedWhilePaying, payOpened, changed, announcement };
}
