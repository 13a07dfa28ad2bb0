/**
 * Receipts that leave the till (issue 14): e-mailed by the server to a real SMTP server
 * (aiosmtpd, started here) online and offline, exactly once each; printed without a dialog on a
 * network printer (a real TCP receiver answering ESC/POS status requests, started here) with the
 * drawer kicked on cash; with the printer down the sale completes and Reprint works once it is up.
 */
import type { Page } from '@playwright/test';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addBySku, catalogReady, expect, openShift, pay, setUpTill, skipWithoutChromium, test } from './fixtures';

skipWithoutChromium();

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STATUS_QUERY = Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x04]);
const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa]);
const FEED_AND_CUT = Buffer.from([0x1b, 0x64, 0x04, 0x1d, 0x56, 0x01]);

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** aiosmtpd on a loopback port, printing each message it receives (its Debugging handler). */
async function startMailbox(): Promise<{ port: number; messages: () => string[]; stop: () => void }> {
  const port = await freePort();
  const python = existsSync(join(REPO, '.venv/bin/python')) ? join(REPO, '.venv/bin/python') : 'python3';
  const child: ChildProcess = spawn(python, ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((done) => {
      const probe = createServer();
      probe.once('error', () => done(true));
      probe.listen(port, '127.0.0.1', () => probe.close(() => done(false)));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('aiosmtpd did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const messages = () => out.split('---------- MESSAGE FOLLOWS ----------').slice(1);
  return { port, messages, stop: () => child.kill('SIGTERM') };
}

/** A network receipt printer: answers the status request as a ready printer, keeps each job's bytes. */
class Printer {
  jobs: Buffer[] = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      let received = Buffer.alloc(0);
      let answered = false;
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (!answered && received.length >= STATUS_QUERY.length) {
          answered = true;
          socket.write(Buffer.from([0x12, 0x12]));
        }
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.jobs.push(received.subarray(STATUS_QUERY.length));
      });
    });
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
    this.server = null;
  }
}

async function sellOne(page: Page, sku = 'ACC-TOTE-CANVAS'): Promise<string> {
  await addBySku(page, sku);
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  return pay(page, [['cash', '100.00']]);
}

async function nextSale(page: Page): Promise<void> {
  await page.getByTestId('new-sale').click();
  await expect(page.getByTestId('sale-done')).toHaveCount(0);
}

async function emailReceipt(page: Page, to: string): Promise<void> {
  await page.getByTestId('email-receipt').click();
  await page.getByTestId('email-address').fill(to);
  await page.getByTestId('email-send').click();
  await expect(page.getByTestId('toast')).toContainText(`Receipt e-mail to ${to} queued`);
}

test('the cashier e-mails a receipt online and offline: the SMTP server gets exactly one of each', async ({ browser, till }) => {
  const mailbox = await startMailbox();
  const stopWorker = till.startWorker({
    TILL_SMTP_HOST: '127.0.0.1',
    TILL_SMTP_PORT: String(mailbox.port),
    TILL_SMTP_STARTTLS: 'false',
    TILL_SMTP_FROM: 'Till Demo <receipts@shop.example>',
  });
  const { context, page } = await setUpTill(browser, till, 'NYC1');
  try {
    await openShift(page);
    await catalogReady(page, ['ACC-TOTE-CANVAS']);
    const online = await sellOne(page);
    const change = ((await page.getByTestId('change-due-big').textContent()) ?? '').trim();
    await emailReceipt(page, 'online.buyer@example.com');
    await expect.poll(() => mailbox.messages().length, { timeout: 30_000 }).toBe(1);
    expect(mailbox.messages()[0]).toContain('To: online.buyer@example.com');
    expect(mailbox.messages()[0]).toContain(`Receipt ${online}`);
    expect(mailbox.messages()[0]).toMatch(new RegExp(`Change +\\${change}`));

    await nextSale(page);
    await context.setOffline(true);
    await expect(page.locator('header')).toHaveAttribute('data-offline', 'true');
    const offline = await sellOne(page);
    await emailReceipt(page, 'offline.buyer@example.com');
    await expect(page.getByTestId('sync-badge')).toContainText('2 unsent');
    await page.waitForTimeout(1000);
    expect(mailbox.messages()).toHaveLength(1);

    await context.setOffline(false);
    await expect.poll(() => mailbox.messages().length, { timeout: 60_000 }).toBe(2);
    expect(mailbox.messages()[1]).toContain('To: offline.buyer@example.com');
    expect(mailbox.messages()[1]).toContain(`Receipt ${offline}`);
    await expect(page.getByTestId('sync-badge')).toContainText('0 unsent', { timeout: 30_000 });
    await page.waitForTimeout(2000);
    expect(mailbox.messages()).toHaveLength(2);
  } finally {
    await context.close();
    stopWorker();
    mailbox.stop();
  }
});

test('a cash sale prints on the network printer and kicks the drawer; with the printer down the sale completes and Reprint works', async ({ browser, till }) => {
  const printer = new Printer(await freePort());
  await printer.start();
  const made = await till.api<{ id: number }>('POST', '/api/printers', { register_code: 'NYC1', name: 'Front counter', host: '127.0.0.1', port: printer.port, drawer: true });
  const { context, page } = await setUpTill(browser, till, 'NYC1');
  try {
    await openShift(page);
    await catalogReady(page, ['ACC-TOTE-CANVAS']);
    const first = await sellOne(page);
    await expect(page.getByTestId('print-status')).toContainText('Printed on Front counter', { timeout: 30_000 });
    await expect.poll(() => printer.jobs.length).toBe(1);
    expect(printer.jobs[0].subarray(0, 10).includes(DRAWER_KICK)).toBe(true);
    expect(printer.jobs[0].includes(Buffer.from(first))).toBe(true);
    expect(printer.jobs[0].subarray(-6)).toEqual(FEED_AND_CUT);

    await nextSale(page);
    await printer.stop();
    const second = await sellOne(page);
    await expect(page.getByTestId('sale-done')).toBeVisible();
    await expect(page.getByTestId('print-failed')).toContainText('Not printed on Front counter', { timeout: 30_000 });
    await expect(page.getByTestId('print-failed')).toContainText('refused the connection');

    await printer.start();
    await page.getByTestId('reprint').click();
    await expect(page.getByTestId('print-status')).toContainText('Printed on Front counter', { timeout: 30_000 });
    await expect.poll(() => printer.jobs.length).toBe(2);
    expect(printer.jobs[1].includes(Buffer.from(second))).toBe(true);
    expect(printer.jobs[1].includes(DRAWER_KICK)).toBe(true);
  } finally {
    await context.close();
    await till.api('DELETE', `/api/printers/${made.id}`).catch(() => undefined);
    await printer.stop();
  }
});
