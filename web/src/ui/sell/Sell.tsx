/**
 * The sell screen: find products (grid, search, scanner), build the cart, take payment. The cart
 * is a column of fixed width beside the grid, or a sheet under a bottom bar on a phone. F12 or
 * Ctrl+Enter opens Pay; a keyboard till keeps the focus in search after sign-in and each sale.
 * Every add is heard and seen: a beep on a scan, the changed line highlighted, and a live region
 * saying what was added ("Added Blue mug, 2 in cart") for a cashier who is not looking.
 */
import { Alert, Box, Button, useMediaQuery, useTheme } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { businessDay } from '../../domain/cart';
import { ZERO, dec } from '../../domain/money';
import { EMPTY_CART, receiptSeen, unseenReceipt } from '../../data/carts';
import { db, storageErrorMessage } from '../../data/db';
import { fetchBalance, noteSpent, spendable } from '../../data/giftCards';
import { currentShift, giftCardsDue, recordSale } from '../../data/sales';
import type { CartLineState, Customer, Product, Receipt } from '../../data/types';
import { flushSoon } from '../../sync/client';
import { useLive } from '../hooks';
import { actorOf, useTill } from '../session';
import { CartPanel } from './CartPanel';
import { Checkout, type Tender } from './Checkout';
import { CustomerDialog } from './CustomerDialog';
import { GiftCardDialog } from './GiftCardDialog';
import { LineDiscountDialog } from './LineDiscountDialog';
import { ParkedDialog } from './ParkedDialog';
import { CART_BAR_HEIGHT, CartBar } from './CartBar';
import { storeNameOf } from './format';
import { ProductFinder, keyboardTill } from './ProductFinder';
import { SaleDone } from './SaleDone';
import { ScanAnnouncement } from './ScanAnnouncement';
import { StockDialog } from './StockDialog';
import { useAddToCart } from './useAddToCart';
import { useCart } from './useCart';
import { useParking } from './useParking';
import { usePricing } from './usePricing';
import { VariantPicker } from './VariantPicker';

