/** Messages between the page and the sync worker. */
import type { PullProgress } from './engine';

export interface WorkerConfig {
  baseUrl: string;
  token: string | null;
  location: string;
  registerCode: string;
}

export type ToWorker =
  | { type: 'configure'; config: WorkerConfig }
  | { type: 'flush' }
  | { type: 'pull' }
  | { type: 'stop' };

export interface SyncStatus {
  online: boolean;
  syncing: boolean;
  live: boolean;
  lastSyncAt: string | null;
  lastError: string | null;
  authExpired: boolean;
  nextRetryAt: string | null;
}

export type FromWorker =
  | { type: 'status'; status: SyncStatus }
  | { type: 'progress'; progress: PullProgress }
  | { type: 'pulled'; items: number; firstSync: boolean }
  | { type: 'pushed'; accepted: number; duplicate: number; rejected: number };
