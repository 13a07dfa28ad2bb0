/** The sell screen: find products (grid, search, scanner), build the cart, take payment. */
import {
  Alert,
  Box,
  Button,
  Card,
  CardActionArea,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  IconButton,
  List,
  ListItemButton,
  ListItemText,
  Paper,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type StockOut, call } from '../api/client';
import { type CartItem, type PricedCart, businessDay, discountPercentOfRow, priceCart } from '../domain/cart';
import { Decimal, ZERO, dec, moneyStr, qtyStr } from '../domain/money';
import { changeDue } from '../domain/refunds';
import { db, getMeta, setMeta, storageErrorMessage } from '../data/db';
import { loadPricingRules } from '../data/pricing';
import { createCustomer, currentShift, recordSale } from '../data/sales';
import type { CartLineState, CartState, Customer, Product, Receipt } from '../data/types';
import { flushSoon } from '../sync/client';
import { productByCode, searchProducts } from '../data/search';
import { useLive } from './hooks';
import { ReceiptView } from './ReceiptView';
import { can, useTill } from './session';

const EMPTY_CART: CartState = { lines: [], customerKey: null, couponCode: null, cartDiscountPercent: null };
const money = (value: Decimal | string) => `$${typeof value === 'string' ? value : moneyStr(value)}`;

