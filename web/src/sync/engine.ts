/**
 * The sync protocol (docs/sync.md) as plain functions over the database and the API, so the
 * sync worker, the service worker (Background Sync) and the tests share one implementation.
 *
 * Pull: one question says which data sets changed after the stored cursors; each of those then
 * pages from its stored cursor; each page and its cursor are written in one
 * IndexedDB transaction, so stopping anywhere resumes from the last page stored, and applying a
 * page twice is harmless (upserts by key).
 *
 * Push: outbox entries in order. Consecutive customers and sales go in one batch; refunds and
 * shift steps one by one. An entry leaves the outbox only when the server accepted it (or says it
 * has it already); a refused entry stays, marked rejected, for the cashier to see.
 */
import { ApiError, type ChangesIn, type ChangesOut, type Credentials, type PullOut, type PushIn, type PushOut, type RefundIn, call } from '../api/client';
import { type TillDB, setMeta, wordsOf } from '../data/db';
import type {
  Bootstrap,
  Customer,
  OutboxEntry,
  PriceRow,
  Product,
  PromotionRow,
  ReceiptMailBody,
  RefundBody,
  StaffRow,
  StockRow,
  TaxRow,
} from '../data/types';
import type { PushedCustomerIn, SaleIn } from '../api/client';

/** Pulled in this order: what sign-in and pricing need first, the big catalog after. */
export const DATASETS = ['staff', 'tax', 'promotions', 'customers', 'products', 'prices', 'stock'] as const;
export type Dataset = (typeof DATASETS)[number];
export const PAGE_SIZE = 1000;
export const MAX_BATCH_SALES = 200;

export interface SyncContext {
  db: TillDB;
  creds: Credentials;
  location: string;
  registerCode: string;
}

/** The session lost its token (expired or revoked): someone must sign in again. */
export class AuthExpired extends Error {}

async function authed<T>(ctx: SyncContext, method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await call<T>(ctx.creds, method, path, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new AuthExpired(error.detail);
    throw error;
  }
}

export async function fetchBootstrap(ctx: SyncContext): Promise<Bootstrap> {
  const boot = await authed<Bootstrap>(ctx, 'GET', '/api/sync/bootstrap');
  await setMeta(ctx.db, 'bootstrap', boot);
  return boot;
}

function taxKey(item: Record<string, unknown>): string {
  return item.kind === 'config' ? 'config' : `${String(item.kind)}:${String(item.code)}`;
}

/** Store one page and its cursor together (one transaction). */
export async function applyPage(database: TillDB, dataset: Dataset, page: PullOut, moveCursor = true): Promise<void> {
  const items = page.items as Record<string, unknown>[];
  const table = database.table(dataset);
  await database.transaction('rw', [table, database.cursors], async () => {
    switch (dataset) {
      case 'products':
        await database.products.bulkPut(
          items.map((item) => {
            const product = item as unknown as Product;
            return { ...product, words: wordsOf(product.name, product.sku, product.barcode) };
          }),
        );
        break;
      case 'prices':
        await database.prices.bulkPut(items as unknown as PriceRow[]);
        break;
      case 'stock':
        await database.stock.bulkPut(items.map((item) => ({ ...(item as unknown as StockRow), key: `${String(item.sku)}@${String(item.stock_id)}` })));
        break;
      case 'customers':
        await database.customers.bulkPut(
          items.map((item) => {
            const c = item as unknown as Customer;
            return { ...c, key: String(c.id), client_key: null, words: wordsOf(c.firstname, c.lastname, c.email, c.phone) };
          }),
        );
        break;
      case 'tax':
        await database.tax.bulkPut(items.map((item) => ({ ...item, key: taxKey(item) }) as TaxRow));
        break;
      case 'promotions':
        await database.promotions.bulkPut(items as unknown as PromotionRow[]);
        break;
      case 'staff':
        await database.staff.bulkPut(items as unknown as StaffRow[]);
        break;
    }
    if (page.deleted.length > 0) {
      const keys = dataset === 'promotions' || dataset === 'staff' ? page.deleted.map(Number) : page.deleted;
      await table.bulkDelete(keys);
    }
    if (moveCursor) {
      await database.cursors.put({ dataset, cursor: page.cursor, updatedAt: new Date().toISOString() });
    }
  });
}

export interface PullProgress {
  dataset: Dataset;
  cursor: number;
  target: number;
  items: number;
  done: boolean;
}

export interface Changes {
  /** Data sets with a change after the till's cursors, in pull order. */
  changed: Dataset[];
  feedPosition: number;
}

