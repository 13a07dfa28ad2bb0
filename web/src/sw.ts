/// <reference lib="webworker" />
/**
 * The service worker: precaches the app shell so a reload with no network opens the till, and
 * (where the browser has Background Sync) sends the outbox when the connection comes back even
 * if no till page is open.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { db, getMeta } from './data/db';
import { pushOutbox } from './sync/engine';
import type { WorkerConfig } from './sync/messages';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//, /^\/docs/, /^\/openapi/, /^\/redoc/] }));

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

interface SyncEvent extends ExtendableEvent {
  tag: string;
}

async function flush(): Promise<void> {
  const config = await getMeta<WorkerConfig>(db(), 'workerConfig');
  if (!config?.token) return;
  const ctx = { db: db(), creds: { baseUrl: self.location.origin, token: config.token }, location: config.location, registerCode: config.registerCode };
  // One pusher at a time across the page's worker and this one; the server is idempotent anyway.
  await navigator.locks.request('till-outbox', () => pushOutbox(ctx));
}

self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag === 'till-outbox') sync.waitUntil(flush());
});
