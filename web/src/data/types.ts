/** What the till keeps in IndexedDB. Server shapes are stored as the pull returns them. */
import type { ProductOut, PushedCustomerIn, RefundIn, SaleIn } from '../api/client';

/** A product as the pull returns it (the server's ProductOut), plus the till's search words. */
export type Product = ProductOut & {
  /** Lower-case search words (name, sku, barcode), added by the till for its index. */
  words?: string[];
};

export type PriceRow = Pick<Product, 'sku' | 'price' | 'special_price' | 'special_from' | 'special_to' | 'tier_prices'>;

export interface StockRow {
  key: string;
  sku: string;
  stock_id: number;
  salable: string;
}

export interface Customer {
  /** String(id) for a customer the server knows; the client key for one made on this till. */
  key: string;
  id: number | null;
  client_key: string | null;
  email: string;
  firstname: string;
  lastname: string;
  phone: string | null;
  group_id: number;
  words?: string[];
  /** The customer's account as the feed last said (docs/ledgers.md): positive is store credit, negative is owed. */
  account_balance?: string;
  credit_limit?: string;
}

export interface TaxRow {
  key: string;
  kind: 'config' | 'rate' | 'rule';
  [field: string]: unknown;
}

export interface PromotionRow {
  id: number;
  name: string;
  coupon_code: string | null;
  action: 'by_percent' | 'by_fixed' | 'cart_fixed';
  amount: string;
  active: boolean;
  from_date: string | null;
  to_date: string | null;
  customer_groups: number[];
  min_subtotal: string | null;
  skus: string[] | null;
  sort_order: number;
  stop_further_rules: boolean;
}

export interface StaffRow {
  id: number;
  username: string;
  name: string;
  role: 'cashier' | 'manager' | 'admin';
  locations: string[];
  /** Only for members who signed in on this till online; the server replaces it when the PIN changes. */
  pin_offline: string | null;
  /** Moves with each PIN change or reset (absent from servers before issue 12). */
  pin_version?: number;
  discount_limit: string | null;
}

export type OutboxKind = 'sale' | 'customer' | 'refund' | 'shift_open' | 'cash' | 'shift_close' | 'receipt_mail';

/** Who did a queued action on the till and how they got onto it (docs/sync.md). */
export interface ActedBy {
  staff_id: number;
  sign_in: 'online' | 'offline_pin';
  at: string;
}
export interface ShiftOpenBody {
  opening_float: string;
  acted_by?: ActedBy;
}
export interface CashBody {
  kind: 'in' | 'out';
  amount: string;
  reason: string;
  acted_by?: ActedBy;
}
export interface ShiftCloseBody {
  counted_cash: string;
  acted_by?: ActedBy;
}
export interface RefundBody extends RefundIn {
  /** The idempotency key of the sale refunded: its order id is known only once the sale is accepted. */
  sale_key: string;
}

/** A receipt e-mail the server sends (docs/client.md); queued like a refund until its sale has an order id. */
export interface ReceiptMailBody {
  sale_key: string;
  request_key: string;
  /** null: the sale's customer's address */
  to: string | null;
  gift: boolean;
}

export type OutboxBody = SaleIn | PushedCustomerIn | RefundBody | ShiftOpenBody | CashBody | ShiftCloseBody | ReceiptMailBody;

export interface OutboxEntry {
  seq?: number;
  kind: OutboxKind;
  /** Idempotency key (sale, refund), client key (customer), or a made-up key for shift steps. */
  key: string;
  registerCode: string;
  body: OutboxBody;
  createdAt: string;
  status: 'pending' | 'rejected';
  attempts: number;
  reason?: string;
}

export interface ReceiptLine {
  lineNo: number;
  sku: string;
  name: string;
  qty: string;
  unitPrice: string;
  rowTotal: string;
  discount: string;
  tax: string;
  discountTaxCompensation: string;
  rowGrandTotal: string;
  qtyRefunded: string;
}

