/**
 * Fault injection in the real browser: the till is closed (the whole browser, not a tab) in the
 * middle of a sync, twice, and opened again from the same profile, as a cashier would after a
 * crash or a power cut. Every sale made offline reaches the server exactly once and the catalog
 * pull resumes from where it stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from '@playwright/test';
import { addBySku, expect, openShift, pay, setUpTillIn, signInByPin, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

interface Order {
  id: string;
  receipt_number: string;
}

const SOLD = ['ACC-TOTE-CANVAS', 'ACC-BACKPACK-WAX', 'ACC-MARKET-BASKET', 'ACC-TOTE-CANVAS'];
const REPRICED = 'ACC-CROSSBODY';
const NEW_PRICE = '77.77';

test('closing the browser in the middle of a push and of a pull loses and doubles no sale', async ({ till, playwright, launchOptions }) => {
  const profile = mkdtempSync(join(tmpdir(), 'till-profile-'));
  const open = () => playwright.chromium.launchPersistentContext(profile, { ...launchOptions, viewport: { width: 1280, height: 860 }, serviceWorkers: 'allow' });
  /** Send the first request matching `path` on to the server but give the browser no answer. */
  const withhold = async (context: BrowserContext, path: RegExp): Promise<{ answer: Promise<unknown>; url: () => string }> => {
    let answered!: (body: unknown) => void;
    let url = '';
    const answer = new Promise<unknown>((resolve) => (answered = resolve));
    await context.route(path, async (route: Route) => {
      url = route.request().url();
      answered(await (await route.fetch()).json());
    });
    return { answer, url: () => url };
  };

  let context = await open();
  try {
    let page: Page = await setUpTillIn(context, till, 'NYC1');
    await openShift(page);
    const badge = () => page.getByTestId('sync-badge');
    await expect(badge()).toContainText('Online · 0 unsent');

    // A stretch offline: four sales. Meanwhile the back office changes a price.
    await context.setOffline(true);
    const receipts: string[] = [];
    for (const sku of SOLD) {
      await addBySku(page, sku);
      receipts.push(await pay(page, [['cash', null]]));
      await page.getByTestId('new-sale').click();
    }
    await expect(badge()).toContainText(`Offline · ${SOLD.length} unsent`);
    const found = await till.api<{ sku: string; price: string }[]>('GET', `/api/products?q=${REPRICED}`);
    const oldPrice = found.find((p) => p.sku === REPRICED)!.price;
    expect(oldPrice).not.toBe(NEW_PRICE);
    await till.api('PUT', `/api/admin/prices/${REPRICED}`, { price: NEW_PRICE });

    // Back online, the till pulls, then pushes its outbox. The server stores the batch, and the
    // browser is closed before its answer reaches the till.
    const pushed = await withhold(context, /\/api\/sync\/push$/);
    await context.setOffline(false);
    const answer = (await pushed.answer) as { sales: { status: string }[] };
    expect(answer.sales.map((s) => s.status)).toEqual(SOLD.map(() => 'accepted'));
    await context.close();

    // Opened again. The till never heard the server's answer, so its outbox still holds the four
    // sales: the service worker's Background Sync or the page's sync worker sends them again.
    // This time the browser is closed while the catalog pull is on the wire.
    context = await open();
    const held = await withhold(context, /\/api\/sync\/products\?/);
    page = await context.newPage();
    await page.goto(till.url);
    await held.answer;
    const interrupted = new URL(held.url());
    await context.close();

    // Opened a third time: the pull goes on from the cursor it had stored, the page it never
    // applied comes again, and the pull finishes; nothing is left to send.
    context = await open();
    const pulls: string[] = [];
    await context.route(/\/api\/sync\/products\?/, (route: Route) => {
      pulls.push(route.request().url());
      return route.continue();
    });
    page = await context.newPage();
    await page.goto(till.url);
    await signInByPin(page, 'maya', '1357');
    await page.getByTestId('search').fill(REPRICED);
    await expect(page.getByTestId(`product-${REPRICED}`)).toContainText(NEW_PRICE, { timeout: 30_000 });
    await expect(badge()).toContainText('Online · 0 unsent', { timeout: 30_000 });
    const resumed = new URL(pulls[0]);
    expect(Number(resumed.searchParams.get('cursor'))).toBeGreaterThan(0);
    expect(resumed.searchParams.get('cursor')).toBe(interrupted.searchParams.get('cursor'));

    // Each sale is on the server exactly once, and the till's receipt names that very order.
    const kept = await page.evaluate(
      () =>
        new Promise<{ receiptNumber: string; orderId: string | null; status: string }[]>((resolve, reject) => {
          const opening = indexedDB.open('till');
          opening.onerror = () => reject(opening.error ?? new Error('indexedDB.open failed'));
          opening.onsuccess = () => {
            const all = opening.result.transaction('receipts').objectStore('receipts').getAll();
            all.onerror = () => reject(all.error ?? new Error('getAll failed'));
            all.onsuccess = () => resolve(all.result);
          };
        }),
    );
    for (const receipt of receipts) {
      const found = await till.api<Order[]>('GET', `/api/orders?receipt_number=${receipt}`);
      expect(found, `${receipt} is on the server exactly once`).toHaveLength(1);
      expect(kept.find((k) => k.receiptNumber === receipt)).toMatchObject({ status: 'accepted', orderId: found[0].id });
    }
    const all = await till.api<Order[]>('GET', '/api/orders?register_code=NYC1&limit=200');
    expect(all.filter((o) => receipts.includes(o.receipt_number))).toHaveLength(SOLD.length);
    await till.api('PUT', `/api/admin/prices/${REPRICED}`, { price: oldPrice });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
