import { afterEach, describe, expect, it } from 'vitest';
import type { StaffRow } from '../data/types';
import { requestApproval } from './approval';

const roles = { manager: { permissions: ['refund'], max_discount_percent: '50' } };
const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

async function verifier(pin: string): Promise<string> {
  const salt = new Uint8Array(16).fill(7);
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256);
  const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `pbkdf2_sha256$1000$${hex(salt)}$${hex(new Uint8Array(bits))}`;
}

describe("a manager's approval on the till", () => {
  const till = { baseUrl: 'http://till.test', deviceToken: 'device-1' };

  it("online: asks the server with the till's device token and keeps its signed proof", async () => {
    const grace: StaffRow = { id: 3, username: 'grace', name: 'Grace', role: 'manager', locations: ['NYC'], pin_offline: null, discount_limit: null };
    const sent: { url: string; headers: Headers; body: unknown }[] = [];
    globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
      sent.push({ url, headers: new Headers(init?.headers), body: typeof init?.body === 'string' ? JSON.parse(init.body) : null });
      const answer = { approval: '3.device-1.1.2.sig', staff_id: 3, username: 'grace', expires_at: '2026-12-07T11:20:00Z' };
      return Promise.resolve(new Response(JSON.stringify(answer), { status: 200 }));
    };
    const approval = await requestApproval(till, grace, '3690', roles);
    expect(approval).toEqual({ approvedBy: 3, username: 'grace', limit: '50', proof: '3.device-1.1.2.sig' });
    expect(sent[0].url).toBe('http://till.test/api/auth/approvals');
    expect(sent[0].headers.get('X-Device-Token')).toBe('device-1');
    expect(sent[0].body).toEqual({ username: 'grace', pin: '3690' });
  });

  it('offline: checks the PIN on the till and attaches no proof (the server flags it); a wrong PIN approves nothing', async () => {
    const grace: StaffRow = { id: 3, username: 'grace', name: 'Grace', role: 'manager', locations: ['NYC'], pin_offline: await verifier('3690'), discount_limit: '40' };
    globalThis.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await requestApproval(till, grace, '3690', roles)).toEqual({ approvedBy: 3, username: 'grace', limit: '40', proof: null });
    await expect(requestApproval(till, grace, '0000', roles)).rejects.toThrow('Wrong PIN.');
  });
});
