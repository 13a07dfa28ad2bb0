/**
 * A shift close a manager trusts and a back office for a shop manager (issue 14), in Debian's
 * Chromium against the real server: a blind count by notes and coins with a note for the
 * difference and a Z report that prints at 80 mm; the Today page showing the sales just made,
 * refreshed without a reload; report parameters as pickers; axe-core on every screen touched.
 */
import Decimal from 'decimal.js';
import { addBySku, catalogReady, expect, openShift, pay, seriousViolations, setUpTill, shot, signInByPin, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

const usd = (amount: Decimal | string) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(new Decimal(amount).toFixed(2) as unknown as number);

interface ZRow {
  columns: string[];
  rows: (string | number | null | Record<string, unknown>)[][];
}

interface TodayFigures {
  sales: string;
  transactions: number;
}

test('a manager closes the shift by a blind count of notes and coins, explains the difference and prints the Z report', async ({ browser, till }) => {
  test.setTimeout(180_000);
  await till.api('PUT', '/api/admin/shift-close-rule', { blind_count: true, note_over: '0.00' });
  try {
    const { context, page } = await setUpTill(browser, till, 'NYC2');
    await openShift(page, '100.00');
    await catalogReady(page, ['ACC-TOTE-CANVAS']);
    await addBySku(page, 'ACC-TOTE-CANVAS');
    const total = new Decimal((await page.getByTestId('grand-total').textContent())!.replace(/[$,]/g, ''));
    await pay(page, [['cash', null]]);
    await page.getByTestId('new-sale').click();
    const expected = total.plus(100);

    await page.getByTestId('nav-shift').click();
    const x = page.getByTestId('x-report');
    await expect(x).toContainText('Expected cash');
    await expect(x).toContainText('after the count');
    await expect(page.getByTestId('blind-count')).toBeVisible();
    // Nowhere on the screen before the count is committed.
    await expect(page.locator('body')).not.toContainText(usd(expected));
    expect(await seriousViolations(page)).toEqual([]);

    // Five twenties, a ten, three quarters and four pennies: counted exactly, in the store's money.
    await page.getByTestId('pieces-20.00').fill('5');
    await page.getByTestId('pieces-10.00').fill('1');
    await page.getByTestId('pieces-0.25').fill('3');
    await page.getByTestId('pieces-0.01').fill('4');
    await expect(page.getByTestId('count-total')).toHaveText('Counted: $110.79');
    await shot(page, 'shift-count');
    await expect(page.getByTestId('close-shift')).toHaveText('Commit the count');
    await page.getByTestId('close-shift').click();

    const dialog = page.getByTestId('close-dialog');
    const difference = new Decimal('110.79').minus(expected);
    await expect(page.getByTestId('close-expected')).toHaveText(usd(expected));
    await expect(page.getByTestId('close-difference')).toHaveText(usd(difference.abs()));
    await expect(dialog).toContainText(difference.isNeg() ? 'Short' : 'Over');
    // A difference needs its note before the close can be confirmed.
    await expect(page.getByTestId('confirm-close')).toBeDisabled();
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'shift-confirm');

    // Leaving the dialog keeps the committed count: the counter cannot recount after seeing the figure.
    await page.getByRole('button', { name: 'Not now' }).click();
    await page.reload();
    await signInByPin(page, 'grace', '369036');
    await page.getByTestId('nav-shift').click();
    await expect(page.getByTestId('committed-count')).toHaveText('Count committed: $110.79');
    await expect(page.getByTestId('pieces-20.00')).toHaveCount(0);
    await page.getByTestId('close-shift').click();
    await page.getByTestId('close-note').fill('a customer was given change from a fifty');
    await page.getByTestId('confirm-close').click();

    const z = page.getByTestId('z-report');
    await expect(z).toContainText('Z report · NYC2');
    const word = difference.isNeg() ? 'Short' : difference.isZero() ? 'Balanced' : 'Over';
    await expect(z).toContainText(`Difference: ${word}`);
    await expect(page.getByTestId('z-difference')).toHaveText(usd(difference.abs()));
    await expect(page.getByTestId('z-pieces')).toContainText('5 × $20.00$100.00');
    await expect(page.getByTestId('z-pieces')).toContainText('4 × $0.01$0.04');
    await expect(page.getByTestId('z-note')).toHaveText('Note: a customer was given change from a fifty');
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'z-report-counted');

    // Printed, the Z report alone, 80 mm wide, without its buttons.
    await page.emulateMedia({ media: 'print' });
    const width = await z.evaluate((el) => el.getBoundingClientRect().width);
    expect(width).toBeLessThanOrEqual(303); // 80 mm at 96 dpi is 302.4 px
    await expect(page.getByTestId('print-z')).toBeHidden();
    await expect(page.getByTestId('open-shift')).toBeHidden();
    await page.emulateMedia({ media: 'screen' });

    // The server kept the count by note and coin and the note with the shift.
    await expect(page.getByTestId('sync-badge')).toContainText('0 unsent', { timeout: 30_000 });
    const stored = await till.api<ZRow>('GET', '/api/reports/z-report?register=NYC2');
    const report = stored.rows[0][stored.columns.indexOf('z_report')] as Record<string, unknown>;
    const parsed = typeof report === 'string' ? (JSON.parse(report) as Record<string, unknown>) : report;
    expect(parsed.counted_by_denomination).toEqual({ '20.00': 5, '10.00': 1, '0.25': 3, '0.01': 4 });
    expect(parsed.note).toBe('a customer was given change from a fifty');
    expect(parsed.counted_cash).toBe('110.79');
    await context.close();
  } finally {
    await till.api('PUT', '/api/admin/shift-close-rule', { blind_count: false, note_over: null });
  }
});

