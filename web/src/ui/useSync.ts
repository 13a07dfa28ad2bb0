/** The sync worker as the page sees it, and the worker kept running with the till's newest token. */
import { useEffect, useState } from 'react';
import { db, getMeta } from '../data/db';
import type { Bootstrap } from '../data/types';
import type { PullProgress } from '../sync/engine';
import { configureSync, onWorker } from '../sync/client';
import type { SyncStatus, WorkerConfig } from '../sync/messages';
import { useLive } from './hooks';
import type { Device, TillContextValue } from './session';

export interface SyncView {
  /** The stored bootstrap: undefined until read, null before the first pull. */
  boot: Bootstrap | null | undefined;
  progress: PullProgress | null;
  status: SyncStatus | null;
  /** Outbox entries waiting to be sent, and those the server refused. */
  counts: { pending: number; rejected: number };
}

export function useSync(device: Device | null, token: string | null, notify: TillContextValue['notify']): SyncView {
  const [boot, setBoot] = useState<Bootstrap | null | undefined>(undefined);
  const [progress, setProgress] = useState<PullProgress | null>(null);
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const counts = useLive(
    async () => ({
      pending: await db().outbox.where('status').equals('pending').count(),
      rejected: await db().outbox.where('status').equals('rejected').count(),
    }),
    [],
    { pending: 0, rejected: 0 },
  );

  useEffect(() => {
    void getMeta<Bootstrap>(db(), 'bootstrap').then((b) => setBoot(b ?? null));
    return onWorker((message) => {
      if (message.type === 'status') setStatus(message.status);
      else if (message.type === 'progress') setProgress(message.progress);
      else if (message.type === 'pulled') {
        setProgress(null);
        void getMeta<Bootstrap>(db(), 'bootstrap').then((b) => setBoot(b ?? null));
      } else if (message.type === 'pushed' && message.rejected > 0) {
        notify(`${message.rejected} item(s) were refused by the server: see Orders`, 'error');
      }
    });
  }, [notify]);

  // Keep the sync worker running with the till's newest server token, whoever is signed in.
  useEffect(() => {
    if (!device) return;
    void (async () => {
      const previous = await getMeta<WorkerConfig>(db(), 'workerConfig');
      await configureSync({ baseUrl: location.origin, token: token ?? previous?.token ?? null, location: device.locationCode, registerCode: device.registerCode });
    })();
  }, [device, token]);

  return { boot, progress, status, counts };
}