export function Sell({ onNeedShift }: { onNeedShift: () => void }) {
  const { device, session, boot, notify } = useTill();
  const database = db();
  const cartKey = `cart:${device.registerCode}`;
  const [cart, setCartState] = useState<CartState>(EMPTY_CART);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Product[] | null>(null);
  const [category, setCategory] = useState<number | null>(null);
  const [picker, setPicker] = useState<Product | null>(null);
  const [checkout, setCheckout] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [customerOpen, setCustomerOpen] = useState(false);
  const [parkedOpen, setParkedOpen] = useState(false);
  const [stockSku, setStockSku] = useState<string | null>(null);
  const [discountLine, setDiscountLine] = useState<CartLineState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shift = useLive(() => currentShift(database, device.registerCode), [device.registerCode], null);
  const location = boot?.locations.find((l) => l.code === device.locationCode);
  const stockId = location?.stock_id ?? 0;
  const day = businessDay(new Date(), location?.timezone ?? 'UTC');

  useEffect(() => {
    void getMeta<CartState>(database, cartKey).then((saved) => saved && setCartState(saved));
  }, [database, cartKey]);

  /** Every cart change is kept on the device at once: a reload never loses what was rung up. */
  const setCart = useCallback(
    (update: (cart: CartState) => CartState) => {
      setCartState((current) => {
        const next = update(current);
        setMeta(database, cartKey, next).catch((e: unknown) => setError(storageErrorMessage(e)));
        return next;
      });
    },
    [database, cartKey],
  );

  const categories = useMemo(
    () => (boot?.categories ?? []).filter((c) => c.parent_id !== null && boot?.categories.some((p) => p.id === c.parent_id && p.parent_id === null)),
    [boot],
  );
  const browse = useLive(
    async () => {
      if (category === null) return [];
      const rows = await database.products.where('category_ids').equals(category).limit(200).toArray();
      return rows.filter((p) => p.enabled && p.parent_sku === null);
    },
    [category],
    [] as Product[],
  );
  const shown = results ?? browse;
  const stockBySku = useLive(
    async () => {
      const rows = await database.stock.bulkGet(shown.map((p) => `${p.sku}@${stockId}`));
      return new Map(rows.filter((r) => r !== undefined).map((r) => [r.sku, r.salable]));
    },
    [shown, stockId],
    new Map<string, string>(),
  );

  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setResults(null);
      return;
    }
    let cancelled = false;
    const started = performance.now();
    void searchProducts(text, 24).then((found) => {
      if (cancelled) return;
      // The IndexedDB part of a search, for bench/web_rail.mjs (the rest is rendering).
      performance.measure('till:search-query', { start: started });
      setResults(found);
    });
    return () => {
      cancelled = true;
    };
  }, [query]);

  const customer = useLive(async () => (cart.customerKey ? ((await database.customers.get(cart.customerKey)) ?? null) : null), [cart.customerKey], null as Customer | null);
  const rules = useLive(() => loadPricingRules(database, device.locationCode), [device.locationCode], null);
  const prices = useLive(
    async () => {
      const skus = cart.lines.map((l) => l.sku);
      const [products, priceRows] = await Promise.all([database.products.bulkGet(skus), database.prices.bulkGet(skus)]);
      return skus.map((_, i) => ({ product: products[i], price: priceRows[i] ?? products[i] }));
    },
    [cart.lines.map((l) => l.sku).join('|')],
    [],
  );

  const priced: { value: PricedCart | null; error: string | null } = useMemo(() => {
    if (!rules || cart.lines.length === 0 || prices.length !== cart.lines.length) return { value: null, error: null };
    try {
      const items: CartItem[] = cart.lines.map((line, i) => ({
        key: line.key,
        sku: line.sku,
        qty: dec(line.qty),
        taxClass: prices[i].product?.tax_class ?? 'Taxable Goods',
        price: prices[i].price ?? { price: line.unitPrice, special_price: null, special_from: null, special_to: null, tier_prices: [] },
        lineDiscount: line.discount ? { kind: line.discount.kind, value: dec(line.discount.value) } : null,
      }));
      const value = priceCart(items, rules, {
        groupId: customer?.group_id ?? 0,
        day,
        couponCode: cart.couponCode,
        cartDiscountPercent: cart.cartDiscountPercent ? dec(cart.cartDiscountPercent) : null,
      });
      return { value, error: null };
    } catch (e) {
      return { value: null, error: e instanceof Error ? e.message : String(e) };
    }
  }, [rules, cart, prices, customer, day]);

  const add = useCallback(
    (product: Product) => {
      if (product.type === 'configurable') {
        setPicker(product);
        return;
      }
      setCart((c) => {
        const existing = c.lines.find((l) => l.sku === product.sku && !l.discount);
        if (existing) return { ...c, lines: c.lines.map((l) => (l === existing ? { ...l, qty: qtyStr(dec(l.qty).plus(1)) } : l)) };
        const line: CartLineState = { key: crypto.randomUUID(), sku: product.sku, name: product.name, qty: '1', unitPrice: product.price, discount: null };
        return { ...c, lines: [...c.lines, line] };
      });
    },
    [setCart],
  );

  const scan = useCallback(
    async (code: string) => {
      const product = await productByCode(code);
      if (product) {
        add(product);
        return true;
      }
      notify(`No product with barcode or SKU ${code}`, 'warning');
      return false;
    },
    [add, notify],
  );

  // Barcode scanners type fast and end with Enter: catch that anywhere but in a text field.
  const wedge = useRef({ text: '', last: 0 });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      const now = performance.now();
      if (now - wedge.current.last > 80) wedge.current.text = '';
      wedge.current.last = now;
      if (event.key === 'Enter' && wedge.current.text.length >= 3) {
        void scan(wedge.current.text);
        wedge.current.text = '';
      } else if (event.key.length === 1) {
        wedge.current.text += event.key;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [scan]);

  const setQty = (line: CartLineState, qty: Decimal) =>
    setCart((c) => ({ ...c, lines: qty.lte(0) ? c.lines.filter((l) => l !== line) : c.lines.map((l) => (l === line ? { ...l, qty: qtyStr(qty) } : l)) }));

  async function park() {
    if (cart.lines.length === 0) return;
    try {
      await database.parked.add({ parkedAt: new Date().toISOString(), label: `${cart.lines.length} items${customer ? ` · ${customer.firstname}` : ''}`, cart });
      setCart(() => EMPTY_CART);
      notify('Cart parked', 'success');
    } catch (e) {
      setError(storageErrorMessage(e));
    }
  }

  async function completeSale(payments: { method: 'cash' | 'card' | 'other'; amount: Decimal }[]) {
    if (!priced.value) return;
    try {
      const done = await recordSale(database, {
        who: { staffId: session.staffId, staffName: session.name, registerCode: device.registerCode, locationCode: device.locationCode },
        cart,
        priced: priced.value,
        names: cart.lines.map((l) => l.name),
        customer,
        payments,
      });
      setCart(() => EMPTY_CART);
      setCheckout(false);
      setReceipt(done);
      void flushSoon();
    } catch (e) {
      setError(storageErrorMessage(e));
    }
  }

  const totals = priced.value?.totals;
  const limit = dec(session.maxDiscountPercent);

  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '3fr 2fr' }, alignItems: 'start' }}>
      <Box>
        {!shift && (
          <Alert severity="warning" action={<Button onClick={onNeedShift}>Open shift</Button>} sx={{ mb: 1 }}>
            The register's shift is not open.
          </Alert>
        )}
        {error && (
          <Alert severity="error" onClose={() => setError(null)} sx={{ mb: 1 }} data-testid="storage-error">
            {error}
          </Alert>
        )}
        <TextField
          fullWidth
          label="Search name or SKU, or scan"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && query.trim()) {
              void productByCode(query).then((exact) => {
                if (exact) {
                  add(exact);
                  setQuery('');
                } else if (results && results.length === 1) {
                  add(results[0]);
                  setQuery('');
                }
              });
            }
          }}
          slotProps={{ htmlInput: { 'data-testid': 'search' } }}
        />
        <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" sx={{ my: 1 }}>
          {categories.map((c) => (
            <Chip
              key={c.id}
              label={c.name}
              color={category === c.id ? 'primary' : 'default'}
              onClick={() => {
                setQuery('');
                setCategory(c.id);
              }}
              sx={{ height: 40, fontSize: 15 }}
            />
          ))}
        </Stack>
        <Box sx={{ display: 'grid', gap: 1, gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))' }} data-testid="product-grid">
          {shown.map((p) => (
            <ProductTile key={p.sku} product={p} salable={stockBySku.get(p.sku)} onAdd={add} onStock={setStockSku} />
          ))}
          {shown.length === 0 && (
            <Typography color="text.secondary" sx={{ p: 2 }}>
              {query ? 'No products match.' : 'Pick a category or search.'}
            </Typography>
          )}
        </Box>
      </Box>

      <Paper sx={{ p: 2, position: { md: 'sticky' }, top: { md: 80 } }} data-testid="cart">
        <Stack direction="row" justifyContent="space-between" alignItems="center">
          <Typography variant="h6">Cart</Typography>
          <Button onClick={() => setCustomerOpen(true)} data-testid="attach-customer">
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
                    <Button size="small" sx={{ minWidth: 40 }} onClick={() => setDiscountLine(line)} aria-label="line discount">
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
            onChange={(e) => setCart((c) => ({ ...c, couponCode: e.target.value || null }))}
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
                setCart((c) => ({ ...c, cartDiscountPercent: text || null }));
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
          <Button variant="outlined" onClick={park} disabled={cart.lines.length === 0}>
            Park
          </Button>
          <Button variant="outlined" onClick={() => setParkedOpen(true)} data-testid="resume">
            Resume
          </Button>
          <Button
            variant="contained"
            sx={{ flex: 1 }}
            disabled={!priced.value || !shift}
            onClick={() => setCheckout(true)}
            data-testid="pay"
          >
            Pay {totals ? money(totals.grandTotal) : ''}
          </Button>
        </Stack>
      </Paper>

      {picker && <VariantPicker parent={picker} onClose={() => setPicker(null)} onPick={(p) => { add(p); setPicker(null); }} />}
      {checkout && totals && <Checkout due={totals.grandTotal} onCancel={() => setCheckout(false)} onPaid={completeSale} />}
      {receipt && (
        <Dialog open onClose={() => setReceipt(null)} fullWidth maxWidth="xs">
          <DialogContent>
            <ReceiptView receipt={receipt} storeName={String(boot?.store?.name ?? location?.name ?? 'Till')} />
          </DialogContent>
          <DialogActions className="no-print">
            <Button href={`mailto:${customer?.email ?? ''}?subject=${encodeURIComponent(`Receipt ${receipt.receiptNumber}`)}&body=${encodeURIComponent(receiptText(receipt))}`}>Email</Button>
            <Button onClick={() => window.print()}>Print</Button>
            <Button variant="contained" onClick={() => setReceipt(null)} data-testid="new-sale">
              New sale
            </Button>
          </DialogActions>
        </Dialog>
      )}
      {customerOpen && (
        <CustomerDialog
          onClose={() => setCustomerOpen(false)}
          onPick={(c) => {
            setCart((cur) => ({ ...cur, customerKey: c?.key ?? null }));
            setCustomerOpen(false);
          }}
        />
      )}
      {parkedOpen && (
        <ParkedDialog
          onClose={() => setParkedOpen(false)}
          onResume={(resumed) => {
            if (cart.lines.length > 0) void park();
            setCart(() => resumed);
            setParkedOpen(false);
          }}
        />
      )}
      {stockSku && <StockDialog sku={stockSku} onClose={() => setStockSku(null)} />}
      {discountLine && (
        <LineDiscountDialog
          line={discountLine}
          row={dec(discountLine.unitPrice).times(dec(discountLine.qty))}
          limit={limit}
          onClose={() => setDiscountLine(null)}
          onApply={(discount) => {
            setCart((c) => ({ ...c, lines: c.lines.map((l) => (l.key === discountLine.key ? { ...l, discount } : l)) }));
            setDiscountLine(null);
          }}
        />
      )}
    </Box>
  );
}

