/**
 * The back office's view of `/api/admin/*` and `/api/reports`. Most of these the server answers
 * as untyped JSON objects in its OpenAPI, so their shapes are written here from docs/queue.md
 * §6–8; the audit log's come from the generated types.
 */
import { type Credentials, type Schemas, ApiError, NetworkError, call } from './client';

export type AuditEntry = Schemas['AuditEntryOut'];
export type Today = Schemas['TodayOut'];
export type CloseRule = Schemas['CloseRuleOut'];
export type AuditPage = Schemas['AuditPageOut'];

/** Filters of the audit log; empty ones are left out. Times are ISO moments with their zone. */
export interface AuditFilters {
  from?: string;
  to?: string;
  staffId?: string;
  action?: string;
  location?: string;
  register?: string;
}

/** The query string of an audit-log page (or its CSV export, which has no paging). */
export function auditQuery(filters: AuditFilters, beforeId?: number | null): string {
  const query = new URLSearchParams();
  const named: [string, string | undefined][] = [
    ['from', filters.from],
    ['to', filters.to],
    ['staff_id', filters.staffId],
    ['action', filters.action],
    ['location', filters.location],
    ['register', filters.register],
  ];
  for (const [key, value] of named) if (value && value.trim() !== '') query.set(key, value.trim());
  if (beforeId != null) query.set('before_id', String(beforeId));
  const text = query.toString();
  return text ? `?${text}` : '';
}

export interface QueueFigures {
  waiting: number;
  in_flight: number;
  dead: number;
  processed: number;
  failures: number;
  mean_ms_5m: number | null;
  mean_ms_total: number | null;
}

export interface MonitoringSnapshot {
  at: string;
  transport: string;
  queues: Record<string, QueueFigures>;
  outbox: { unsent: number; oldest_unsent_age_seconds: number | null };
  sales_last_minute: number;
  sync: Record<string, { lag_seconds: number; last_sale_age_seconds: number }>;
  workers: Record<string, string>;
  flags: Record<string, number>;
}

export interface Flag {
  id: number;
  order_id: string;
  flag: string;
  detail: unknown;
  created_at: string | null;
  resolved: boolean;
  receipt_number: string;
  location_code: string;
}

export interface DeviceRow {
  id: string;
  name: string | null;
  created_at: string | null;
  revoked: boolean;
}

export interface LocationRow {
  code: string;
  name: string;
  source_code: string | null;
  stock_id: number | null;
  timezone: string | null;
  registers: { code: string; name: string; devices: DeviceRow[] }[];
}

export interface RoleRow {
  role: string;
  permissions: string[];
  discount_limit_percent: string;
}

export interface StaffRow {
  id: number;
  username: string;
  name: string;
  role: string;
  locations: string[];
  active: boolean;
  discount_limit_percent: string;
}

export interface NewStaff {
  username: string;
  name: string;
  role: 'cashier' | 'manager' | 'admin';
  password: string;
  pin: string;
  locations: string[];
}

export interface Webhook {
  id: number;
  name: string;
  url: string;
  topics: string[];
  active: boolean;
  queue: string;
  created_at: string | null;
  secret?: string;
}

export interface DeadLetter {
  id: number;
  queue: string;
  message_id: string;
  topic: string;
  payload: unknown;
  attempts: number;
  last_error: string | null;
  created_at: string | null;
  dead_at: string | null;
}

export type ParamType = 'date' | 'int' | 'text' | 'decimal';

export interface ReportInfo {
  name: string;
  title: string;
  description: string;
  params: Record<string, ParamType>;
  roles: string[];
  builtin: boolean;
  sql: string;
}

export type Cell = string | number | boolean | null;

export interface ReportResult {
  name: string;
  columns: string[];
  rows: Cell[][];
  truncated: boolean;
}

/** The query string for a report run: empty parameters are left out (the report's default). */
export function reportQuery(params: Record<string, string>, format?: 'csv'): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value.trim() !== '') query.set(key, value.trim());
  if (format) query.set('format', format);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** Typed calls for the back office, all with the signed-in member's bearer token. */
export function adminApi(creds: Credentials) {
  const get = <T>(path: string) => call<T>(creds, 'GET', path);
  /** A file the server writes (CSV), as a blob. */
  const download = async (path: string): Promise<Blob> => {
    let response: Response;
    try {
      response = await fetch(`${creds.baseUrl}${path}`, {
        headers: creds.token ? { Authorization: `Bearer ${creds.token}` } : {},
        cache: 'no-store',
      });
    } catch (error) {
      throw new NetworkError(error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) throw new ApiError(response.status, (await response.text()) || response.statusText);
    return response.blob();
  };
  return {
    monitoring: () => get<MonitoringSnapshot>('/api/admin/monitoring'),
    closeRule: () => get<CloseRule>('/api/shift-close-rule'),
    setCloseRule: (rule: CloseRule) => call<CloseRule>(creds, 'PUT', '/api/admin/shift-close-rule', rule),
    today: (location?: string) => get<Today>(`/api/admin/today${location ? `?location=${encodeURIComponent(location)}` : ''}`),
    flags: (kind?: string) => get<Flag[]>(`/api/admin/flags${kind ? `?kind=${encodeURIComponent(kind)}` : ''}`),
    locations: () => get<LocationRow[]>('/api/admin/locations'),
    roles: () => get<RoleRow[]>('/api/admin/roles'),
    staff: () => get<StaffRow[]>('/api/admin/staff'),
    addStaff: (body: NewStaff) => call<{ id: number; username: string }>(creds, 'POST', '/api/admin/staff', body),
    /** A member's new PIN or password (admins): their sessions end; tills drop an old PIN at their next pull. */
    resetSecret: (username: string, kind: 'pin' | 'password', value: string) =>
      call<Schemas['SessionsEnded']>(creds, 'POST', `/api/admin/staff/${encodeURIComponent(username)}/${kind}`, kind === 'pin' ? { pin: value } : { password: value }),
    webhooks: () => get<Webhook[]>('/api/admin/webhooks'),
    addWebhook: (body: { name: string; url: string; topics: string[] }) => call<Webhook>(creds, 'POST', '/api/admin/webhooks', body),
    switchWebhook: (id: number, active: boolean) => call<Webhook>(creds, 'PATCH', `/api/admin/webhooks/${id}`, { active }),
    deadLetters: () => get<DeadLetter[]>('/api/admin/dead-letters'),
    deadLetter: (id: number) => get<DeadLetter>(`/api/admin/dead-letters/${id}`),
    replay: (id: number) => call<{ replayed: number; queue: string }>(creds, 'POST', `/api/admin/dead-letters/${id}/replay`),
    discard: (id: number) => call<void>(creds, 'DELETE', `/api/admin/dead-letters/${id}`),
    reports: () => get<ReportInfo[]>('/api/reports'),
    runReport: (name: string, params: Record<string, string>) => get<ReportResult>(`/api/reports/${encodeURIComponent(name)}${reportQuery(params)}`),
    /** The report as the server writes it in CSV (one source of truth for quoting). */
    reportCsv: (name: string, params: Record<string, string>) => download(`/api/reports/${encodeURIComponent(name)}${reportQuery(params, 'csv')}`),
    /** A page of the audit log, newest first; pass the last page's `next_before_id` for the next. */
    audit: (filters: AuditFilters, beforeId?: number | null) => get<AuditPage>(`/api/admin/audit${auditQuery(filters, beforeId)}`),
    auditCsv: (filters: AuditFilters) => download(`/api/admin/audit.csv${auditQuery(filters)}`),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
