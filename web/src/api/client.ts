/** A small typed client for the Till API; shapes come from the generated OpenAPI types. */
import type { components } from './schema';

export type Schemas = components['schemas'];
export type SessionOut = Schemas['SessionOut'];
export type SaleIn = Schemas['SaleIn'];
export type PushIn = Schemas['PushIn'];
export type PushOut = Schemas['PushOut'];
export type SaleResult = Schemas['SaleResultOut'];
export type PullOut = Schemas['PullOut'];
export type ChangesIn = Schemas['ChangesIn'];
export type ChangesOut = Schemas['ChangesOut'];
export type CustomerIn = Schemas['CustomerIn'];
export type PushedCustomerIn = Schemas['PushedCustomerIn'];
export type RefundIn = Schemas['RefundIn'];
export type ShiftReport = Schemas['ShiftReportOut'];
export type StockOut = Schemas['StockOut'];
export type OrderOut = Schemas['OrderOut'];
export type ProductOut = Schemas['ProductOut'];
export type ApprovalOut = Schemas['ApprovalOut'];

/** The server answered with an error status; `detail` is its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly retryAfter: number | null = null,
  ) {
    super(`${status}: ${detail}`);
    this.name = 'ApiError';
  }
  /** A 5xx, 408 or 429: keep what was sent and try again later. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** No answer at all (offline, DNS, connection refused, aborted). */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

export interface Credentials {
  baseUrl: string;
  token?: string | null;
  deviceToken?: string | null;
}

function detailText(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((e: { loc?: unknown[]; msg?: string }) => `${(e.loc ?? []).join('.')}: ${e.msg ?? ''}`).join('; ');
  }
  return JSON.stringify(detail);
}

/** Call the API; throws ApiError for an error answer and NetworkError when nothing answered. */
export async function call<T>(
  creds: Credentials,
  method: string,
  path: string,
  body?: unknown,
  init?: { signal?: AbortSignal; timeoutMs?: number },
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (creds.token) headers.Authorization = `Bearer ${creds.token}`;
  if (creds.deviceToken) headers['X-Device-Token'] = creds.deviceToken;
  const timeout = AbortSignal.timeout(init?.timeoutMs ?? 20_000);
  const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(creds.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  if (response.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    if (response.ok) throw new NetworkError(`unreadable answer from ${path}`);
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const detail = payload && typeof payload === 'object' && 'detail' in payload ? detailText(payload.detail) : response.statusText;
    throw new ApiError(response.status, detail, retryAfter);
  }
  return payload as T;
}