/** One question for every data set: which changed after the stored cursors (docs/sync.md §2). */
export async function changedDatasets(ctx: SyncContext): Promise<Changes> {
  const stored = await ctx.db.cursors.toArray();
  const cursors = Object.fromEntries(stored.filter((c) => (DATASETS as readonly string[]).includes(c.dataset)).map((c) => [c.dataset, c.cursor]));
  const answer = await authed<ChangesOut>(ctx, 'POST', '/api/sync/changes', { cursors } satisfies ChangesIn);
  return { changed: DATASETS.filter((dataset) => answer.changed.includes(dataset)), feedPosition: answer.feed_position };
}

export interface PullOptions {
  /** Fetch the reference data too (sign-in, reconnect, hourly); a pull on news skips it. */
  bootstrap?: boolean;
}

/**
 * Pull every data set that changed until it has no more; `onProgress` after each page. One
 * question first says which data sets have news, so an idle till asks once, not once per data set.
 */
export async function pullAll(
  ctx: SyncContext,
  onProgress: (progress: PullProgress) => void = () => {},
  pageSize = PAGE_SIZE,
  options: PullOptions = {},
): Promise<number> {
  const boot = options.bootstrap === false ? null : await fetchBootstrap(ctx);
  const news = await changedDatasets(ctx);
  const position = Math.max(news.feedPosition, boot?.feed_position ?? 0);
  let total = 0;
  for (const dataset of news.changed) {
    let cursor = (await ctx.db.cursors.get(dataset))?.cursor ?? 0;
    let items = 0;
    for (;;) {
      const page = await authed<PullOut>(
        ctx,
        'GET',
        `/api/sync/${dataset}?location=${encodeURIComponent(ctx.location)}&cursor=${cursor}&limit=${pageSize}`,
      );
      await applyPage(ctx.db, dataset, page);
      cursor = page.cursor;
      items += page.items.length;
      total += page.items.length;
      onProgress({ dataset, cursor, target: Math.max(position, cursor), items, done: !page.has_more });
      if (!page.has_more) break;
      // Yield between pages so a long first sync never holds the worker's event loop for long.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return total;
}

/** Backoff before retry number `attempt` (0-based): 1 s, 2 s, 4 s … up to 60 s, ±20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface PushReport {
  accepted: number;
  duplicate: number;
  rejected: number;
  other: number;
}

async function pendingEntries(database: TillDB, limit: number): Promise<OutboxEntry[]> {
  return database.outbox.orderBy('seq').filter((entry) => entry.status === 'pending').limit(limit).toArray();
}

async function reject(database: TillDB, entry: OutboxEntry, reason: string): Promise<void> {
  await database.outbox.update(entry.seq!, { status: 'rejected', reason });
}

async function pushBatch(ctx: SyncContext, entries: OutboxEntry[], report: PushReport): Promise<void> {
  const body: PushIn = {
    customers: entries.filter((e) => e.kind === 'customer').map((e) => e.body as PushedCustomerIn),
    sales: entries.filter((e) => e.kind === 'sale').map((e) => e.body as SaleIn),
    // The till's clock now: the server measures how far off it is and places the sales on its own.
    sent_at: new Date().toISOString(),
  };
  const answer = await authed<PushOut>(ctx, 'POST', '/api/sync/push', body);
  const { db: database } = ctx;
  await database.transaction('rw', [database.outbox, database.receipts, database.customers], async () => {
    for (const result of answer.customers) {
      const entry = entries.find((e) => e.kind === 'customer' && e.key === result.client_key);
      if (!entry) continue;
      if (result.customer_id != null) {
        await database.outbox.delete(entry.seq!);
        await database.customers.update(entry.key, { id: result.customer_id });
        report.accepted++;
      } else {
        await reject(database, entry, result.error ?? 'the customer was refused');
        report.rejected++;
      }
    }
    for (const result of answer.sales) {
      const entry = entries.find((e) => e.kind === 'sale' && e.key === result.idempotency_key);
      if (!entry) continue;
      if (result.status === 'accepted' || result.status === 'duplicate') {
        await database.outbox.delete(entry.seq!);
        await database.receipts.update(entry.key, { status: 'accepted', orderId: result.order_id, flags: result.flags });
        if (result.status === 'accepted') report.accepted++;
        else report.duplicate++;
      } else {
        // 'rejected', or 'conflict' (its key names another sale already): the server keeps it
        // for a manager; the till stops sending it and shows it with the reason.
        await reject(database, entry, result.reason ?? 'refused');
        await database.receipts.update(entry.key, { status: 'rejected', reason: result.reason });
        report.rejected++;
      }
    }
  });
}

async function pushOne(ctx: SyncContext, entry: OutboxEntry, report: PushReport): Promise<'done' | 'wait'> {
  const register = encodeURIComponent(entry.registerCode);
  let path: string;
  let body: unknown;
  if (entry.kind === 'refund') {
    const { sale_key: saleKey, ...refund } = entry.body as RefundBody;
    const sale = await ctx.db.receipts.get(saleKey);
    if (sale?.status === 'rejected' || !sale) {
      await reject(ctx.db, entry, 'the sale it refunds was refused by the server');
      report.rejected++;
      return 'done';
    }
    if (!sale.orderId) return 'wait';
    path = `/api/orders/${encodeURIComponent(sale.orderId)}/refunds`;
    body = refund satisfies RefundIn;
  } else if (entry.kind === 'receipt_mail') {
    const { sale_key: saleKey, ...mail } = entry.body as ReceiptMailBody;
    const sale = await ctx.db.receipts.get(saleKey);
    if (sale?.status === 'rejected' || !sale) {
      await reject(ctx.db, entry, 'the sale of this receipt was refused by the server');
      report.rejected++;
      return 'done';
    }
    if (!sale.orderId) return 'wait';
    path = `/api/orders/${encodeURIComponent(sale.orderId)}/receipt-mails`;
    body = mail;
  } else if (entry.kind === 'shift_open') {
    path = `/api/registers/${register}/shift`;
    body = entry.body;
  } else if (entry.kind === 'cash') {
    path = `/api/registers/${register}/shift/cash`;
    body = entry.body;
  } else {
    path = `/api/registers/${register}/shift/close`;
    body = entry.body;
  }
  try {
    const answer = await authed<unknown>(ctx, 'POST', path, body);
    if (entry.kind === 'shift_close') await setMeta(ctx.db, 'serverZReport', answer);
    await ctx.db.outbox.delete(entry.seq!);
    report.accepted++;
  } catch (error) {
    if (!(error instanceof ApiError) || error.retryable) throw error;
    if (entry.kind === 'shift_open' && error.status === 409) {
      // The register's shift is open already (opened online earlier): nothing to add.
      await ctx.db.outbox.delete(entry.seq!);
      report.other++;
      return 'done';
    }
    await reject(ctx.db, entry, error.detail);
    report.rejected++;
  }
  return 'done';
}

/**
 * Push the outbox until it is empty (or only waiting entries are left). Network errors, 5xx and
 * 401 propagate: everything stays in the outbox and the caller retries with backoff.
 */
export async function pushOutbox(ctx: SyncContext): Promise<PushReport> {
  const report: PushReport = { accepted: 0, duplicate: 0, rejected: 0, other: 0 };
  for (;;) {
    const entries = await pendingEntries(ctx.db, MAX_BATCH_SALES * 2);
    if (entries.length === 0) return report;
    const first = entries[0];
    if (first.kind === 'sale' || first.kind === 'customer') {
      const batch: OutboxEntry[] = [];
      let sales = 0;
      for (const entry of entries) {
        if (entry.kind !== 'sale' && entry.kind !== 'customer') break;
        if (entry.kind === 'sale' && ++sales > MAX_BATCH_SALES) break;
        batch.push(entry);
      }
      await pushBatch(ctx, batch, report);
    } else if ((await pushOne(ctx, first, report)) === 'wait') {
      return report;
    }
  }
}

/** Unsent entries (pending) and refused ones, for the badge. */
export async function outboxCounts(database: TillDB): Promise<{ pending: number; rejected: number }> {
  const pending = await database.outbox.where('status').equals('pending').count();
  const rejected = await database.outbox.where('status').equals('rejected').count();
  return { pending, rejected };
}

/** Read a Server-Sent Events stream (fetch, so the bearer token can be sent) until it ends. */
export async function readEvents(
  ctx: SyncContext,
  onEvent: (event: string, data: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(`${ctx.creds.baseUrl}/api/sync/events?location=${encodeURIComponent(ctx.location)}`, {
    headers: { Authorization: `Bearer ${ctx.creds.token ?? ''}`, Accept: 'text/event-stream' },
    signal,
    cache: 'no-store',
  });
  if (response.status === 401) throw new AuthExpired('the session ended');
  if (!response.ok || !response.body) throw new ApiError(response.status, 'the live stream is not available');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let split: number;
    while ((split = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) await onEvent(event, data.join('\n'));
    }
  }
}