/** One product in the grid; memoised so a cart change does not re-render the whole grid. */
const ProductTile = memo(function ProductTile({
  product: p,
  salable,
  onAdd,
  onStock,
}: {
  product: Product;
  salable: string | undefined;
  onAdd: (p: Product) => void;
  onStock: (sku: string) => void;
}) {
  const simple = p.type !== 'configurable';
  return (
    <Card variant="outlined" data-testid={`product-${p.sku}`}>
      <CardActionArea onClick={() => onAdd(p)} sx={{ p: 1.5, minHeight: 96, display: 'block' }}>
        <div style={{ fontWeight: 500, fontSize: 14, lineHeight: 1.2 }}>{p.name}</div>
        <div style={{ fontSize: 12, color: '#666' }}>{p.sku}</div>
        <div style={{ display: 'flex', justifyContent: 'space-between', marginTop: 4, fontSize: 14 }}>
          <b>{simple ? money(p.price) : 'options…'}</b>
          {simple && (
            <span data-testid={`stock-${p.sku}`} style={{ fontSize: 12, color: salable !== undefined && dec(salable).lte(0) ? '#d32f2f' : '#666' }}>
              {salable !== undefined ? `${qtyStr(dec(salable))} left` : ''}
            </span>
          )}
        </div>
      </CardActionArea>
      {simple && (
        <Button size="small" onClick={() => onStock(p.sku)} sx={{ minHeight: 32, width: '100%' }}>
          Stock
        </Button>
      )}
    </Card>
  );
});