export function Sell({ onNeedShift }: { onNeedShift: () => void }) {
  const { device, session, boot, notify } = useTill();
  const database = db();
  const [error, setError] = useState<string | null>(null);
  const { cart, edit, adopt } = useCart(database, device.registerCode, setError);
  const [picker, setPicker] = useState<Product | null>(null);
  const [checkout, setCheckout] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  // The e-mail of the sale's customer: the cart (and so its customer) is empty once it is sold.
  const [receiptEmail, setReceiptEmail] = useState<string | null>(null);
  const phone = useMediaQuery(useTheme().breakpoints.down('md'));
  const [cartOpen, setCartOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const [customerOpen, setCustomerOpen] = useState(false);
  const [parkedOpen, setParkedOpen] = useState(false);
  const [stockSku, setStockSku] = useState<string | null>(null);
  const [discountLine, setDiscountLine] = useState<CartLineState | null>(null);
  const [giftOpen, setGiftOpen] = useState(false);
  const creds = { baseUrl: location.origin, token: session.token, deviceToken: device.deviceToken };
  const cardCap = dec(boot?.ledger_rules?.gift_card_offline_cap ?? '50.00');
  const shift = useLive(() => currentShift(database, device.registerCode), [device.registerCode], null);
  const shop = boot?.locations.find((l) => l.code === device.locationCode);
  const day = businessDay(new Date(), shop?.timezone ?? 'UTC');
  const customer = useLive(async () => (cart.customerKey ? ((await database.customers.get(cart.customerKey)) ?? null) : null), [cart.customerKey], null as Customer | null);
  const priced = usePricing(database, cart, customer, device.locationCode, day);
  const totals = priced.value?.totals;
  // What the customer pays: the goods and any gift cards sold with them.
  const due = totals ? totals.grandTotal.plus(giftCardsDue(cart)) : undefined;
  const { add, scan, scanning, addedWhilePaying, payOpened, changed, announcement } = useAddToCart({ cart, edit, paying: checkout, onPick: setPicker, setError, notify });
  const { park, resume } = useParking(database, device.registerCode, cart, customer, totals ? totals.grandTotal.toFixed(2) : null, adopt, notify, setError);

  // A sale the browser completed but died before the cashier saw: show its receipt again.
  useEffect(() => {
    void unseenReceipt(database, device.registerCode).then((unseen) => unseen && setReceipt(unseen));
  }, [database, device.registerCode]);
  const closeReceipt = useCallback(() => {
    setReceipt(null);
    receiptSeen(database, device.registerCode).catch((e: unknown) => setError(storageErrorMessage(e)));
  }, [database, device.registerCode]);
  // The next sale has begun: the last one's receipt has been seen.
  const started = cart.lines.length > 0 || (cart.giftCards ?? []).length > 0;
  useEffect(() => {
    if (started && receipt) closeReceipt();
  }, [started, receipt, closeReceipt]);

  const canPay = !!priced.value && !!shift;
  // A key pressed just after a scan is not lost while the new line is still being priced: Pay opens once it is.
  const payable = !!shift && started && !priced.error;
  const openPay = useCallback(() => {
    if (!payable) return;
    payOpened();
    setCartOpen(false);
    setCheckout(true);
  }, [payable, payOpened]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'F12' || (event.key === 'Enter' && (event.ctrlKey || event.metaKey))) {
        event.preventDefault();
        openPay();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openPay]);
  const focusSearch = () => {
    if (keyboardTill()) searchRef.current?.focus();
  };
  // Pay closed (sale done or not): back to search, once the dialog and its focus trap are gone.
  useEffect(() => {
    if (!checkout) focusSearch();
  }, [checkout]);

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
      for (const p of payments) if (p.cardNumber) await noteSpent(database, p.cardNumber, p.amount);
      adopt(EMPTY_CART);
      setCheckout(false);
      setReceiptEmail(customer?.email ?? null);
      setReceipt(done);
      void flushSoon();
    } catch (e) {
      setError(storageErrorMessage(e));
    }
  }

  const limit = dec(session.maxDiscountPercent);
  const newSale = () => {
    closeReceipt();
    focusSearch();
  };
  const cartPanel = (
    <CartPanel
      cart={cart}
      customer={customer}
      priced={priced}
      canPay={canPay}
      limit={limit}
      edit={edit}
      done={receipt && <SaleDone receipt={receipt} storeName={storeNameOf(boot, receipt.locationCode)} email={receiptEmail} onNewSale={newSale} />}
      onCustomer={() => setCustomerOpen(true)}
      onLineDiscount={setDiscountLine}
      onPark={() => void park()}
      onResume={() => setParkedOpen(true)}
      onPay={openPay}
      changed={changed}
      // Beside the grid: as tall as the screen below the app bar, lines scrolling inside.
      sx={phone ? { width: '100%' } : { position: 'sticky', top: 72, maxHeight: 'calc(100dvh - 88px)' }}
    />
  );

  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: 'minmax(0, 1fr)', md: 'minmax(0, 1fr) 380px' }, alignItems: 'start', pb: phone ? `${CART_BAR_HEIGHT}px` : 0 }}>
      <Box sx={{ minWidth: 0 }}>
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
        <Button variant="outlined" size="small" onClick={() => setGiftOpen(true)} data-testid="gift-card" sx={{ mb: 1 }}>
          Gift card
        </Button>
        <ProductFinder stockId={shop?.stock_id ?? 0} onAdd={add} onScan={scan} onStock={setStockSku} searchRef={searchRef} />
        <ScanAnnouncement announcement={announcement} />
      </Box>

      {phone ? (
        <CartBar cart={cart} total={due} receipt={receipt} canPay={canPay} open={cartOpen} onOpen={() => setCartOpen(true)} onClose={() => setCartOpen(false)} onPay={openPay}>
          {cartPanel}
        </CartBar>
      ) : (
        cartPanel
      )}

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
      {checkout && (
        <Checkout
          due={due ?? null}
          scanning={scanning}
          addedWhilePaying={addedWhilePaying}
          onCancel={() => setCheckout(false)}
          onPaid={completeSale}
          spendable={(number) => spendable(database, creds, number, cardCap)}
          account={
            // A customer the server knows has an account; one made on this till has none yet.
            customer?.id
              ? { balance: dec(customer.account_balance ?? '0'), creditLimit: dec(customer.credit_limit ?? '0'), offlineCap: dec(boot?.ledger_rules?.store_credit_offline_cap ?? '50.00') }
              : null
          }
        />
      )}
      {giftOpen && (
        <GiftCardDialog
          onClose={() => setGiftOpen(false)}
          onSell={(card) => {
            edit({ type: 'giftCard', card });
            setGiftOpen(false);
          }}
          balanceOf={(number) => fetchBalance(database, creds, number)}
        />
      )}
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
          cartPercent={cart.cartDiscountPercent ? dec(cart.cartDiscountPercent) : ZERO}
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