test("Today shows the sales just made without a reload; reports take a location from a list; every back-office page passes axe, a manager's and an admin's", async ({ browser, till }) => {
  test.setTimeout(240_000);
  const before = await till.api<TodayFigures>('GET', '/api/admin/today?location=NYC');
  const office = await setUpTill(browser, till, 'NYC2');
  const seller = await setUpTill(browser, till, 'NYC1');
  const page = office.page;
  await page.getByTestId('nav-office').click();
  await expect(page.getByTestId('office-today')).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('today-location').selectOption('NYC');
  await expect(page.getByTestId('today-sales')).toHaveText(usd(before.sales));

  // Two sales on the other till, sent to the server.
  await openShift(seller.page);
  await catalogReady(seller.page, ['ACC-TOTE-CANVAS', 'ACC-CROSSBODY']);
  let sold = new Decimal(0);
  for (const sku of ['ACC-TOTE-CANVAS', 'ACC-CROSSBODY']) {
    await addBySku(seller.page, sku);
    sold = sold.plus((await seller.page.getByTestId('grand-total').textContent())!.replace(/[$,]/g, ''));
    await pay(seller.page, [['card', null]]);
    await seller.page.getByTestId('new-sale').click();
  }
  await expect(seller.page.getByTestId('sync-badge')).toContainText('0 unsent', { timeout: 30_000 });

  // The open page refreshes on its own: the figures of the two sales, in dollars and cents.
  const sales = sold.plus(before.sales);
  const transactions = before.transactions + 2;
  await expect(page.getByTestId('today-sales')).toHaveText(usd(sales), { timeout: 20_000 });
  await expect(page.getByTestId('today-transactions')).toHaveText(String(transactions));
  await expect(page.getByTestId('today-average')).toHaveText(usd(sales.div(transactions).toDecimalPlaces(2, Decimal.ROUND_HALF_UP)));
  await expect(page.getByTestId('today-top')).toContainText('ACC-TOTE-CANVAS');
  await expect(page.getByTestId('today-staff')).toContainText('Grace Okafor');
  await expect(page.getByTestId('today-locations')).toContainText('Manhattan Store');
  expect(await seriousViolations(page)).toEqual([]);
  await shot(page, 'today');

  // The warehouse alone: none of these sales.
  await page.getByTestId('today-location').selectOption('WH');
  await expect(page.getByTestId('today-locations')).not.toContainText('Manhattan Store');

  // Report parameters are pickers: a location from the manager's list, dates from a date control.
  await page.getByTestId('office-reports').click();
  await page.getByTestId('report-select').selectOption('sales-by-location');
  await expect(page.getByTestId('param-location')).toHaveJSProperty('tagName', 'SELECT');
  await expect(page.getByTestId('param-date_from')).toHaveAttribute('type', 'date');
  await page.getByTestId('param-location').selectOption('NYC');
  await page.getByTestId('run-report').click();
  await expect(page.getByTestId('report-row')).toHaveCount(1);
  await expect(page.getByTestId('report-row')).toContainText('NYC');
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByTestId('report-select').selectOption('z-report');
  await expect(page.getByTestId('param-register')).toHaveJSProperty('tagName', 'SELECT');

  // Every other back-office page a manager has, and the close rule a manager sets.
  for (const tab of ['flags', 'locations', 'staff', 'shift-rule', 'monitoring']) {
    await page.getByTestId(`office-${tab}`).click();
    await expect(page.getByTestId(`office-${tab}`)).toHaveAttribute('aria-selected', 'true');
    // Not 'networkidle': the till's live stream is a request that never ends, so the page may never be idle.
    await expect(page.getByRole('progressbar')).toHaveCount(0);
    expect(await seriousViolations(page), tab).toEqual([]);
  }
  // And an admin's own pages.
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'admin', '901290');
  await page.getByTestId('nav-office').click();
  for (const tab of ['webhooks', 'dead-letters', 'audit']) {
    await page.getByTestId(`office-${tab}`).click();
    await expect(page.getByTestId(`office-${tab}`)).toHaveAttribute('aria-selected', 'true');
    // Not 'networkidle': the till's live stream is a request that never ends, so the page may never be idle.
    await expect(page.getByRole('progressbar')).toHaveCount(0);
    expect(await seriousViolations(page), tab).toEqual([]);
  }
  await office.context.close();
  await seller.context.close();
});
