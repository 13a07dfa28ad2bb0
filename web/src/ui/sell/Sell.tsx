/** The sell screen: find products (grid, search, scanner), build the cart, take payment. */
import { Alert, Box, Button } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { businessDay } from '../../domain/cart';
import { dec } from '../../domain/money';
import { EMPTY_CART, receiptSeen, unseenReceipt } from '../../data/carts';
import { db, storageErrorMessage } from '../../data/db';
import { currentShift, recordSale } from '../../data/sales';
import { productByCode } from '../../data/search';
import type { CartLineState, Customer, Product, Receipt } from '../../data/types';
import { flushSoon } from '../../sync/client';
import { useLive } from '../hooks';
import { actorOf, useTill } from '../session';
import { CartPanel } from './CartPanel';
import { Checkout, type Tender } from './Checkout';
import { CustomerDialog } from './CustomerDialog';
import { LineDiscountDialog } from './LineDiscountDialog';
import { ParkedDialog } from './ParkedDialog';
import { ProductFinder } from './ProductFinder';
import { ReceiptDialog } from './ReceiptDialog';
import { StockDialog } from './StockDialog';
import { useCart } from './useCart';
import { useParking } from './useParking';
import { usePricing } from './usePricing';
import { useScanner } from './useScanner';
import { VariantPicker } from './VariantPicker';

export function Sell({ onNeedShift }: { onNeedShift: () => void }) {
  const { device, session, boot, notify } = useTill();
  const database = db();
  const [error, setError] = useState<string | null>(null);
  const { cart, edit, adopt } = useCart(database, device.registerCode, setError);
  const [picker, setPicker] = useState<Product | null>(null);
  const [checkout, setCheckout] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [customerOpen, setCustomerOpen] = useState(false);
  const [parkedOpen, setParkedOpen] = useState(false);
  const [stockSku, setStockSku] = useState<string | null>(null);
  const [discountLine, setDiscountLine] = useState<CartLineState | null>(null);
  const shift = useLive(() => currentShift(database, device.registerCode), [device.registerCode], null);
  const location = boot?.locations.find((l) => l.code === device.locationCode);
  const day = businessDay(new Date(), location?.timezone ?? 'UTC');
  const customer = useLive(async () => (cart.customerKey ? ((await database.customers.get(cart.customerKey)) ?? null) : null), [cart.customerKey], null as Customer | null);
  const priced = usePricing(database, cart, customer, device.locationCode, day);
  const { park, resume } = useParking(database, device.registerCode, cart, customer, adopt, notify, setError);

  // A sale the browser completed but died before the cashier saw: show its receipt again.
  useEffect(() => {
    void unseenReceipt(database, device.registerCode).then((unseen) => unseen && setReceipt(unseen));
  }, [database, device.registerCode]);
  const closeReceipt = () => {
    setReceipt(null);
    receiptSeen(database, device.registerCode).catch((e: unknown) => setError(storageErrorMessage(e)));
  };

  const add = useCallback(
    (product: Product) => {
      if (product.type === 'configurable') setPicker(product);
      else edit({ type: 'add', product, lineKey: crypto.randomUUID() });
    },
    [edit],
  );

  const scan = useCallback(
    (code: string) => {
      void productByCode(code).then((product) => {
        if (product) add(product);
        else notify(`No product with barcode or SKU ${code}`, 'warning');
      });
    },
    [add, notify],
  );
  useScanner(scan);

  async function completeSale(payments: Tender[]) {
    if (!priced.value) return;
    try {
      const done = await recordSale(database, {
        who: { staffId: session.staffId, staffName: session.name, registerCode: device.registerCode, locationCode: device.locationCode, signIn: actorOf(session).signIn },
        cart,
        priced: priced.value,
        names: cart.lines.map((l) => l.name),
        customer,
        payments,
      });
      adopt(EMPTY_CART);
      setCheckout(false);
      setReceipt(done);
      void flushSoon();
    } catch (e) {
      setError(storageErrorMessage(e));
    }
  }

  const totals = priced.value?.totals;
  const storeName = typeof boot?.store?.name === 'string' ? boot.store.name : (location?.name ?? 'Till');
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
        <ProductFinder stockId={location?.stock_id ?? 0} onAdd={add} onStock={setStockSku} />
      </Box>

      <CartPanel
        cart={cart}
        customer={customer}
        priced={priced}
        canPay={!!priced.value && !!shift}
        limit={limit}
        edit={edit}
        onCustomer={() => setCustomerOpen(true)}
        onLineDiscount={setDiscountLine}
        onPark={() => void park()}
        onResume={() => setParkedOpen(true)}
        onPay={() => setCheckout(true)}
      />

      {picker && (
        <VariantPicker
          parent={picker}
          onClose={() => setPicker(null)}
          onPick={(p) => {
            add(p);
            setPicker(null);
          }}
        />
      )}
      {checkout && totals && <Checkout due={totals.grandTotal} onCancel={() => setCheckout(false)} onPaid={completeSale} />}
      {receipt && <ReceiptDialog receipt={receipt} storeName={storeName} email={customer?.email} onClose={closeReceipt} />}
      {customerOpen && (
        <CustomerDialog
          onClose={() => setCustomerOpen(false)}
          onPick={(c) => {
            edit({ type: 'customer', customerKey: c?.key ?? null });
            setCustomerOpen(false);
          }}
        />
      )}
      {parkedOpen && (
        <ParkedDialog
          onClose={() => setParkedOpen(false)}
          onResume={(parkedId) => {
            void resume(parkedId);
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
          onApply={(discount, approval) => {
            edit({ type: 'lineDiscount', lineKey: discountLine.key, discount, approval });
            setDiscountLine(null);
          }}
        />
      )}
    </Box>
  );
}