export interface ReceiptRefund {
  key: string;
  createdAt: string;
  method: 'cash' | 'card' | 'other';
  total: string;
  lines: { lineNo: number; qty: string; restock: boolean; amount: string }[];
}

export interface Receipt {
  key: string;
  receiptNumber: string;
  registerCode: string;
  locationCode: string;
  staffId: number;
  staffName: string;
  customerName: string | null;
  createdAt: string;
  lines: ReceiptLine[];
  payments: { method: TenderMethod; amount: string; reference?: string }[];
  /** Gift cards sold with the sale (masked): paid on top of its total, not revenue. */
  giftCards?: { card: string; amount: string; kind: GiftCardKind }[];
  subtotal: string;
  discount: string;
  tax: string;
  grandTotal: string;
  change: string;
  couponCode: string | null;
  status: 'unsent' | 'accepted' | 'rejected';
  orderId: string | null;
  flags: string[];
  reason: string | null;
  refunds: ReceiptRefund[];
}

export interface CartLineState {
  key: string;
  sku: string;
  name: string;
  qty: string;
  unitPrice: string;
  discount: { kind: 'percent' | 'amount'; value: string } | null;
}

/** A manager's approval of a discount over the cashier's limit, taken on the till by PIN. */
export interface CartApproval {
  approvedBy: number;
  username: string;
  /** The manager's own discount limit (percent): what the approval covers. */
  limit: string;
  /** The server's signed proof (taken online); null when approved offline: the server flags it. */
  proof: string | null;
}

export type TenderMethod = 'cash' | 'card' | 'other' | 'gift_card' | 'store_credit' | 'on_account';
export type GiftCardKind = 'physical' | 'e_card';

/** A gift card being sold in the cart: its own kind of line, not taxed, not discounted. */
export interface CartGiftCard {
  key: string;
  number: string;
  amount: string;
  kind: GiftCardKind;
}

export interface CartState {
  lines: CartLineState[];
  /** Gift cards sold with the sale (absent in carts kept before there were any). */
  giftCards?: CartGiftCard[];
  customerKey: string | null;
  couponCode: string | null;
  cartDiscountPercent: string | null;
  approval?: CartApproval | null;
}

export interface ParkedCart {
  id?: number;
  parkedAt: string;
  label: string;
  cart: CartState;
  /** A name the cashier gave it ("red coat, back at 3"); none until renamed. */
  name?: string;
  /** The attached customer's name and the cart's total when it was parked (older rows lack them). */
  customerName?: string | null;
  total?: string | null;
}

export interface Cursor {
  dataset: string;
  cursor: number;
  updatedAt: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

/** One role's permissions and discount limit (percent), as the server's bootstrap gives them. */
export interface RoleGrant {
  permissions: string[];
  max_discount_percent: string;
}

/** The small reference data the till keeps whole (GET /api/sync/bootstrap). */
export interface Bootstrap {
  store: Record<string, unknown>;
  locations: {
    code: string;
    name: string;
    source_code: string;
    stock_id: number;
    timezone: string;
    currency: string;
    country: string;
    region: string;
    postcode: string;
  }[];
  registers: { code: string; location_code: string; name: string }[];
  categories: { id: number; name: string; parent_id: number | null; position: number }[];
  customer_groups: { id: number; code: string; tax_class: string }[];
  attributes: { code: string; label: string; options: { value: number | string; label: string }[] }[];
  datasets: string[];
  feed_position: number;
  /**
   * What each role may do and its discount limit (till.domain.staff), for signing staff in by
   * PIN while offline. Absent only in a bootstrap a till stored before the server sent it.
   */
  roles?: Record<string, RoleGrant>;
  /** The manager's close rule (a blind count; the difference a note must explain); absent in a bootstrap stored before the server sent it. */
  shift_close?: { blind_count: boolean; note_over: string | null };
  /** The shop's gift card and store credit rules (docs/ledgers.md); absent from older servers. */
  ledger_rules?: { gift_card_offline_cap: string; gift_card_reload: boolean; store_credit_offline_cap: string };
}
