/**
 * Stock at the till (issue 17 items 3 and 4): a transfer received by scanning with a short
 * line, and a blind cycle count whose variance a manager approves. Scans are keyboard-wedge
 * bursts (fast keys ending in Enter), as a scanner types them, stamped 4 ms apart by the shared
 * `scan` helper so a loaded machine cannot space them into typing (a scan was lost so).
 */
import { expect, scan, setUpTill, shot, signInByPin, skipWithoutChromium, test, type TillServer } from './fixtures';

skipWithoutChromium();

type Stock = { sources: { source_code: string; quantity: string }[] };
type Product = { sku: string; barcode: string | null };

async function onHand(till: TillServer, sku: string, source: string): Promise<number> {
  const stock = await till.api<Stock>('GET', `/api/stock/${sku}`);
  return Number(stock.sources.find((s) => s.source_code === source)?.quantity ?? '0');
}

async function codeOf(till: TillServer, sku: string): Promise<string> {
  const product = await till.api<Product>('GET', `/api/products/${sku}`);
  return product.barcode ?? product.sku;
}

test('a manager sends a transfer by scanning; a cashier receives it by scanning, and the short line is recorded', async ({ browser, till }) => {
  const sku = 'ACC-WEEKENDER-LTH'; // none at the Manhattan shop, four at the warehouse
  const [shopBefore, warehouseBefore] = [await onHand(till, sku, 'nyc_store'), await onHand(till, sku, 'nj_warehouse')];
  const code = await codeOf(till, sku);

  // The manager at the warehouse's counter scans three bags out to the Manhattan shop and sends them.
  const warehouse = await setUpTill(browser, till, 'WH1');
  await warehouse.page.getByTestId('nav-stock').click();
  await warehouse.page.getByTestId('send-transfer').click();
  await warehouse.page.getByTestId('send-to').selectOption('NYC');
  for (let i = 0; i < 3; i++) await scan(warehouse.page, code);
  await expect(warehouse.page.getByTestId(`send-line-${sku}`)).toContainText('3');
  await warehouse.page.getByTestId('send').click();
  await expect(warehouse.page.getByTestId('send-screen')).toContainText('in transit to NYC');
  const transfer = { id: Number(/Transfer (\d+)/.exec((await warehouse.page.getByTestId('send-screen').textContent()) ?? '')?.[1]) };
  await warehouse.context.close();
  expect(await onHand(till, sku, 'nj_warehouse')).toBe(warehouseBefore - 3);

  const { context, page } = await setUpTill(browser, till, 'NYC1');
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'maya', '1357');
  await page.getByTestId('nav-stock').click();
  await page.getByTestId('arriving-transfer').filter({ hasText: `Transfer ${transfer.id} from WH` }).click();
  const line = page.getByTestId(`receive-line-${sku}`);
  await expect(line.getByTestId('discrepancy')).toHaveText('short 3');

  // Two of the three bags came off the van.
  await scan(page, code);
  await expect(line.getByTestId('scanned')).toHaveText('1');
  await scan(page, code);
  await expect(line.getByTestId('scanned')).toHaveText('2');
  await expect(line.getByTestId('discrepancy')).toHaveText('short 1');
  await shot(page, 'receive-transfer');
  await page.getByTestId('receive').click();
  await expect(page.getByTestId('received')).toBeVisible();
  await expect(line.getByTestId('discrepancy')).toHaveText('short 1');

  // The shop's source has the two that arrived; the missing one is on no source.
  expect(await onHand(till, sku, 'nyc_store')).toBe(shopBefore + 2);
  expect(await onHand(till, sku, 'nj_warehouse')).toBe(warehouseBefore - 3);
  const stored = await till.api<{ state: string; lines: { discrepancies: { kind: string; quantity: string }[] }[] }>('GET', `/api/transfers/${transfer.id}`);
  expect(stored.state).toBe('received');
  expect(stored.lines[0].discrepancies.map((d) => [d.kind, Number(d.quantity)])).toEqual([['short', 1]]);
  await context.close();
});

test('a blind cycle count: the cashier scans without seeing the book, a manager approves the variance', async ({ browser, till }) => {
  const sku = 'ACC-TOTE-CANVAS';
  // The book says 3 at the shop; 2 are on the shelf.
  // (204: no body for the fixture's api() to read, so its complaint is ignored; the level is checked.)
  await till.api('POST', '/api/stock/adjustments', { sku, source_code: 'nyc_store', reason: 'count', quantity: '3' }).catch(() => undefined);
  expect(await onHand(till, sku, 'nyc_store')).toBe(3);

  const { context, page } = await setUpTill(browser, till, 'NYC2');
  await page.getByTestId('nav-stock').click();
  await page.getByTestId('count-skus').fill(sku);
  await page.getByTestId('start-count').click();
  await expect(page.getByTestId('count-state')).toHaveText('counting');

  // The cashier counts: blind, she sees what she scanned and nothing of the book.
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'maya', '1357');
  await page.getByTestId('nav-stock').click();
  await page.getByTestId('stock-count').first().click();
  const line = page.getByTestId(`count-line-${sku}`);
  await expect(line.getByTestId('counted')).toHaveText('—');
  const code = await codeOf(till, sku);
  await scan(page, code);
  await expect(line.getByTestId('counted')).toHaveText('1');
  await scan(page, code);
  await expect(line.getByTestId('counted')).toHaveText('2');
  await expect(page.getByTestId('expected')).toHaveCount(0);
  await expect(line).not.toContainText('3');
  await page.getByTestId('submit-count').click();
  await expect(page.getByTestId('count-state')).toHaveText('review');
  await expect(page.getByTestId('approve-count')).toHaveCount(0);

  // The manager reviews: expected 3, counted 2, variance −1; she approves.
  await page.getByTestId('sign-out').click();
  await signInByPin(page, 'grace', '369036');
  await page.getByTestId('nav-stock').click();
  await page.getByTestId('stock-count').filter({ hasText: 'waiting for a manager' }).first().click();
  await expect(line.getByTestId('expected')).toHaveText('3');
  await expect(line.getByTestId('variance')).toHaveText('-1');
  await shot(page, 'count-review');
  await page.getByTestId('approve-count').click();
  await expect(page.getByTestId('count-state')).toHaveText('approved');
  expect(await onHand(till, sku, 'nyc_store')).toBe(2);
  await context.close();
});
