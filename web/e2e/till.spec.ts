/**
 * The till in real Chromium against the real server: an online sale, a day offline, and live
 * stock between two registers. With TILL_SCREENSHOTS=1 the main screens are saved to docs/screenshots/.
 */
import { addBySku, expect, grandTotal, openShift, pay, setUpTill, shot, signInByPin, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

interface Order {
  id: string;
  receipt_number: string;
  grand_total: string;
  flags: string[];
  payments: { method: string; amount: string }[];
  lines: { sku: string; qty: string }[];
  total_refunded: string;
}

test('a full sale online reaches the server with the totals the till showed', async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'NYC1', 'setup');
  await openShift(page);
  await page.getByText('Bags', { exact: true }).click();
  await expect(page.getByTestId('product-ACC-TOTE-CANVAS')).toBeVisible();
  await addBySku(page, 'ACC-TOTE-CANVAS');
  await addBySku(page, 'ACC-TOTE-CANVAS');
  await addBySku(page, 'ACC-CROSSBODY');
  await expect(page.getByTestId('line-qty').first()).toHaveText('2');
  const total = await grandTotal(page);
  await shot(page, 'sell');
  const receiptNumber = await pay(page, [['cash', '200.00']], 'checkout');
  expect(receiptNumber).toMatch(/^NYC1-[A-Z]{1,3}-\d{6}$/);
  await shot(page, 'receipt');
  await page.getByTestId('new-sale').click();
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');

  const orders = await till.api<Order[]>('GET', `/api/orders?receipt_number=${receiptNumber}`);
  expect(orders).toHaveLength(1);
  expect(Number(orders[0].grand_total).toFixed(2)).toBe(total);
  expect(orders[0].flags).not.toContain('totals_mismatch');
  expect(orders[0].lines.map((l) => [l.sku, Number(l.qty)])).toEqual([
    ['ACC-TOTE-CANVAS', 2],
    ['ACC-CROSSBODY', 1],
  ]);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'sell-phone');
  await context.close();
});

test('a day offline: three sales and a refund survive a closed tab and reach the server once', async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'NYC2');
  await openShift(page);
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('sync-badge')).toContainText('Offline');
  await shot(page, 'sign-in-offline');
  await signInByPin(page, 'grace', '369036');

  await addBySku(page, 'ACC-TOTE-CANVAS');
  const first = await pay(page, [['cash', null]]);
  await page.getByTestId('new-sale').click();

  await addBySku(page, 'ACC-BACKPACK-WAX');
  const splitTotal = await grandTotal(page);
  const second = await pay(page, [['card', '100.00'], ['cash', null]]);
  await expect(page.getByTestId('receipt')).toContainText('Card');
  await page.getByTestId('new-sale').click();

  await addBySku(page, 'ACC-MARKET-BASKET');
  await addBySku(page, 'ACC-MARKET-BASKET');
  const third = await pay(page, [['cash', '100.00']]);
  await page.getByTestId('new-sale').click();

  // Refund the first sale (made offline, on this register), back to stock.
  await page.getByTestId('nav-orders').click();
  await page.getByTestId('order-row').filter({ hasText: first }).click();
  await page.getByTestId('start-refund').click();
  await page.getByTestId('refund-qty-1').selectOption('1');
  await page.getByTestId('confirm-refund').click();
  await expect(page.getByTestId('receipt')).toContainText('Refunded');
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('sync-badge')).toContainText('Offline · 4 unsent');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shot(page, 'orders-offline');

  // Close the tab; open the till again, still offline: the outbox is still there.
  await page.close();
  const again = await context.newPage();
  await again.goto(till.url);
  await expect(again.getByTestId('sync-badge')).toContainText('Offline · 4 unsent');

  // Back online: the worker sends everything; the server has exactly these sales, once.
  await context.setOffline(false);
  await expect(again.getByTestId('sync-badge')).toContainText('Online · 0 unsent', { timeout: 30_000 });
  // This till's own receipt series: other specs on the shared server sell on NYC2 from other tills.
  const series = first.slice(0, first.lastIndexOf('-') + 1);
  const all = await till.api<Order[]>('GET', '/api/orders?register_code=NYC2&limit=200');
  const orders = all.filter((o) => o.receipt_number.startsWith(series));
  expect(orders.map((o) => o.receipt_number).sort()).toEqual([first, second, third].sort());
  const split = orders.find((o) => o.receipt_number === second)!;
  expect(split.payments.map((p) => p.method).sort()).toEqual(['card', 'cash']);
  expect(Number(split.grand_total).toFixed(2)).toBe(splitTotal);
  for (const order of orders) expect(order.flags).not.toContain('totals_mismatch');
  const refunded = orders.find((o) => o.receipt_number === first)!;
  const refunds = await till.api<unknown[]>('GET', `/api/orders/${refunded.id}/refunds`);
  expect(refunds).toHaveLength(1);
  for (const order of orders.filter((o) => o.receipt_number !== first)) {
    expect(await till.api<unknown[]>('GET', `/api/orders/${order.id}/refunds`)).toHaveLength(0);
  }
  await context.close();
});

test('a sale on one register updates the stock the other register shows within 2 s', async ({ browser, till }) => {
  const one = await setUpTill(browser, till, 'NYC1');
  const two = await setUpTill(browser, till, 'NYC2');
  for (const { page } of [one, two]) {
    await openShift(page);
    await page.getByTestId('search').fill('ACC-CROSSBODY');
    await expect(page.getByTestId('stock-ACC-CROSSBODY')).toContainText('left');
    await expect(page.getByTestId('sync-badge')).toHaveAttribute('data-live', 'true');
  }
  const before = Number(((await two.page.getByTestId('stock-ACC-CROSSBODY').textContent()) ?? '').split(' ')[0]);
  await one.page.getByTestId('search').press('Enter');
  await pay(one.page, [['card', null]]);
  const sold = Date.now();
  await expect(two.page.getByTestId('stock-ACC-CROSSBODY')).toHaveText(`${before - 1} left`, { timeout: 2000 });
  console.log(`stock reached the other register ${Date.now() - sold} ms after the sale`);
  await shot(two.page, 'live-stock');
  await one.page.getByTestId('new-sale').click();
  await one.page.getByTestId('nav-shift').click();
  await shot(one.page, 'shift');
  await one.context.close();
  await two.context.close();
});

