/**
 * The back office in real Chromium against the real server: a manager watches the live
 * monitoring page while a cashier on another register sells; the manager runs a built-in
 * report and exports it; the cashier never sees the back office; an admin manages webhooks,
 * dead letters (with a real `till worker`) and staff.
 */
import { readFileSync } from 'node:fs';
import Decimal from 'decimal.js';
import { addBySku, expect, openShift, pay, setUpTill, shot, signInByPin, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

interface Snapshot {
  sales_last_minute: number;
}

test('a manager watches a sale arrive on the live monitoring page, runs a report; a cashier sees no back office', async ({ browser, till }) => {
  test.setTimeout(240_000);
  // A worker relays the outbox, so the queue charts move too (it is stopped at the end).
  const stopWorker = till.startWorker();
  // The cashier sells on NYC1: the offline test in till.spec.ts counts NYC2's orders exactly.
  const manager = await setUpTill(browser, till, 'NYC2');
  const cashier = await setUpTill(browser, till, 'NYC1');

  // The cashier's till: no back-office tab (and the server refuses the JSON anyway).
  await cashier.page.getByTestId('sign-out').click();
  await signInByPin(cashier.page, 'maya', '1357');
  await expect(cashier.page.getByTestId('nav-shift')).toBeVisible();
  await expect(cashier.page.getByTestId('nav-office')).toHaveCount(0);
  await openShift(cashier.page);

  // Sales made earlier (other tests on this server) leave the one-minute window first, so the
  // sale below is the only one the figure can count.
  await expect.poll(async () => (await till.api<Snapshot>('GET', '/api/admin/monitoring')).sales_last_minute, { timeout: 75_000, intervals: [2_000] }).toBe(0);

  const page = manager.page;
  await page.getByTestId('nav-office').click();
  await expect(page.getByTestId('office-today')).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('office-monitoring').click();
  await expect(page.getByTestId('sales-per-minute')).toHaveText('0');
  await expect(page.getByTestId('chart-sales-sales')).toHaveText('0');
  // The manager's role sees no admin-only pages.
  await expect(page.getByTestId('office-webhooks')).toHaveCount(0);

  await addBySku(cashier.page, 'ACC-TOTE-CANVAS');
  await pay(cashier.page, [['cash', null]]);
  await cashier.page.getByTestId('new-sale').click();
  await expect(cashier.page.getByTestId('sync-badge')).toContainText('0 unsent');

  // The page polls every few seconds: the figure and the chart's newest point both show the sale.
  await expect(page.getByTestId('sales-per-minute')).toHaveText('1', { timeout: 15_000 });
  await expect(page.getByTestId('chart-sales-sales')).toHaveText('1');
  await expect(page.getByTestId('chart-sales').getByRole('img')).toHaveAttribute('aria-label', /Sales per minute: sales 1/);
  await expect(page.getByTestId('chart-lag').getByTestId('chart-lag-NYC1')).toBeVisible();
  // The worker's heartbeat, and the sale's stock event handled on the live queue: it has a mean time.
  await expect(page.getByTestId('workers')).toHaveText('1', { timeout: 45_000 });
  await expect(page.getByTestId('chart-mean-live · total')).toHaveText(/^\d/, { timeout: 30_000 });
  await shot(page, 'monitoring');

  // A built-in report, run with no parameters, has the day's sale; CSV export downloads it.
  await page.getByTestId('office-reports').click();
  await page.getByTestId('report-select').selectOption('sales-by-day');
  await page.getByTestId('run-report').click();
  await expect(page.getByTestId('report-row').first()).toBeVisible();
  const expected = await till.api<{ columns: string[]; rows: (string | number | null)[][] }>('GET', '/api/reports/sales-by-day');
  expect(expected.rows.length).toBeGreaterThan(0);
  await expect(page.getByTestId('report-count')).toHaveText(`${expected.rows.length} row${expected.rows.length === 1 ? '' : 's'}`);
  const shown = await page.getByTestId('report-row').evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)));
  // Money columns as dollars and cents, exact: the server's sum may carry float noise.
  const money = new Set(['total', 'tax', 'discount']);
  const asShown = (column: string, cell: string | number | null) =>
    cell === null ? '' : money.has(column) ? `$${new Decimal(String(cell)).toFixed(2, Decimal.ROUND_HALF_UP)}` : String(cell);
  expect(shown).toEqual(expected.rows.map((row) => row.map((cell, i) => asShown(expected.columns[i], cell))));
  await shot(page, 'reports');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toBe('sales-by-day.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  const headers = await page.getByTestId('report-table').locator('thead th').allTextContents();
  expect(csv[0]).toBe(headers.join(','));
  expect(csv.length).toBe(1 + (await page.getByTestId('report-row').count()));

  // Locations with their registers, and the flags list, for the manager's locations.
  await page.getByTestId('office-locations').click();
  await expect(page.getByTestId('location-NYC')).toContainText('NYC1');
  await expect(page.getByTestId('location-NYC')).toContainText('NYC2');
  await page.getByTestId('office-flags').click();
  await expect(page.getByTestId('flags-table')).toBeVisible();

  // Offline, the back office says it needs the network instead of showing stale figures.
  await manager.context.setOffline(true);
  await expect(page.getByTestId('office-offline')).toContainText('needs the network');
  await manager.context.setOffline(false);

  stopWorker();
  await manager.context.close();
  await cashier.context.close();
});

