/// <reference lib="webworker" />
/**
 * The sync worker: pulls, pushes and listens to live events off the main thread, so a long
 * first sync never makes the till stutter. The page tells it who is signed in; it reports status.
 */
import { NetworkError } from '../api/client';
import { db, getMeta } from '../data/db';
import { AuthExpired, PAGE_SIZE, type SyncContext, applyPage, backoffMs, pullAll, pushOutbox, readEvents } from './engine';
import type { FromWorker, SyncStatus, ToWorker, WorkerConfig } from './messages';

/** navigator.locks.request, typed: the lib's answer is Promise<any>. */
function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  return navigator.locks.request(name, task) as Promise<T>;
}

declare const self: DedicatedWorkerGlobalScope;

/** How often to look for news while the live stream is down. */
const PERIODIC_MS = 30_000;
/** While the stream is connected it says when to pull; this is only the safety net. */
const SAFETY_NET_MS = 5 * 60_000;
/** Reference data (locations, attributes, categories) has no feed: fetched at least this often. */
const BOOTSTRAP_MS = 60 * 60_000;
/** A `news` event reaches every till at once: each waits up to this long so they do not all pull at once. */
const NEWS_JITTER_MS = 1000;
const status: SyncStatus = {
  online: self.navigator.onLine,
  syncing: false,
  live: false,
  lastSyncAt: null,
  lastError: null,
  authExpired: false,
  nextRetryAt: null,
};
let config: WorkerConfig | null = null;
let running = false;
let again = false;
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let liveAbort: AbortController | null = null;
let wantPull = true;
let wantBootstrap = true;
let lastPullAt = 0;
let lastBootstrapAt = 0;

const post = (message: FromWorker) => self.postMessage(message);
const report = () => post({ type: 'status', status: { ...status } });

function context(): SyncContext | null {
  if (!config || !config.token) return null;
  return {
    db: db(),
    creds: { baseUrl: config.baseUrl, token: config.token },
    location: config.location,
    registerCode: config.registerCode,
  };
}

/** Run one round (pull if due, then push); rounds never overlap; a request during one queues another. */
async function round(): Promise<void> {
  if (running) {
    again = true;
    return;
  }
  const ctx = context();
  if (!ctx) return;
  running = true;
  status.syncing = true;
  report();
  try {
    if (wantPull) {
      const firstSync = !(await getMeta(ctx.db, 'firstSyncDone'));
      let lastProgress = 0;
      const bootstrap = wantBootstrap || firstSync || Date.now() - lastBootstrapAt > BOOTSTRAP_MS;
      const items = await pullAll(
        ctx,
        (progress) => {
          // A few updates a second are enough for a progress bar; each one re-renders the page.
          const now = Date.now();
          if (progress.done || now - lastProgress > 250) {
            lastProgress = now;
            post({ type: 'progress', progress });
          }
        },
        PAGE_SIZE,
        { bootstrap },
      );
      if (firstSync) await ctx.db.meta.put({ key: 'firstSyncDone', value: new Date().toISOString() });
      wantPull = false;
      lastPullAt = Date.now();
      if (bootstrap) {
        wantBootstrap = false;
        lastBootstrapAt = lastPullAt;
      }
      post({ type: 'pulled', items, firstSync });
    }
    // One push at a time across this worker and the service worker's Background Sync.
    const pushed = await withLock('till-outbox', () => pushOutbox(ctx));
    if (pushed.accepted + pushed.duplicate + pushed.rejected > 0) post({ type: 'pushed', ...pushed });
    attempt = 0;
    status.online = true;
    status.lastError = null;
    status.authExpired = false;
    status.nextRetryAt = null;
    status.lastSyncAt = new Date().toISOString();
    ensureLive();
  } catch (error) {
    if (error instanceof AuthExpired && config?.token && config.token !== ctx.creds.token) {
      // The page swapped the token for a new one mid-round (the old one ends at once): go again.
      again = true;
    } else if (error instanceof AuthExpired) {
      status.authExpired = true;
      status.lastError = 'Signed out by the server: sign in again to send sales.';
    } else {
      if (error instanceof NetworkError) status.online = false;
      status.lastError = error instanceof Error ? error.message : String(error);
      scheduleRetry();
    }
  } finally {
    running = false;
    status.syncing = false;
    report();
  }
  if (again) {
    again = false;
    void round();
  }
}

function scheduleRetry(): void {
  if (retryTimer) clearTimeout(retryTimer);
  const delay = backoffMs(attempt++);
  status.nextRetryAt = new Date(Date.now() + delay).toISOString();
  retryTimer = setTimeout(() => {
    retryTimer = null;
    void round();
  }, delay);
}

/** Keep one live stream open while online; on any end, pull from the cursors and reconnect. */
function ensureLive(): void {
  const ctx = context();
  if (!ctx || liveAbort) return;
  const abort = new AbortController();
  liveAbort = abort;
  void (async () => {
    try {
      await readEvents(
        ctx,
        async (event, data) => {
          if (event === 'ready') {
            status.live = true;
            report();
            return;
          }
          if (event === 'news') {
            // Data sets the stream does not carry changed: pull them (after a moment's jitter).
            setTimeout(() => {
              wantPull = true;
              void round();
            }, Math.random() * NEWS_JITTER_MS);
            return;
          }
          if (event !== 'changes') return;
          // One event holds every entity of a dataset that changed since the last one. Live
          // items are applied without moving the cursor: the next pull re-reads them anyway.
          const changes = JSON.parse(data) as { dataset: string; items: Record<string, unknown>[] };
          if (changes.dataset !== 'stock' && changes.dataset !== 'prices') return;
          await applyPage(ctx.db, changes.dataset, { dataset: changes.dataset, items: changes.items, deleted: [], cursor: 0, has_more: false }, false);
        },
        abort.signal,
      );
    } catch (error) {
      if (error instanceof AuthExpired && ctx.creds.token === config?.token) status.authExpired = true;
    } finally {
      status.live = false;
      if (liveAbort === abort) liveAbort = null;
      report();
      if (!abort.signal.aborted) {
        wantPull = true;
        wantBootstrap = true;
        setTimeout(() => void round(), backoffMs(Math.min(attempt, 4)));
      }
    }
  })();
}

function stopLive(): void {
  liveAbort?.abort();
  liveAbort = null;
}

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'configure') {
    const changed = !config || config.token !== message.config.token || config.location !== message.config.location;
    config = message.config;
    if (changed) {
      stopLive();
      wantPull = true;
      wantBootstrap = true;
      attempt = 0;
    }
    void round();
  } else if (message.type === 'flush') {
    attempt = 0;
    void round();
  } else if (message.type === 'pull') {
    wantPull = true;
    wantBootstrap = true;
    void round();
  } else if (message.type === 'stop') {
    config = null;
    stopLive();
  }
});

self.addEventListener('online', () => {
  status.online = true;
  attempt = 0;
  wantPull = true;
  wantBootstrap = true;
  report();
  void round();
});
self.addEventListener('offline', () => {
  status.online = false;
  stopLive();
  report();
});

// While the live stream is connected it says when to pull; a pull by the clock is only the safety
// net then, every 5 minutes instead of every 30 s, so a thousand idle tills cost the server little.
setInterval(() => {
  if (Date.now() - lastPullAt >= (status.live ? SAFETY_NET_MS : PERIODIC_MS)) wantPull = true;
  void round();
}, PERIODIC_MS);
report();