export function receiptText(receipt: Receipt): string {
  const lines = receipt.lines.map((l) => `${l.qty} × ${l.name}  ${l.rowGrandTotal}`);
  return [`Receipt ${receipt.receiptNumber}`, ...lines, `Total ${receipt.grandTotal}`, `Tax ${receipt.tax}`].join('\n');
}

function Row({ label, value, strong, testId }: { label: string; value: string; strong?: boolean; testId?: string }) {
  return (
    <Stack direction="row" justifyContent="space-between">
      <Typography fontWeight={strong ? 700 : 400} variant={strong ? 'h6' : 'body2'}>
        {label}
      </Typography>
      <Typography fontWeight={strong ? 700 : 400} variant={strong ? 'h6' : 'body2'} data-testid={testId}>
        {value}
      </Typography>
    </Stack>
  );
}

const AMOUNT = /^\d+(\.\d{1,2})?$/;

function Checkout({ due, onCancel, onPaid }: { due: Decimal; onCancel: () => void; onPaid: (payments: { method: 'cash' | 'card'; amount: Decimal }[]) => Promise<void> }) {
  const [payments, setPayments] = useState<{ method: 'cash' | 'card'; amount: Decimal }[]>([]);
  const paid = payments.reduce((s, p) => s.plus(p.amount), ZERO);
  const remaining = Decimal.max(ZERO, due.minus(paid));
  const [amount, setAmount] = useState(moneyStr(due));
  const [busy, setBusy] = useState(false);
  useEffect(() => setAmount(moneyStr(remaining)), [remaining.toFixed(2)]); // eslint-disable-line react-hooks/exhaustive-deps
  let change: Decimal | null = null;
  let problem: string | null = null;
  try {
    change = changeDue(due, payments);
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  const addPayment = (method: 'cash' | 'card') => {
    if (!AMOUNT.test(amount.trim()) || dec(amount).lte(0)) return;
    const value = dec(amount);
    if (method === 'card' && value.gt(remaining)) return;
    setPayments((p) => [...p, { method, amount: value }]);
  };
  return (
    <Dialog open onClose={onCancel} fullWidth maxWidth="xs">
      <DialogTitle>Pay {money(due)}</DialogTitle>
      <DialogContent>
        <TextField
          fullWidth
          label="Amount"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'pay-amount' } }}
          sx={{ mt: 1 }}
          error={!!amount && !AMOUNT.test(amount.trim())}
        />
        <Stack direction="row" spacing={1} sx={{ my: 1 }}>
          <Button variant="outlined" fullWidth onClick={() => addPayment('cash')} data-testid="add-cash">
            Cash
          </Button>
          <Button variant="outlined" fullWidth onClick={() => addPayment('card')} data-testid="add-card" disabled={remaining.isZero()}>
            Card
          </Button>
        </Stack>
        <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap">
          {['10', '20', '50', '100'].map((note) => (
            <Button key={note} size="small" variant="text" onClick={() => setPayments((p) => [...p, { method: 'cash', amount: dec(note) }])}>
              ${note} cash
            </Button>
          ))}
        </Stack>
        <List dense>
          {payments.map((p, i) => (
            <ListItemButton key={i} onClick={() => setPayments((all) => all.filter((_, j) => j !== i))}>
              <ListItemText primary={`${p.method} ${money(p.amount)}`} secondary="tap to remove" />
            </ListItemButton>
          ))}
        </List>
        <Row label="Still due" value={money(remaining)} />
        {change !== null && <Row label="Change due" value={money(change)} strong testId="change-due" />}
        {problem && payments.length > 0 && remaining.isZero() && <Alert severity="warning">{problem}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel}>Back</Button>
        <Button
          variant="contained"
          disabled={change === null || busy}
          data-testid="complete-sale"
          onClick={() => {
            setBusy(true);
            void onPaid(payments).finally(() => setBusy(false));
          }}
        >
          Complete sale
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function VariantPicker({ parent, onClose, onPick }: { parent: Product; onClose: () => void; onPick: (p: Product) => void }) {
  const { boot } = useTill();
  const variants = useLive(() => db().products.where('parent_sku').equals(parent.sku).toArray(), [parent.sku], [] as Product[]);
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const label = (code: string, value: string | number) =>
    boot?.attributes.find((a) => a.code === code)?.options.find((o) => String(o.value) === String(value))?.label ?? String(value);
  const match = variants.find((v) => v.enabled && parent.configurable_attributes.every((code) => chosen[code] !== undefined && String(v.attributes[code]) === chosen[code]));
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{parent.name}</DialogTitle>
      <DialogContent>
        {parent.configurable_attributes.map((code) => {
          const values = [...new Set(variants.map((v) => String(v.attributes[code])))];
          return (
            <Box key={code} sx={{ mb: 2 }}>
              <Typography variant="subtitle2">{boot?.attributes.find((a) => a.code === code)?.label ?? code}</Typography>
              <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap">
                {values.map((value) => (
                  <Button key={value} variant={chosen[code] === value ? 'contained' : 'outlined'} onClick={() => setChosen((c) => ({ ...c, [code]: value }))}>
                    {label(code, value)}
                  </Button>
                ))}
              </Stack>
            </Box>
          );
        })}
        {match && (
          <Typography>
            {match.sku} · {money(match.price)}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!match} onClick={() => match && onPick(match)} data-testid="picker-add">
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function LineDiscountDialog({
  line,
  row,
  limit,
  onClose,
  onApply,
}: {
  line: CartLineState;
  row: Decimal;
  limit: Decimal;
  onClose: () => void;
  onApply: (discount: CartLineState['discount']) => void;
}) {
  const [kind, setKind] = useState<'percent' | 'amount'>(line.discount?.kind ?? 'percent');
  const [value, setValue] = useState(line.discount?.value ?? '');
  const valid = kind === 'percent' ? /^\d+(\.\d{1,4})?$/.test(value) : AMOUNT.test(value);
  const over = valid && discountPercentOfRow(kind, dec(value), row).gt(limit);
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
        {over && <Alert severity="error">Over your limit of {limit.toFixed()}%: ask a manager.</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onApply(null)}>Remove</Button>
        <Button variant="contained" disabled={!valid || over || dec(value).isZero()} onClick={() => onApply({ kind, value })}>
          Apply
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function CustomerDialog({ onClose, onPick }: { onClose: () => void; onPick: (c: Customer | null) => void }) {
  const { device, session, notify } = useTill();
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState(false);
  const [form, setForm] = useState({ firstname: '', lastname: '', email: '', phone: '' });
  const found = useLive(
    async () => {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length === 0) return [];
      const [first, ...rest] = words;
      const rows = await db().customers.where('words').startsWith(first).limit(60).toArray();
      const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
      return unique.filter((c) => rest.every((w) => c.words?.some((x) => x.startsWith(w)))).slice(0, 20);
    },
    [query],
    [] as Customer[],
  );
  async function create() {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email) || !form.firstname || !form.lastname) {
      notify('A first name, last name and a valid e-mail are needed', 'warning');
      return;
    }
    try {
      const customer = await createCustomer(db(), device.registerCode, { ...form, phone: form.phone || null, groupId: 1 });
      void flushSoon();
      onPick(customer);
    } catch (e) {
      notify(storageErrorMessage(e), 'error');
    }
  }
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Customer</DialogTitle>
      <DialogContent>
        {!creating ? (
          <>
            <TextField fullWidth autoFocus label="Search name, e-mail or phone" value={query} onChange={(e) => setQuery(e.target.value)} sx={{ mt: 1 }} />
            <List>
              {found.map((c) => (
                <ListItemButton key={c.key} onClick={() => onPick(c)}>
                  <ListItemText primary={`${c.firstname} ${c.lastname}`} secondary={`${c.email}${c.id === null ? ' · not yet sent' : ''}`} />
                </ListItemButton>
              ))}
            </List>
          </>
        ) : (
          <Stack spacing={1} sx={{ mt: 1 }}>
            {(['firstname', 'lastname', 'email', 'phone'] as const).map((field) => (
              <TextField key={field} label={field} value={form[field]} onChange={(e) => setForm((f) => ({ ...f, [field]: e.target.value }))} />
            ))}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onPick(null)}>No customer</Button>
        {creating ? (
          <Button variant="contained" onClick={create} disabled={!can(session, 'customer_create')}>
            Save customer
          </Button>
        ) : (
          <Button onClick={() => setCreating(true)}>New customer</Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

function ParkedDialog({ onClose, onResume }: { onClose: () => void; onResume: (cart: CartState) => void }) {
  const parked = useLive(() => db().parked.orderBy('parkedAt').reverse().toArray(), [], []);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Parked carts</DialogTitle>
      <DialogContent>
        {parked.length === 0 && <Typography>No parked carts.</Typography>}
        <List>
          {parked.map((p) => (
            <ListItemButton
              key={p.id}
              onClick={() => {
                void db().parked.delete(p.id!);
                onResume(p.cart);
              }}
            >
              <ListItemText primary={p.label} secondary={new Date(p.parkedAt).toLocaleTimeString()} />
            </ListItemButton>
          ))}
        </List>
      </DialogContent>
    </Dialog>
  );
}

function StockDialog({ sku, onClose }: { sku: string; onClose: () => void }) {
  const { session, boot } = useTill();
  const [stock, setStock] = useState<StockOut | null>(null);
  const [failed, setFailed] = useState(false);
  const local = useLive(() => db().stock.where('sku').equals(sku).toArray(), [sku], []);
  useEffect(() => {
    void call<StockOut>({ baseUrl: location.origin, token: session.token }, 'GET', `/api/stock/${encodeURIComponent(sku)}`)
      .then(setStock)
      .catch(() => setFailed(true));
  }, [sku, session.token]);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Stock of {sku}</DialogTitle>
      <DialogContent data-testid="stock-dialog">
        {stock ? (
          <>
            <Typography variant="subtitle2">Salable by location</Typography>
            {Object.entries(stock.salable_by_location).map(([code, qty]) => (
              <Row key={code} label={boot?.locations.find((l) => l.code === code)?.name ?? code} value={qtyStr(dec(qty))} />
            ))}
            <Typography variant="subtitle2" sx={{ mt: 1 }}>
              On hand by source
            </Typography>
            {stock.sources.map((s) => (
              <Row key={s.source_code} label={s.source_name} value={qtyStr(dec(s.quantity))} />
            ))}
          </>
        ) : (
          <>
            {failed && <Alert severity="info">Offline: showing this till's own copy.</Alert>}
            {local.map((row) => (
              <Row key={row.key} label={`stock ${row.stock_id}`} value={qtyStr(dec(row.salable))} />
            ))}
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
