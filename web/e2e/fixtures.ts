/**
 * The real Till server for the browser tests: `till demo` on a fresh SQLite database in a temp
 * folder, on a free port, serving the built PWA (web/dist). One server per Playwright worker.
 */
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../playwright.config';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(REPO, 'docs/screenshots');

/**
 * Save a screenshot for the README when TILL_SCREENSHOTS=1 (so test runs leave the checkout clean),
 * settled: running transitions (a dialog fading in) are finished first, never caught half-way.
 */
export async function shot(page: Page, name: string): Promise<void> {
  if (process.env.TILL_SCREENSHOTS !== '1') return;
  await settled(page);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: name.endsWith('-phone'), animations: 'disabled', caret: 'hide' });
}

/** Wait for running transitions to end (finite ones only: an indeterminate progress bar runs for ever). */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export interface TillServer {
  url: string;
  /** Start `till worker` on the server's database (extra env, e.g. TILL_QUEUE_MAX_ATTEMPTS); call the answer to stop it. */
  startWorker(env?: Record<string, string>): () => void;
  /** Call the API as the demo admin. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
}

async function startServer(): Promise<{ server: TillServer; stop: () => void }> {
  const folder = mkdtempSync(join(tmpdir(), 'till-e2e-'));
  const port = await freePort();
  const venvTill = join(REPO, '.venv/bin/till');
  const [command, args] = existsSync(venvTill) ? [venvTill, []] : ['uv', ['run', 'till']];
  const databaseUrl = `sqlite:///${join(folder, 'till.db')}`;
  const child: ChildProcess = spawn(command, [...args, 'demo', '--no-worker', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: REPO,
    // No demo worker: each test starts the worker it needs (one worker on SQLite). The back-office tests' webhook receivers are on loopback, which Till refuses unless allowed.
    env: { ...process.env, TILL_DATABASE_URL: databaseUrl, TILL_WEB_DIST: join(REPO, 'web/dist'), TILL_WEBHOOKS_ALLOW_PRIVATE: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`till demo exited:\n${log}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`till demo did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const signIn = await fetch(`${url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-demo' }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const workers = new Set<ChildProcess>();
  const startWorker = (env: Record<string, string> = {}) => {
    const worker = spawn(command, [...args, 'worker'], { cwd: REPO, env: { ...process.env, TILL_DATABASE_URL: databaseUrl, TILL_WEBHOOKS_ALLOW_PRIVATE: 'true', ...env }, stdio: 'ignore' });
    workers.add(worker);
    return () => {
      worker.kill('SIGTERM');
      workers.delete(worker);
    };
  };
  return {
    server: { url, api, startWorker },
    stop: () => {
      // A test that failed before stopping its worker: stop it with the server.
      for (const worker of workers) worker.kill('SIGTERM');
      child.kill('SIGTERM');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export const test = base.extend<object, { till: TillServer }>({
  till: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern
    async ({}, use) => {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install the chromium package`);
      if (!existsSync(join(REPO, 'web/dist/index.html'))) throw new Error('build the app first: npm run build');
      const { server, stop } = await startServer();
      await use(server);
      stop();
    },
    { scope: 'worker' },
  ],
});
export { expect };

/**
 * Outside CI a machine without Chromium skips the browser tests, with the reason; on CI
 * (CI=true) they run and fail, because a missing browser must never pass silently.
 */
export function skipWithoutChromium(): void {
  base.skip(!existsSync(CHROMIUM) && process.env.CI !== 'true', `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

/** Set up a fresh browser context as a till on a register (manager sign-in) and wait for the first sync. */
export async function setUpTill(browser: Browser, till: TillServer, register: string, shotName?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  return { context, page: await setUpTillIn(context, till, register, shotName) };
}

/** Set up a till on a register in this browser context (manager sign-in) and wait for the first sync. */
export async function setUpTillIn(context: BrowserContext, till: TillServer, register: string, shotName?: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${register}] page error:`, error));
  await page.goto(till.url);
  await page.getByLabel('Manager username').fill('grace');
  await page.getByLabel('Password').fill('grace-demo');
  if (shotName) await shot(page, shotName);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('register-select').selectOption(register);
  await page.getByRole('button', { name: 'Use this register' }).click();
  await expect(page.getByTestId('sync-badge')).toContainText('Online', { timeout: 60_000 });
  // The first sync is done when the catalog is searchable and no sync progress is showing.
  await expect(page.getByTestId('sync-progress')).toHaveCount(0, { timeout: 60_000 });
  // The service worker must control the page before the network may go away.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  return page;
}

