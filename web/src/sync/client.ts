/** The page's handle on the sync worker, and Background Sync registration. */
import { setMeta, db } from '../data/db';
import type { FromWorker, ToWorker, WorkerConfig } from './messages';

type Listener = (message: FromWorker) => void;

let worker: Worker | null = null;
const listeners = new Set<Listener>();

function ensureWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'till-sync' });
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
      for (const listener of listeners) listener(event.data);
    });
  }
  return worker;
}

export function send(message: ToWorker): void {
  ensureWorker().postMessage(message);
}

export function onWorker(listener: Listener): () => void {
  listeners.add(listener);
  ensureWorker();
  return () => listeners.delete(listener);
}

export async function configureSync(config: WorkerConfig): Promise<void> {
  await setMeta(db(), 'workerConfig', config);
  send({ type: 'configure', config });
}

/** Ask for a push now, and (where supported) a Background Sync for when the network returns. */
interface BackgroundSync {
  register(tag: string): Promise<void>;
}

export async function flushSoon(): Promise<void> {
  send({ type: 'flush' });
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    // Background Sync is not in TypeScript's DOM types: Chromium has it, Firefox and Safari do not.
    const sync = registration && 'sync' in registration ? (registration.sync as BackgroundSync) : undefined;
    await sync?.register('till-outbox');
  } catch {
    // No Background Sync (iOS Safari, Firefox): the page's worker sends the outbox when it can.
  }
}
