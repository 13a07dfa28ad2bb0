// RAIL benchmark of the till in real Chromium (Debian's /usr/bin/chromium) against a real server
// holding the medium performance-toolkit catalog. Prints one line per measure and a JSON summary.
//
//   cd web && npm run build && node ../bench/web_rail.mjs [--db /tmp/till-medium/till.db] [--lighthouse]
//
// Without --db it seeds a fresh SQLite database (demo store + `till seed --profile medium`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const web = join(repo, 'web');
const require = createRequire(join(web, 'package.json'));
const { chromium } = require('@playwright/test');
const CHROMIUM = process.env.TILL_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const till = existsSync(join(repo, '.venv/bin/till')) ? [join(repo, '.venv/bin/till')] : ['uv', 'run', 'till'];

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const fmt = (values) => `p50 ${pct(values, 50).toFixed(1)} ms, p95 ${pct(values, 95).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`;
const results = {};
const record = (name, value, text) => {
  results[name] = value;
  console.log(`${name.padEnd(28)} ${text}`);
};

async function freePort() {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// --- the server ------------------------------------------------------------------------------
let dbPath = option('--db');
const env = { ...process.env };
if (!dbPath) {
  const folder = `/tmp/till-bench-${process.pid}`;
  mkdirSync(folder, { recursive: true });
  dbPath = join(folder, 'till.db');
}
env.TILL_DATABASE_URL = `sqlite:///${dbPath}`;
env.TILL_WEB_DIST = join(web, 'dist');
if (!existsSync(dbPath)) {
  const started = Date.now();
  execFileSync(till[0], [...till.slice(1), 'demo', '--no-serve'], { cwd: repo, env, stdio: 'ignore' });
  execFileSync(till[0], [...till.slice(1), 'seed', '--profile', 'medium'], { cwd: repo, env, stdio: 'ignore' });
  console.log(`seeded demo store + medium catalog in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const port = await freePort();
const server = spawn(till[0], [...till.slice(1), 'serve', '--port', String(port), '--host', '127.0.0.1'], { cwd: repo, env, stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/api/health`)).ok) break;
  } catch {
    if (i > 240) throw new Error('server did not start');
  }
  await new Promise((r) => setTimeout(r, 250));
}

