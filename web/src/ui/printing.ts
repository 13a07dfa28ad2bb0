/**
 * Printing without a dialog. The ESC/POS bytes are made by the server's one encoder
 * (docs/client.md): a network printer is driven by the server itself (raw TCP 9100), a USB or
 * serial printer gets the same bytes from here over WebUSB / Web Serial where the browser has
 * them (Chrome and Edge on desktops and Android; not Safari, not Firefox).
 */
import { ApiError, type Credentials, NetworkError, call } from '../api/client';
import { type TillDB, getMeta, setMeta } from '../data/db';
import type { Receipt } from '../data/types';

export interface NetworkPrinter {
  id: number;
  register_code: string;
  name: string;
  host: string;
  port: number;
  paper_mm: number;
  drawer: boolean;
}

/** The register's network printers: from the server when it answers, else as last seen. */
export async function registerPrinters(database: TillDB, creds: Credentials, registerCode: string): Promise<NetworkPrinter[]> {
  try {
    const found = await call<NetworkPrinter[]>(creds, 'GET', `/api/printers?register_code=${encodeURIComponent(registerCode)}`, undefined, { timeoutMs: 5000 });
    await setMeta(database, `printers:${registerCode}`, found);
    return found;
  } catch {
    return (await getMeta<NetworkPrinter[]>(database, `printers:${registerCode}`)) ?? [];
  }
}

/** The sale's order id once the server has it: waits up to `waitMs` for the sync to send it. */
export async function orderIdOf(database: TillDB, receipt: Receipt, waitMs = 10_000): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = await database.receipts.get(receipt.key);
    if (current?.orderId) return current.orderId;
    if (current?.status === 'rejected' || Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Why a print failed, in words a cashier can act on. */
export function printProblem(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof NetworkError) return 'the server is not answering (offline?)';
  return error instanceof Error ? error.message : String(error);
}

/** Print a sale's receipt on a network printer through the server; throws with the reason. */
export async function printOnNetwork(
  database: TillDB,
  creds: Credentials,
  printer: NetworkPrinter,
  receipt: Receipt,
  gift: boolean,
): Promise<void> {
  const orderId = await orderIdOf(database, receipt);
  if (!orderId) throw new Error('the sale has not reached the server yet (offline?)');
  // The server's own timeout is 5 s per step: allow it to answer before giving up here.
  await call(creds, 'POST', `/api/printers/${printer.id}/print`, { order_id: orderId, gift, open_drawer: !gift }, { timeoutMs: 20_000 });
}

interface UsbLike {
  requestDevice(options: { filters: object[] }): Promise<UsbDevice>;
}
interface UsbDevice {
  open(): Promise<void>;
  selectConfiguration(n: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  transferOut(endpoint: number, data: BufferSource): Promise<unknown>;
  close(): Promise<void>;
  configuration: { interfaces: { interfaceNumber: number; alternate: { endpoints: { direction: string; endpointNumber: number }[] } }[] } | null;
}
interface SerialLike {
  requestPort(): Promise<{ open(o: { baudRate: number }): Promise<void>; writable: WritableStream<Uint8Array> | null; close(): Promise<void> }>;
}

/** Which direct-attach paths this browser has. */
export function directPrinting(): { usb: boolean; serial: boolean } {
  return { usb: 'usb' in navigator, serial: 'serial' in navigator };
}

/** The sale's ESC/POS bytes from the server's encoder. */
async function receiptBytes(creds: Credentials, orderId: string, paperMm: number, gift: boolean): Promise<Uint8Array> {
  const query = `format=escpos&paper_mm=${paperMm}&gift=${gift}&open_drawer=${!gift}`;
  const response = await fetch(`${creds.baseUrl}/api/orders/${encodeURIComponent(orderId)}/receipt?${query}`, {
    headers: creds.token ? { Authorization: `Bearer ${creds.token}` } : {},
    cache: 'no-store',
  });
  if (!response.ok) throw new ApiError(response.status, await response.text());
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Print on a printer plugged into this device (USB printer class, or a serial port at 9600
 * baud). The browser asks the cashier to pick the device the first time. Not testable in CI:
 * there is no device; the bytes are the ones the network path's tests check.
 */
export async function printDirect(database: TillDB, creds: Credentials, receipt: Receipt, gift: boolean, paperMm = 80): Promise<void> {
  const orderId = await orderIdOf(database, receipt);
  if (!orderId) throw new Error('the sale has not reached the server yet (offline?)');
  const data = await receiptBytes(creds, orderId, paperMm, gift);
  const nav = navigator as unknown as { usb?: UsbLike; serial?: SerialLike };
  if (nav.usb) {
    const device = await nav.usb.requestDevice({ filters: [{ classCode: 7 }] }); // 7: printer class
    await device.open();
    if (!device.configuration) await device.selectConfiguration(1);
    const iface = device.configuration!.interfaces.find((i) => i.alternate.endpoints.some((e) => e.direction === 'out'))!;
    await device.claimInterface(iface.interfaceNumber);
    const out = iface.alternate.endpoints.find((e) => e.direction === 'out')!;
    await device.transferOut(out.endpointNumber, data);
    await device.close();
    return;
  }
  if (nav.serial) {
    const port = await nav.serial.requestPort();
    await port.open({ baudRate: 9600 });
    const writer = port.writable!.getWriter();
    await writer.write(data);
    writer.releaseLock();
    await port.close();
    return;
  }
  throw new Error('this browser cannot reach a USB or serial printer');
}
