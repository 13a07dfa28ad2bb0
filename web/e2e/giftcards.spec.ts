/**
 * Gift cards on the cashier's path (docs/ledgers.md): sell a card, spend part of it on another
 * sale, check what is left; the receipt shows the card masked, never whole.
 */
import { addBySku, catalogReady, expect, grandTotal, openShift, setUpTill, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

test('a cashier sells a gift card, spends part of it on the next sale and checks its balance', async ({ browser, till: server }) => {
  const { context, page } = await setUpTill(browser, server, 'NYC1');
  await openShift(page);
  await catalogReady(page);
  const number = '6006 4912 3456 7890';

  // Sell a 50.00 card on its own, paid in cash.
  await page.getByTestId('gift-card').click();
  await page.getByTestId('gift-card-dialog-number').fill(number);
  await page.getByTestId('gift-card-amount').fill('50.00');
  await page.getByTestId('gift-card-add').click();
  await expect(page.getByTestId('cart-gift-card')).toContainText('**** 7890');
  await page.getByTestId('pay').click();
  await page.getByTestId('exact-cash').click();
  await expect(page.getByTestId('receipt-gift-card')).toHaveText('$50.00');
  await expect(page.getByTestId('receipt')).toContainText('Gift card **** 7890');
  await expect(page.getByTestId('receipt')).not.toContainText('6006491234567890');
  // The card is activated when the server accepts the sale.
  await expect
    .poll(async () => (await server.api<{ balance: string }>('POST', '/api/gift-cards/balance', { number })).balance, { timeout: 30_000 })
    .toBe('50.00');

  // Next sale: goods, 20.00 from the card, the rest in cash.
  await addBySku(page, 'ACC-TOTE-CANVAS');
  const total = await grandTotal(page);
  await page.getByTestId('pay').click();
  await page.getByTestId('pay-amount').fill('20.00');
  await page.getByTestId('gift-card-number').fill(number);
  await page.getByTestId('add-gift-card').click();
  await expect(page.getByTestId('gift-card-note')).toContainText('$20.00 taken');
  await page.getByTestId('exact-cash').click();
  await expect(page.getByTestId('receipt-payment-gift_card')).toContainText('$20.00');
  await expect(page.getByTestId('receipt')).toContainText('Gift card **** 7890');
  await expect(page.getByTestId('receipt')).not.toContainText('6006491234567890');
  expect(Number(total)).toBeGreaterThan(20);

  // The balance, asked at the till.
  await expect
    .poll(async () => (await server.api<{ balance: string }>('POST', '/api/gift-cards/balance', { number })).balance, { timeout: 30_000 })
    .toBe('30.00');
  await page.getByTestId('gift-card').click();
  await page.getByTestId('gift-card-balance-tab').click();
  await page.getByTestId('gift-card-dialog-number').fill(number);
  await page.getByTestId('gift-card-check').click();
  await expect(page.getByTestId('gift-card-balance')).toContainText('$30.00');
  await context.close();
});

test('a sale is charged to a customer account within the limit a manager set', async ({ browser, till: server }) => {
  const [olivia] = await server.api<{ id: number }[]>('GET', '/api/customers?q=olivia');
  await server.api('PUT', `/api/customers/${olivia.id}/account`, { credit_limit: '500.00' });
  const { context, page } = await setUpTill(browser, server, 'NYC2');
  await openShift(page);
  await catalogReady(page);
  await addBySku(page, 'ACC-CROSSBODY');
  const total = await grandTotal(page);
  await page.getByTestId('attach-customer').click();
  await page.getByRole('dialog').getByLabel(/Search name/).fill('olivia');
  await page.getByRole('dialog').getByText('Olivia Smith').click();
  await page.getByTestId('pay').click();
  await page.getByTestId('add-on-account').click();
  await page.getByTestId('complete-sale').click();
  await expect(page.getByTestId('receipt')).toContainText('On account');
  await expect
    .poll(async () => (await server.api<{ owed: string }>('GET', `/api/customers/${olivia.id}/account`)).owed, { timeout: 30_000 })
    .toBe(total);
  await context.close();
});