test('an admin adds a webhook endpoint and switches it off, handles a dead letter, and adds a member of staff', async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'WH1');
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'admin', '901290');
  await page.getByTestId('nav-office').click();

  await page.getByTestId('office-webhooks').click();
  await page.getByTestId('webhook-name').fill('Accounting');
  await page.getByTestId('webhook-url').fill('http://127.0.0.1:9/accounting');
  await page.getByTestId('webhook-topics').fill('sale.placed, refund.made');
  await page.getByTestId('webhook-add').click();
  // The signing secret is shown once, and it is the one the server keeps (not listed again).
  await expect(page.getByTestId('webhook-secret')).not.toBeEmpty();
  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.getByTestId('webhook-table').getByRole('row').filter({ hasText: 'Accounting' });
  await expect(row).toContainText('refund.made, sale.placed');
  await row.getByLabel('Accounting active').click();
  await expect(row).toContainText('off');
  const endpoints = await till.api<{ name: string; active: boolean; topics: string[]; secret?: string }[]>('GET', '/api/admin/webhooks');
  const made = endpoints.find((e) => e.name === 'Accounting');
  expect(made?.active).toBe(false);
  expect([...(made?.topics ?? [])].sort()).toEqual(['refund.made', 'sale.placed']);
  expect(made?.secret).toBeUndefined();

  // A webhook receiver that is not there: with one try allowed, the worker dead-letters the
  // price change it was sent; the admin inspects it, replays it (dead again), then discards it.
  const unreachable = await till.api<{ id: number }>('POST', '/api/admin/webhooks', { name: 'Gone', url: 'http://127.0.0.1:9/gone', topics: ['price.changed'] });
  const stopWorker = till.startWorker({ TILL_QUEUE_MAX_ATTEMPTS: '1' });
  try {
    await till.api('PUT', '/api/admin/prices/ACC-TOTE-CANVAS', { price: '39.00' });
    await expect
      .poll(async () => (await till.api<{ id: number; queue: string }[]>('GET', '/api/admin/dead-letters')).filter((l) => l.queue.endsWith(`webhook.${unreachable.id}`)).length, {
        timeout: 60_000,
      })
      .toBe(1);
    await page.getByTestId('office-dead-letters').click();
    const letter = page.getByTestId('dead-letters').getByRole('row').filter({ hasText: 'price.changed' });
    await expect(letter).toHaveCount(1);
    await letter.getByRole('button', { name: 'Inspect' }).click();
    await expect(page.getByRole('dialog')).toContainText('ACC-TOTE-CANVAS');
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await expect(page.getByTestId('toast')).toContainText('sent to its queue again');
    // Replayed with fresh tries, refused again by the missing receiver: dead once more.
    await expect
      .poll(async () => (await till.api<{ queue: string }[]>('GET', '/api/admin/dead-letters')).filter((l) => l.queue.endsWith(`webhook.${unreachable.id}`)).length, {
        timeout: 60_000,
      })
      .toBe(1);
    await page.getByTestId('office-staff').click();
    await page.getByTestId('office-dead-letters').click();
    await letter.getByRole('button', { name: 'Discard' }).click();
    await expect(letter).toHaveCount(0);
    expect(await till.api<unknown[]>('GET', '/api/admin/dead-letters')).toHaveLength(0);
  } finally {
    stopWorker();
  }

  await page.getByTestId('office-staff').click();
  await page.getByTestId('staff-username').fill('lena');
  await page.getByTestId('staff-name').fill('Lena Park');
  await page.getByTestId('staff-password').fill('lena-demo-pass');
  await page.getByTestId('staff-pin').fill('4826');
  await page.getByTestId('staff-locations').fill('WH');
  await page.getByTestId('staff-add').click();
  await expect(page.getByTestId('staff-table')).toContainText('Lena Park');
  const staff = await till.api<{ username: string; role: string; locations: string[] }[]>('GET', '/api/admin/staff');
  expect(staff.find((m) => m.username === 'lena')).toMatchObject({ role: 'cashier', locations: ['WH'] });
  await context.close();
});

test("an admin finds a cashier's cash movement in the audit log", async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'NYC1');
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'maya', '1357');
  await openShift(page);
  await page.getByTestId('nav-shift').click();
  await page.getByLabel('Amount').fill('12.5');
  await page.getByLabel('Reason').fill('change from the bank');
  await page.getByRole('button', { name: 'Cash in' }).click();
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');

  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'admin', '901290');
  await page.getByTestId('nav-office').click();
  await page.getByTestId('office-audit').click();
  await page.getByTestId('audit-action').selectOption('cash');
  await page.getByTestId('audit-apply').click();
  const row = page.getByTestId('audit-row').filter({ hasText: 'change from the bank' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('maya');
  await expect(row).toContainText('NYC · NYC1');
  await expect(row).toContainText('$12.50 into the drawer');
  await shot(page, 'audit-log');
  await context.close();
});
