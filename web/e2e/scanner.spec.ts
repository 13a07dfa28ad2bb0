/**
 * The scanner as a cashier hears and sees it (issue 14): a beep, the changed line highlighted and
 * an announcement on every scan; a scan that lands in another field or during payment goes to
 * the cart, and the amount being paid never changes without the cashier seeing it.
 * A scan is keyboard-wedge input: fast keystrokes ending in Enter, into whatever has the focus.
 */
import type { Locator, Page } from '@playwright/test';
import { addBySku, catalogReady, expect, grandTotal, openShift, scan, setUpTillIn, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

/** Frequencies of the tones the page started, in order (the real WebAudio output, counted on the way). */
const beeps = (page: Page) => page.evaluate(() => (window as unknown as { beeps: number[] }).beeps);

const highlighted = (line: Locator) => line.evaluate((el) => getComputedStyle(el).borderLeftColor !== 'rgba(0, 0, 0, 0)');

test('every scan beeps, highlights the line it changed and is announced; an unknown code sounds different', async ({ browser, till }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const w = window as unknown as { beeps: number[] };
    w.beeps = [];
    // start() is the scheduled-source's, shared with buffer sources: count the oscillators'.
    const prototype = AudioScheduledSourceNode.prototype;
    const start = Object.getOwnPropertyDescriptor(prototype, 'start')!.value as (this: AudioScheduledSourceNode, when?: number) => void;
    prototype.start = function (this: AudioScheduledSourceNode, when?: number) {
      if (this instanceof OscillatorNode) w.beeps.push(this.frequency.value);
      start.call(this, when);
    };
  });
  const page = await setUpTillIn(context, till, 'NYC1');
  await openShift(page);
  await catalogReady(page);
  const announced = page.getByRole('status').filter({ hasText: /Added|No product/ }).or(page.getByTestId('scan-announcement'));
  const tote = page.getByTestId('cart-line').filter({ hasText: 'Canvas Tote Bag' });
  const pouch = page.getByTestId('cart-line').filter({ hasText: 'Crossbody Pouch' });

  await scan(page, 'ACC-TOTE-CANVAS');
  await expect(page.getByTestId('scan-announcement')).toHaveText('Added Canvas Tote Bag, 1 in cart');
  await expect(page.getByTestId('scan-announcement')).toHaveAttribute('aria-live', 'polite');
  expect(await highlighted(tote)).toBe(true);

  await scan(page, 'ACC-CROSSBODY');
  await expect(announced).toHaveText('Added Crossbody Pouch, 1 in cart');
  expect(await highlighted(pouch)).toBe(true);
  expect(await highlighted(tote)).toBe(false);

  await scan(page, 'ACC-TOTE-CANVAS');
  await expect(announced).toHaveText('Added Canvas Tote Bag, 2 in cart');
  await expect(tote.getByTestId('line-qty')).toHaveText('2');
  expect(await highlighted(tote)).toBe(true);
  expect(await highlighted(pouch)).toBe(false);

  await scan(page, 'NO-SUCH-CODE-42');
  await expect(announced).toHaveText('No product with barcode or SKU NO-SUCH-CODE-42');
  await expect(page.getByTestId('cart-line')).toHaveCount(2);

  // Three high beeps for the found, one low for the unknown.
  expect(await beeps(page)).toEqual([1760, 1760, 1760, 220]);
  await context.close();
});

test('a scan during payment goes to the cart: the due grows in plain sight, a typed amount stays, and its Enter completes nothing', async ({ browser, till }) => {
  const context = await browser.newContext();
  const page = await setUpTillIn(context, till, 'NYC1');
  await openShift(page);
  await catalogReady(page);
  await addBySku(page, 'ACC-TOTE-CANVAS');
  const first = await grandTotal(page);
  await page.getByTestId('pay').click();
  const amount = page.getByTestId('pay-amount');
  const dialog = page.getByRole('dialog');
  await expect(amount).toBeFocused();
  await expect(amount).toHaveValue(first);

  // Scanned into the amount: the item goes to the cart, the amount the till proposed follows the due.
  await scan(page, 'ACC-CROSSBODY');
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  const second = await grandTotal(page);
  await expect(dialog.getByTestId('added-while-paying')).toHaveText(`Added Crossbody Pouch while paying: due is now $${second}, was $${first}.`);
  await expect(dialog.getByRole('heading')).toHaveText(`Pay $${second}`);
  await expect(amount).toHaveValue(second);

  // Scanned with the focus on "Exact cash": the scanner's Enter does not press it.
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('exact-cash')).toBeFocused();
  await scan(page, 'ACC-MARKET-BASKET');
  await expect(page.getByTestId('cart-line')).toHaveCount(3);
  await expect(page.getByTestId('receipt-number')).toHaveCount(0);
  const third = await grandTotal(page);
  await expect(dialog.getByRole('heading')).toHaveText(`Pay $${third}`);

  // An amount the cashier typed is kept when a scan raises the due.
  await amount.fill('500.00');
  await amount.focus();
  await scan(page, 'ACC-BACKPACK-WAX');
  await expect(page.getByTestId('cart-line')).toHaveCount(4);
  const fourth = await grandTotal(page);
  await expect(dialog.getByTestId('added-while-paying')).toHaveText(
    `Added Crossbody Pouch, Woven Market Basket, Waxed Canvas Backpack while paying: due is now $${fourth}, was $${first}.`,
  );
  await expect(amount).toHaveValue('500.00');

  await amount.press('Enter');
  const receipt = ((await page.getByTestId('receipt-number').textContent()) ?? '').trim();
  await expect(page.getByTestId('receipt')).toContainText(`$${fourth}`);
  await page.getByTestId('new-sale').click();
  await expect(page.getByTestId('sync-badge')).toContainText('0 unsent');
  const [order] = await till.api<{ grand_total: string; lines: { sku: string }[] }[]>('GET', `/api/orders?receipt_number=${receipt}`);
  expect(Number(order.grand_total).toFixed(2)).toBe(fourth);
  expect(order.lines.map((l) => l.sku)).toEqual(['ACC-TOTE-CANVAS', 'ACC-CROSSBODY', 'ACC-MARKET-BASKET', 'ACC-BACKPACK-WAX']);
  await context.close();
});