/** Sign in by PIN on the lock screen (works with or without the network). */
export async function signInByPin(page: Page, username: string, pin: string): Promise<void> {
  await page.getByTestId(`staff-${username}`).click();
  await page.getByTestId('pin-input').fill(pin);
  await page.getByTestId('pin-submit').click();
  await expect(page.getByTestId('nav-sell')).toBeVisible();
}

export async function openShift(page: Page, float = '100.00'): Promise<void> {
  await page.getByTestId('nav-shift').click();
  const open = page.getByTestId('open-shift');
  await expect(open.or(page.getByTestId('x-report'))).toBeVisible();
  if (await open.isVisible()) {
    await page.getByTestId('float').fill(float);
    await open.click();
  }
  await expect(page.getByTestId('x-report')).toBeVisible();
  await page.getByTestId('nav-sell').click();
}

/**
 * How many items the cart holds, as the cashier reads it: the phone's cart bar ("3 items"), else
 * the sum of the lines' quantities beside the grid.
 */
export async function itemsInCart(page: Page): Promise<number> {
  const bar = page.getByTestId('cart-bar');
  if (await bar.isVisible()) return Number(/(\d+) items?/.exec((await bar.textContent()) ?? '')?.[1] ?? 0);
  const quantities = await page.getByTestId('line-qty').allTextContents();
  return quantities.reduce((sum, qty) => sum + Number(qty), 0);
}

/**
 * Add a product by typing its SKU in the search box and pressing Enter (as a scanner would), and
 * wait until it is in the cart. The search clears at once while the SKU is looked up, so a clear
 * box says nothing about the cart: a total read then can miss the item (till.spec read 84.92 and
 * paid 145.89 when a pull held the products store during the lookup).
 */
export async function addBySku(page: Page, sku: string): Promise<void> {
  const before = await itemsInCart(page);
  const search = page.getByTestId('search');
  await search.fill(sku);
  await search.press('Enter');
  await expect(search).toHaveValue('');
  await expect.poll(() => itemsInCart(page), { message: `${sku} in the cart` }).toBe(before + 1);
}

/**
 * A wedge scanner: the code's keys 4 ms apart, then Enter, all stamped with the time a scanner
 * would send them (a loaded test machine may deliver them later; the till reads the stamps).
 */
export async function scan(page: Page, code: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const start = Date.now() / 1000;
  const keys = [...code].flatMap((key, i) => [
    { type: 'keyDown', key, text: key, unmodifiedText: key, timestamp: start + i * 0.004 },
    { type: 'keyUp', key, timestamp: start + i * 0.004 + 0.001 },
  ]);
  const end = start + code.length * 0.004;
  keys.push(
    { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, text: '\r', unmodifiedText: '\r', timestamp: end } as (typeof keys)[number],
    { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, timestamp: end + 0.001 } as (typeof keys)[number],
  );
  for (const key of keys) await cdp.send('Input.dispatchKeyEvent', key as Parameters<typeof cdp.send<'Input.dispatchKeyEvent'>>[1]);
  await cdp.detach();
}

export async function grandTotal(page: Page): Promise<string> {
  const text = (await page.getByTestId('grand-total').textContent()) ?? '';
  return text.replace('$', '');
}

/** Pay: each tender is [method, amount]; amount null means "what is still due". Returns the receipt number. */
export async function pay(page: Page, tenders: [('cash' | 'card'), string | null][], shotName?: string): Promise<string> {
  await page.getByTestId('pay').click();
  for (const [method, amount] of tenders) {
    if (amount !== null) await page.getByTestId('pay-amount').fill(amount);
    await page.getByTestId(method === 'cash' ? 'add-cash' : 'add-card').click();
  }
  if (shotName) await shot(page, shotName);
  await page.getByTestId('complete-sale').click();
  const number = (await page.getByTestId('receipt-number').textContent()) ?? '';
  return number.trim();
}

/**
 * The first sync may still be storing the catalog after set-up, and a search is not re-run when
 * products arrive: search again until the products these tests sell are found.
 */
export async function catalogReady(page: Page, skus = ['ACC-TOTE-CANVAS', 'ACC-CROSSBODY', 'ACC-BACKPACK-WAX']): Promise<void> {
  const search = page.getByTestId('search');
  for (const sku of skus) {
    await expect(async () => {
      await search.fill('');
      await search.fill(sku);
      await expect(page.getByTestId(`product-${sku}`)).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 60_000 });
  }
  await search.fill('');
}

/** Serious and critical axe-core findings (WCAG 2 A and AA) on the page as it is. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // A dialog caught fading in has lighter text than it will have: axe would measure a contrast
  // no cashier sees (office.spec failed so on a loaded machine).
  await settled(page);
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
