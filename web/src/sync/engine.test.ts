/**
 * The sync engine's rules, on a real IndexedDB implementation (fake-indexeddb) with the server's
 * answers scripted. The real server is exercised end to end by e2e/till.spec.ts.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkError, type PushIn } from '../api/client';
import { TillDB, getMeta, setMeta } from '../data/db';
import {
  closeShift,
  createCustomer,
  moveCash,
  openShift,
  queueReceiptMail,
  recordRefund,
  recordSale,
} from '../data/sales';
import { searchProducts } from '../data/search';
import type { Receipt } from '../data/types';
import { priceCart } from '../domain/cart';
import { dec } from '../domain/money';
import { DEFAULT_CONFIG } from '../domain/totals';
import { type SyncContext, applyPage, backoffMs, pullAll, pushOutbox } from './engine';

type Handler = (method: string, path: string, body: unknown) => { status: number; body?: unknown } | 'network';
let handler: Handler;
const calls: { method: string; path: string; body: unknown }[] = [];
const realFetch = globalThis.fetch;

beforeEach(() => {
  calls.length = 0;
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const path = url.pathname + url.search;
    calls.push({ method: init?.method ?? 'GET', path, body });
    const answer = handler(init?.method ?? 'GET', path, body);
    if (answer === 'network') return Promise.reject(new TypeError('Failed to fetch'));
    return Promise.resolve(new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status }));
  };
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

let n = 0;
function context(): SyncContext {
  return { db: new TillDB(`test-${++n}`), creds: { baseUrl: 'http://till.test', token: 't' }, location: 'NYC', registerCode: 'NYC1' };
}

const RULES = { config: DEFAULT_CONFIG, rates: [], rules: [], cartRules: [], groupClasses: new Map(), address: { country: 'US', region: 'NY', postcode: '10001' } };
const PRICE = { price: '10.00', special_price: null, special_from: null, special_to: null, tier_prices: [] };

async function sell(ctx: SyncContext, qty = '1'): Promise<Receipt> {
  const priced = priceCart([{ key: 'a', sku: 'TEE', qty: dec(qty), taxClass: 'Taxable Goods', price: PRICE, lineDiscount: null }], RULES, {
    groupId: 0,
    day: '2026-11-25',
    couponCode: null,
    cartDiscountPercent: null,
  });
  return recordSale(ctx.db, {
    who: { staffId: 1, staffName: 'Maya', registerCode: 'NYC1', locationCode: 'NYC' },
    cart: { lines: [{ key: 'a', sku: 'TEE', name: 'Tee', qty, unitPrice: '10.00', discount: null }], customerKey: null, couponCode: null, cartDiscountPercent: null },
    priced,
    names: ['Tee'],
    customer: null,
    payments: [{ method: 'cash', amount: dec('50.00') }],
  });
}

const accept = (status: 'accepted' | 'duplicate' | 'rejected' | 'conflict', reason: string | null = null) => (_m: string, _p: string, body: unknown) => ({
  status: 200,
  body: {
    customers: [],
    sales: (body as PushIn).sales.map((sale, i) => ({
      idempotency_key: sale.idempotency_key,
      status,
      order_id: status === 'rejected' || status === 'conflict' ? null : `order-${i}`,
      receipt_number: null,
      reason,
      flags: [],
    })),
  },
});

describe('recording a sale', () => {
  it('writes the receipt and its outbox entry together, numbered per register', async () => {
    const ctx = context();
    const first = await sell(ctx);
    const second = await sell(ctx, '2');
    expect([first.receiptNumber, second.receiptNumber]).toEqual(['NYC1-000001', 'NYC1-000002']);
    expect(first.grandTotal).toBe('10.00');
    expect(first.change).toBe('40.00');
    const outbox = await ctx.db.outbox.toArray();
    expect(outbox.map((e) => [e.kind, e.key])).toEqual([
      ['sale', first.key],
      ['sale', second.key],
    ]);
    expect(await getMeta(ctx.db, 'receiptSeq:NYC1')).toBe(2);
  });

  it("numbers in the till's own series when the server gave one, so tills on one register never collide", async () => {
    const ctx = context();
    await setMeta(ctx.db, 'receiptSeries:NYC1', 'B');
    const first = await sell(ctx);
    const second = await sell(ctx, '2');
    expect([first.receiptNumber, second.receiptNumber]).toEqual(['NYC1-B-000001', 'NYC1-B-000002']);
  });

  it('refuses a payment that does not cover the total and stores nothing', async () => {
    const ctx = context();
    const priced = priceCart([{ key: 'a', sku: 'TEE', qty: dec('1'), taxClass: 'x', price: PRICE, lineDiscount: null }], RULES, {
      groupId: 0,
      day: '2026-11-25',
      couponCode: null,
      cartDiscountPercent: null,
    });
    await expect(
      recordSale(ctx.db, {
        who: { staffId: 1, staffName: 'Maya', registerCode: 'NYC1', locationCode: 'NYC' },
        cart: { lines: [], customerKey: null, couponCode: null, cartDiscountPercent: null },
        priced,
        names: [],
        customer: null,
        payments: [{ method: 'card', amount: dec('5.00') }],
      }),
    ).rejects.toThrow(/still due/);
    expect(await ctx.db.outbox.count()).toBe(0);
    expect(await ctx.db.receipts.count()).toBe(0);
  });
});

describe('pushing the outbox', () => {
  it('removes a sale only when the server accepted it, and records the order id', async () => {
    const ctx = context();
    const receipt = await sell(ctx);
    handler = accept('accepted');
    const before = Date.now();
    const report = await pushOutbox(ctx);
    expect(report.accepted).toBe(1);
    // The batch carries the till's clock at sending, so the server can tell how far off it is.
    const sentAt = Date.parse((calls[0].body as { sent_at: string }).sent_at);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(Date.now());
    expect(await ctx.db.outbox.count()).toBe(0);
    expect(await ctx.db.receipts.get(receipt.key)).toMatchObject({ status: 'accepted', orderId: 'order-0' });
  });

  it('treats a duplicate as delivered', async () => {
    const ctx = context();
    await sell(ctx);
    handler = accept('duplicate');
    expect((await pushOutbox(ctx)).duplicate).toBe(1);
    expect(await ctx.db.outbox.count()).toBe(0);
  });

  it('keeps a refused sale, marked with the reason, out of the retry loop', async () => {
    const ctx = context();
    const receipt = await sell(ctx);
    handler = accept('rejected', 'receipt number NYC1-000001 is taken');
    await pushOutbox(ctx);
    const [entry] = await ctx.db.outbox.toArray();
    expect(entry).toMatchObject({ status: 'rejected', reason: 'receipt number NYC1-000001 is taken' });
    expect((await ctx.db.receipts.get(receipt.key))?.status).toBe('rejected');
    calls.length = 0;
    await pushOutbox(ctx);
    expect(calls).toHaveLength(0);
  });

  it('keeps a sale whose key names another sale (conflict) visible and stops sending it', async () => {
    const ctx = context();
    const receipt = await sell(ctx);
    handler = accept('conflict', 'conflict: idempotency key k already names sale NYC1-000001');
    const report = await pushOutbox(ctx);
    expect(report.rejected).toBe(1);
    const [entry] = await ctx.db.outbox.toArray();
    expect(entry?.status).toBe('rejected');
    expect(entry?.reason).toContain('conflict');
    expect((await ctx.db.receipts.get(receipt.key))?.status).toBe('rejected');
    calls.length = 0;
    await pushOutbox(ctx);
    expect(calls).toHaveLength(0);
  });

  it('keeps everything when the network fails or the server is busy', async () => {
    const ctx = context();
    await sell(ctx);
    await sell(ctx);
    handler = () => 'network';
    await expect(pushOutbox(ctx)).rejects.toBeInstanceOf(NetworkError);
    handler = () => ({ status: 503, body: { detail: 'busy' } });
    await expect(pushOutbox(ctx)).rejects.toMatchObject({ status: 503, retryable: true });
    expect(await ctx.db.outbox.where('status').equals('pending').count()).toBe(2);
    handler = accept('accepted');
    await pushOutbox(ctx);
    expect(await ctx.db.outbox.count()).toBe(0);
  });

  it('sends customers made on the till in the same batch as, and before, the sales naming them', async () => {
    const ctx = context();
    const customer = await createCustomer(ctx.db, 'NYC1', { email: 'ana@example.com', firstname: 'Ana', lastname: 'Lee', phone: null, groupId: 1 });
    await sell(ctx);
    handler = (method, path, body) => {
      const push = body as PushIn;
      return {
        status: 200,
        body: {
          customers: push.customers.map((c) => ({ client_key: c.client_key, customer_id: 77, created: true })),
          sales: accept('accepted')(method, path, body).body.sales,
        },
      };
    };
    await pushOutbox(ctx);
    expect(calls).toHaveLength(1);
    expect((calls[0].body as PushIn).customers).toHaveLength(1);
    expect((calls[0].body as PushIn).sales).toHaveLength(1);
    expect((await ctx.db.customers.get(customer.key))?.id).toBe(77);
  });

  it('sends a refund after its sale, to the order the server made', async () => {
    const ctx = context();
    const receipt = await sell(ctx, '2');
    await recordRefund(ctx.db, receipt, [{ lineNo: 1, qty: dec('1'), restock: true }], 'cash', 'changed mind');
    handler = (method, path, body) => (path === '/api/sync/push' ? accept('accepted')(method, path, body) : { status: 201, body: {} });
    await pushOutbox(ctx);
    expect(calls.map((c) => c.path)).toEqual(['/api/sync/push', '/api/orders/order-0/refunds']);
    expect(calls[1].body).toMatchObject({ register_code: 'NYC1', lines: [{ line_no: 1, qty: '1', restock: true }], method: 'cash' });
    expect(calls[1].body).not.toHaveProperty('sale_key');
    expect(await ctx.db.outbox.count()).toBe(0);
  });

  it('sends who did each queued action on the till, and how they got onto it (a manager by offline PIN on a cashier\'s session)', async () => {
    const ctx = context();
    const receipt = await sell(ctx, '2');
    const grace = { staffId: 3, signIn: 'offline_pin' as const };
    await recordRefund(ctx.db, receipt, [{ lineNo: 1, qty: dec('1'), restock: true }], 'cash', 'changed mind', grace);
    await createCustomer(ctx.db, 'NYC1', { email: 'ann@example.com', firstname: 'Ann', lastname: 'Lee', phone: null, groupId: 1 }, grace);
    await openShift(ctx.db, 'NYC1', 'Grace', dec('100.00'), grace);
    await moveCash(ctx.db, 'NYC1', 'out', dec('5.00'), 'bank', grace);
    handler = (method, path, body) => {
      if (path !== '/api/sync/push') return { status: 201, body: {} };
      const push = body as PushIn;
      const customers = (push.customers ?? []).map((c) => ({ client_key: c.client_key, customer_id: 78, created: true }));
      return { status: 200, body: { customers, sales: accept('accepted')(method, path, body).body.sales } };
    };
    await pushOutbox(ctx);
    const refund = calls.find((c) => c.path.endsWith('/refunds'));
    expect(refund?.body).toMatchObject({ acted_by: { staff_id: 3, sign_in: 'offline_pin' } });
    const pushed = calls.filter((c) => c.path === '/api/sync/push').flatMap((c) => (c.body as PushIn).customers ?? []);
    expect(pushed[0]).toMatchObject({ email: 'ann@example.com', acted_by: { staff_id: 3, sign_in: 'offline_pin' } });
    for (const step of ['/api/registers/NYC1/shift', '/api/registers/NYC1/shift/cash']) {
      expect(calls.find((c) => c.path === step)?.body).toMatchObject({ acted_by: { staff_id: 3, sign_in: 'offline_pin' } });
    }
    expect(Date.parse((refund?.body as { acted_by: { at: string } }).acted_by.at)).not.toBeNaN();
  });

  it('closes a shift offline with its count by note and coin and its note, and sends both once online', async () => {
    const ctx = context();
    await openShift(ctx.db, 'NYC1', 'Grace', dec('100.00'));
    await sell(ctx);
    const z = await closeShift(ctx.db, 'NYC1', dec('110.70'), undefined, { currency: 'USD', pieces: { '100.00': 1, '10.00': 1, '0.25': 2, '0.10': 2 }, note: ' found 10 cents ' });
    // The till's own Z report, kept offline with the count and the note.
    expect(z.kind).toBe('Z');
    expect(z.countedByDenomination).toEqual({ '100.00': 1, '10.00': 1, '0.25': 2, '0.10': 2 });
    expect(z.note).toBe('found 10 cents');
    expect(await getMeta(ctx.db, 'lastZ:NYC1')).toMatchObject({ note: 'found 10 cents' });
    handler = (method, path, body) => (path === '/api/sync/push' ? accept('accepted')(method, path, body) : { status: 201, body: {} });
    await pushOutbox(ctx);
    const close = calls.find((c) => c.path === '/api/registers/NYC1/shift/close');
    expect(close?.body).toMatchObject({ counted_cash: '110.70', cash_count: { currency: 'USD', pieces: { '100.00': 1, '10.00': 1, '0.25': 2, '0.10': 2 } }, note: 'found 10 cents' });
    expect(await ctx.db.outbox.count()).toBe(0);
  });

  it('says how the seller got onto the till with each sale', async () => {
    const ctx = context();
    const priced = priceCart([{ key: 'a', sku: 'TEE', qty: dec('1'), taxClass: 'Taxable Goods', price: PRICE, lineDiscount: null }], RULES, { groupId: 0, day: '2026-11-25', couponCode: null, cartDiscountPercent: null });
    await recordSale(ctx.db, {
      who: { staffId: 3, staffName: 'Grace', registerCode: 'NYC1', locationCode: 'NYC', signIn: 'offline_pin' },
      cart: { lines: [{ key: 'a', sku: 'TEE', name: 'Tee', qty: '1', unitPrice: '10.00', discount: null }], customerKey: null, couponCode: null, cartDiscountPercent: null },
      priced,
      names: ['Tee'],
      customer: null,
      payments: [{ method: 'cash', amount: dec('20.00') }],
    });
    handler = accept('accepted');
    await pushOutbox(ctx);
    expect((calls[0].body as PushIn).sales[0]).toMatchObject({ staff_id: 3, sign_in: 'offline_pin' });
  });

  it('sends a receipt e-mail queued offline once, after its sale, to the order the server made, and again with the same key after a failure', async () => {
    const ctx = context();
    const receipt = await sell(ctx);
    const key = await queueReceiptMail(ctx.db, receipt, 'ana@example.com', true);
    const mailAnswers = [{ status: 503 }, { status: 202, body: {} }];
    handler = (method, path, body) => (path === '/api/sync/push' ? accept('accepted')(method, path, body) : mailAnswers.shift()!);
    await expect(pushOutbox(ctx)).rejects.toThrow();
    expect(await ctx.db.outbox.count()).toBe(1);
    await pushOutbox(ctx);
    const mails = calls.filter((c) => c.path === '/api/orders/order-0/receipt-mails');
    expect(calls[0].path).toBe('/api/sync/push');
    expect(mails.map((c) => c.body)).toEqual([
      { request_key: key, to: 'ana@example.com', gift: true },
      { request_key: key, to: 'ana@example.com', gift: true },
    ]);
    expect(await ctx.db.outbox.count()).toBe(0);
  });

  it('waits with a refund while its sale has no order id yet', async () => {
    const ctx = context();
    const receipt = await sell(ctx);
    await ctx.db.outbox.clear();
    await recordRefund(ctx.db, receipt, [{ lineNo: 1, qty: dec('1'), restock: false }], 'card', '');
    handler = () => ({ status: 500 });
    await pushOutbox(ctx);
    expect(calls).toHaveLength(0);
    expect(await ctx.db.outbox.count()).toBe(1);
  });
});

describe('pulling', () => {
  const page = (items: unknown[], cursor: number, hasMore: boolean) => ({ status: 200, body: { dataset: 'products', items, deleted: [], cursor, has_more: hasMore } });
  const product = (sku: string, name: string) => ({ sku, name, enabled: true, barcode: `0${sku}`, price: '1.00', type: 'simple', category_ids: [], parent_sku: null });
  const empty = (path: string) => ({ status: 200, body: { dataset: path, items: [], deleted: [], cursor: 0, has_more: false } });
  const boot = { status: 200, body: { feed_position: 10, locations: [], registers: [], categories: [], customer_groups: [], attributes: [], datasets: [], store: {} } };
  /** The server's answer to "what changed": every data set whose head is above the cursor sent. */
  const changes = (heads: Record<string, number>) => (body: unknown) => {
    const cursors = (body as { cursors: Record<string, number> }).cursors;
    return { status: 200, body: { changed: Object.keys(heads).filter((d) => heads[d] > (cursors[d] ?? 0)), feed_position: Math.max(...Object.values(heads)) } };
  };

  it('resumes from the last stored page after an interruption, and finds products by name or SKU', async () => {
    const ctx = context();
    let failSecond = true;
    handler = (_m, path, body) => {
      if (path.startsWith('/api/sync/bootstrap')) return boot;
      if (path.startsWith('/api/sync/changes')) return changes({ products: 9 })(body);
      if (!path.startsWith('/api/sync/products')) return empty(path);
      if (path.includes('cursor=0&')) return page([product('TEE-1', 'Breton Tee')], 5, true);
      if (failSecond) return 'network';
      return page([product('MUG-1', 'Stoneware Mug')], 9, false);
    };
    await expect(pullAll(ctx)).rejects.toBeInstanceOf(NetworkError);
    expect((await ctx.db.cursors.get('products'))?.cursor).toBe(5);
    failSecond = false;
    calls.length = 0;
    await pullAll(ctx);
    expect(calls.some((c) => c.path.startsWith('/api/sync/products') && c.path.includes('cursor=5&'))).toBe(true);
    expect(calls.some((c) => c.path.startsWith('/api/sync/products') && c.path.includes('cursor=0&'))).toBe(false);
    expect((await searchProducts('breton', 10, ctx.db)).map((p) => p.sku)).toEqual(['TEE-1']);
    expect((await searchProducts('mug-1', 10, ctx.db)).map((p) => p.sku)).toEqual(['MUG-1']);
    expect(await searchProducts('stone mu', 10, ctx.db)).toHaveLength(1);
  });

  it('asks once which data sets changed and pulls only those; an idle till asks that alone', async () => {
    const ctx = context();
    await applyPage(ctx.db, 'stock', { dataset: 'stock', items: [], deleted: [], cursor: 7, has_more: false });
    await applyPage(ctx.db, 'customers', { dataset: 'customers', items: [], deleted: [], cursor: 7, has_more: false });
    const heads = { stock: 12, customers: 7, products: 3 };
    handler = (_m, path, body) => {
      if (path.startsWith('/api/sync/changes')) return changes(heads)(body);
      if (path.startsWith('/api/sync/stock')) return { status: 200, body: { dataset: 'stock', items: [{ sku: 'TEE', stock_id: 2, salable: '4' }], deleted: [], cursor: 12, has_more: false } };
      if (path.startsWith('/api/sync/products')) return { status: 200, body: { dataset: 'products', items: [], deleted: [], cursor: 12, has_more: false } };
      return { status: 500 };
    };
    expect(await pullAll(ctx, () => {}, 1000, { bootstrap: false })).toBe(1);
    expect(calls.map((c) => `${c.method} ${c.path.split('?')[0]}`)).toEqual(['POST /api/sync/changes', 'GET /api/sync/products', 'GET /api/sync/stock']);
    expect(calls[0].body).toEqual({ cursors: { stock: 7, customers: 7 } });
    expect(calls[2].path).toContain('cursor=7&');
    expect(await ctx.db.stock.get('TEE@2')).toMatchObject({ salable: '4' });
    calls.length = 0;
    await pullAll(ctx, () => {}, 1000, { bootstrap: false });
    expect(calls.map((c) => `${c.method} ${c.path.split('?')[0]}`)).toEqual(['POST /api/sync/changes']);
  });

  it('applies a page twice harmlessly and forgets deleted keys', async () => {
    const ctx = context();
    const stock = { dataset: 'stock', items: [{ sku: 'TEE', stock_id: 2, salable: '5' }], deleted: [], cursor: 3, has_more: false };
    await applyPage(ctx.db, 'stock', stock);
    await applyPage(ctx.db, 'stock', stock);
    expect(await ctx.db.stock.toArray()).toEqual([{ key: 'TEE@2', sku: 'TEE', stock_id: 2, salable: '5' }]);
    await applyPage(ctx.db, 'stock', { ...stock, items: [], deleted: ['TEE@2'], cursor: 4 });
    expect(await ctx.db.stock.count()).toBe(0);
    expect((await ctx.db.cursors.get('stock'))?.cursor).toBe(4);
  });
});

describe('backoff', () => {
  it('doubles from 1 s up to a minute, with jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10].map((a) => backoffMs(a, mid))).toEqual([1000, 2000, 4000, 8000, 60000]);
    expect(backoffMs(2, () => 0)).toBe(3200);
    expect(backoffMs(2, () => 1)).toBe(4800);
  });
});