test('cashier tools: variant picker, discount limit, coupon, new customer, park and resume, Z report', async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'NYC1');
  await page.getByTestId('sign-out').click();
  await shot(page, 'sign-in');
  await signInByPin(page, 'maya', '1357');
  await openShift(page);

  // A configurable product opens the picker; the chosen variant goes in the cart.
  await page.getByTestId('search').fill('breton');
  await page.getByTestId('product-W-BRETON-TEE').locator('.MuiCardActionArea-root').click();
  const picker = page.getByRole('dialog');
  await picker.getByRole('button', { name: 'Navy', exact: true }).click();
  await picker.getByRole('button', { name: 'M', exact: true }).click();
  await expect(picker).toContainText('W-BRETON-TEE-M-NVY');
  await shot(page, 'variant-picker');
  await picker.getByTestId('picker-add').click();
  await expect(page.getByTestId('cart-line')).toHaveCount(1);

  // A cashier may give 10 % at most.
  await page.getByRole('button', { name: 'line discount' }).click();
  const discount = page.getByRole('dialog');
  await discount.getByLabel('Percent').fill('15');
  await expect(discount).toContainText('Over your limit of 10%');
  await expect(discount.getByRole('button', { name: 'Apply' })).toBeDisabled();
  await discount.getByLabel('Percent').fill('10');
  await discount.getByRole('button', { name: 'Apply' }).click();
  await page.getByLabel('Coupon').fill('WELCOME10');

  // A new customer, made at the till, attached to the sale.
  await page.getByTestId('attach-customer').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'New customer' }).click();
  await dialog.getByLabel('firstname').fill('Ada');
  await dialog.getByLabel('lastname').fill('Byron');
  await dialog.getByLabel('email').fill('ada.byron@example.org');
  await dialog.getByRole('button', { name: 'Save customer' }).click();
  await expect(page.getByTestId('attach-customer')).toHaveText('Ada Byron');

  // Park and resume.
  const total = await grandTotal(page);
  await page.getByRole('button', { name: 'Park' }).click();
  await expect(page.getByTestId('cart-line')).toHaveCount(0);
  await page.getByTestId('resume').click();
  await page.getByRole('dialog').getByRole('button').first().click();
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  expect(await grandTotal(page)).toBe(total);

  const receiptNumber = await pay(page, [['card', null]]);
  await page.getByTestId('new-sale').click();
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');
  const [order] = await till.api<(Order & { coupon_code: string | null; customer_id: number | null; discount: string })[]>(
    'GET',
    `/api/orders?receipt_number=${receiptNumber}`,
  );
  expect(order.coupon_code).toBe('WELCOME10');
  expect(order.customer_id).not.toBeNull();
  expect(order.lines.map((l) => l.sku)).toEqual(['W-BRETON-TEE-M-NVY']);
  expect(order.flags).not.toContain('totals_mismatch');
  expect(Number(order.grand_total).toFixed(2)).toBe(total);
  const customers = await till.api<{ id: number }[]>('GET', '/api/customers?q=ada.byron');
  expect(customers.map((c) => c.id)).toEqual([order.customer_id]);

  // Only a manager closes the shift; the Z report counts the till's sales.
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'grace', '369036');
  await page.getByTestId('nav-shift').click();
  await page.getByTestId('count-by-total').click();
  await page.getByTestId('counted').fill('100.00');
  await page.getByTestId('close-shift').click();
  await page.getByTestId('confirm-close').click();
  await expect(page.getByTestId('z-report')).toContainText('Counted cash');
  await shot(page, 'z-report');
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');
  await expect(till.api('GET', '/api/registers/NYC1/shift')).rejects.toThrow(/40[49]/);
  await context.close();
});

test('with no till page open, Background Sync in the service worker sends the outbox', async ({ browser, till }) => {
  const { context, page } = await setUpTill(browser, till, 'WH1');
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'grace', '369036');
  await openShift(page);
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');
  await context.setOffline(true);
  await addBySku(page, 'ACC-TOTE-CANVAS');
  const receiptNumber = await pay(page, [['cash', null]]);
  await expect(page.getByTestId('sync-badge')).toContainText('1 unsent');

  // Close the till (its sync worker goes with it); only the service worker is left.
  const blank = await context.newPage();
  await page.close();
  await context.setOffline(false);
  const cdp = await context.newCDPSession(blank);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: { registrationId: string; scopeURL: string }[] }) => {
    registrations.push(...event.registrations);
  });
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.find((r) => r.scopeURL.startsWith(till.url))).toBeTruthy();
  const { registrationId } = registrations.find((r) => r.scopeURL.startsWith(till.url))!;
  // Chromium fires the registered sync by itself once the network is back; dispatching it here
  // makes the test not wait on the browser's timing. (Without the page's sync registration the
  // outbox stays put: checked by hand while writing this test.)
  await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: till.url, registrationId, tag: 'till-outbox', lastChance: false });
  await expect
    .poll(async () => (await till.api<Order[]>('GET', `/api/orders?receipt_number=${receiptNumber}`)).length, { timeout: 15_000 })
    .toBe(1);
  await context.close();
});