// --- first-load JS, gzipped ------------------------------------------------------------------
const html = readFileSync(join(web, 'dist/index.html'), 'utf8');
const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const firstLoad = scripts.reduce((sum, file) => sum + gzipSync(readFileSync(join(web, 'dist', file))).length, 0);
const workerFile = readdirSync(join(web, 'dist/assets')).find((f) => f.startsWith('worker-'));
const workerSize = workerFile ? gzipSync(readFileSync(join(web, 'dist/assets', workerFile))).length : 0;
record('first_load_js_gzip_kb', +(firstLoad / 1024).toFixed(1), `${(firstLoad / 1024).toFixed(1)} KB (${scripts.join(', ')}); sync worker ${(workerSize / 1024).toFixed(1)} KB more, loaded after`);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const page = await context.newPage();

  // First load: navigation to the set-up form being usable.
  await page.goto(url);
  await page.getByLabel('Manager username').waitFor();
  const firstLoadMs = await page.evaluate(() => performance.now());
  record('first_load_interactive_ms', Math.round(firstLoadMs), `${firstLoadMs.toFixed(0)} ms (cold cache, set-up form usable)`);

  // First sync of the medium profile.
  await page.getByLabel('Manager username').fill('grace');
  await page.getByLabel('Password').fill('grace-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('register-select').selectOption('NYC1');
  const syncStart = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Use this register' }).click();
  await page.getByTestId('sync-progress').waitFor({ timeout: 60_000 });
  await page.getByTestId('sync-progress').waitFor({ state: 'detached', timeout: 900_000 });
  const syncEnd = await page.evaluate(() => performance.now());
  const counts = await page.evaluate(
    () =>
      new Promise((done) => {
        const open = indexedDB.open('till');
        open.onsuccess = () => {
          const tx = open.result.transaction(['products', 'stock', 'customers'], 'readonly');
          const out = {};
          let left = 3;
          for (const name of ['products', 'stock', 'customers']) {
            const req = tx.objectStore(name).count();
            req.onsuccess = () => {
              out[name] = req.result;
              if (--left === 0) done(out);
            };
          }
        };
      }),
  );
  record('first_sync_medium_s', +((syncEnd - syncStart) / 1000).toFixed(1), `${((syncEnd - syncStart) / 1000).toFixed(1)} s for ${JSON.stringify(counts)}`);
  const longTasks = await page.evaluate(([from, to]) => window.__longTasks.filter((t) => t.start >= from && t.start <= to), [syncStart, syncEnd]);
  record(
    'long_tasks_during_sync',
    { count: longTasks.length, max_ms: Math.round(Math.max(0, ...longTasks.map((t) => t.duration))) },
    `${longTasks.length} main-thread tasks over 50 ms while syncing; longest ${Math.max(0, ...longTasks.map((t) => t.duration)).toFixed(0)} ms`,
  );

  // Open the shift so the till can sell.
  await page.getByTestId('nav-shift').click();
  await page.getByTestId('open-shift').click();
  await page.getByTestId('x-report').waitFor();
  await page.getByTestId('nav-sell').click();

  // Search: keystroke-to-results for words from the catalog's names and SKUs.
  const queries = await page.evaluate(
    () =>
      new Promise((done) => {
        const open = indexedDB.open('till');
        open.onsuccess = () => {
          const req = open.result.transaction('products').objectStore('products').getAll(undefined, 4000);
          req.onsuccess = () => {
            const picked = [];
            for (let i = 7; i < req.result.length && picked.length < 40; i += 97) {
              const p = req.result[i];
              picked.push(i % 2 ? p.sku : p.name.split(' ').slice(0, 2).join(' '));
            }
            done(picked);
          };
        };
      }),
  );
  const search = [];
  for (const query of queries) {
    const ms = await page.evaluate(async (q) => {
      const input = document.querySelector('[data-testid=search]');
      const grid = document.querySelector('[data-testid=product-grid]');
      const before = grid.innerHTML;
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      const start = performance.now();
      setter.call(input, q);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (grid.innerHTML !== before && grid.querySelector('[data-testid^=product-]')) return performance.now() - start;
        if (performance.now() - start > 5000) return -1;
      }
    }, query);
    if (ms >= 0) search.push(ms);
  }
  record('search_ms', { p50: +pct(search, 50).toFixed(1), p95: +pct(search, 95).toFixed(1) }, fmt(search));
  const queryOnly = await page.evaluate(() => performance.getEntriesByName('till:search-query').map((e) => e.duration));
  if (queryOnly.length) record('search_query_only_ms', { p50: +pct(queryOnly, 50).toFixed(1), p95: +pct(queryOnly, 95).toFixed(1) }, `${fmt(queryOnly)} (IndexedDB lookup alone)`);

  // Tap to cart: a tap on a product tile until the cart shows the new quantity and total.
  await page.getByTestId('search').fill('');
  await page.getByRole('button', { name: 'Bags' }).first().click();
  await page.locator('[data-testid^=product-] button').first().waitFor();
  const taps = [];
  for (let i = 0; i < 30; i++) {
    const ms = await page.evaluate(async () => {
      const tile = document.querySelectorAll('[data-testid^=product-] .MuiCardActionArea-root')[0];
      const total = () => document.querySelector('[data-testid=grand-total]')?.textContent ?? '';
      const before = total();
      const start = performance.now();
      tile.click();
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (total() !== before && total() !== '') return performance.now() - start;
        if (performance.now() - start > 5000) return -1;
      }
    });
    if (ms >= 0) taps.push(ms);
  }
  record('tap_to_cart_ms', { p50: +pct(taps, 50).toFixed(1), p95: +pct(taps, 95).toFixed(1) }, fmt(taps));

  // Offline sale completion: "Complete sale" until the receipt shows (IndexedDB write included).
  await context.setOffline(true);
  const sales = [];
  for (let i = 0; i < 15; i++) {
    if (i > 0) {
      await page.locator('[data-testid^=product-] .MuiCardActionArea-root').first().click();
      await page.getByTestId('grand-total').waitFor();
    }
    await page.getByTestId('pay').click();
    await page.getByTestId('add-card').click();
    await page.getByTestId('complete-sale').waitFor();
    const ms = await page.evaluate(async () => {
      const start = performance.now();
      document.querySelector('[data-testid=complete-sale]').click();
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        if (document.querySelector('[data-testid=receipt-number]')) return performance.now() - start;
        if (performance.now() - start > 5000) return -1;
      }
    });
    if (ms >= 0) sales.push(ms);
    await page.getByTestId('new-sale').click();
  }
  record('offline_sale_ms', { p50: +pct(sales, 50).toFixed(1), p95: +pct(sales, 95).toFixed(1) }, fmt(sales));

  // Repeat load, offline, from the service worker's cache: navigation to the lock screen usable.
  const repeat = [];
  for (let i = 0; i < 5; i++) {
    await page.reload();
    await page.getByTestId('staff-grace').waitFor();
    repeat.push(await page.evaluate(() => performance.now()));
  }
  record('repeat_load_interactive_ms', { p50: Math.round(pct(repeat, 50)), max: Math.round(Math.max(...repeat)) }, `${fmt(repeat)} (offline, service worker cache)`);
  await context.setOffline(false);
  await context.close();

  if (argv.includes('--lighthouse')) {
    const out = execFileSync(
      'npx',
      ['-y', 'lighthouse@12', url, '--quiet', '--only-categories=performance,best-practices,accessibility,pwa', '--output=json', '--chrome-flags=--headless=new --no-sandbox --disable-gpu'],
      { cwd: web, env: { ...process.env, CHROME_PATH: CHROMIUM }, maxBuffer: 64 * 1024 * 1024 },
    ).toString();
    const report = JSON.parse(out);
    const scores = Object.fromEntries(Object.entries(report.categories).map(([k, v]) => [k, Math.round(v.score * 100)]));
    record('lighthouse', scores, JSON.stringify(scores) + ` (FCP ${report.audits['first-contentful-paint'].displayValue}, TTI ${report.audits.interactive?.displayValue}, TBT ${report.audits['total-blocking-time'].displayValue})`);
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(JSON.stringify(results));
