import { describe, expect, it } from 'vitest';
import { OFFLINE_PIN_TRIES, type PinTries, checkOfflinePin, checkPinOffline, clearPinTries, offlinePinMessage } from './pin';

/** A verifier as the server makes it (security.offline_pin_verifier), here with WebCrypto itself. */
async function verifier(pin: string, iterations = 1000): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `pbkdf2_sha256$${iterations}$${hex(salt)}$${hex(new Uint8Array(bits))}`;
}

function memoryTries(): PinTries & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return { counts, get: (u) => Promise.resolve(counts.get(u)), set: (u, n) => Promise.resolve(void counts.set(u, n)) };
}

describe('offline PIN sign-in on a till', () => {
  it(`locks a member after ${OFFLINE_PIN_TRIES} wrong PINs, even against the right one, until an online sign-in`, async () => {
    const grace = { username: 'grace', pin_offline: await verifier('369036') };
    const tries = memoryTries();
    const answers = [];
    for (let i = 0; i < OFFLINE_PIN_TRIES; i++) answers.push(await checkPinOffline(grace, String(100000 + i), tries));
    expect(answers.slice(0, -1).map((a) => a.result)).toEqual(Array(OFFLINE_PIN_TRIES - 1).fill('wrong'));
    expect(answers[0]).toEqual({ result: 'wrong', left: OFFLINE_PIN_TRIES - 1 });
    expect(answers.at(-1)).toEqual({ result: 'locked' });
    // The right PIN no longer opens the till offline, and a reload (a new store over the same counts) does not help.
    expect(await checkPinOffline(grace, '369036', tries)).toEqual({ result: 'locked' });
    expect(offlinePinMessage({ result: 'locked' })).toMatch(/sign in while the till is online/);
    // Others are not locked by her failures.
    const maya = { username: 'maya', pin_offline: await verifier('1357') };
    expect(await checkPinOffline(maya, '1357', tries)).toEqual({ result: 'ok' });
    // An online sign-in lifts the lock.
    await clearPinTries(tries, 'grace');
    expect(await checkPinOffline(grace, '369036', tries)).toEqual({ result: 'ok' });
  });

  it('counts failures in a row: a right PIN before the limit starts the count again', async () => {
    const maya = { username: 'maya', pin_offline: await verifier('1357') };
    const tries = memoryTries();
    for (let i = 0; i < OFFLINE_PIN_TRIES - 1; i++) await checkPinOffline(maya, '0000', tries);
    expect(await checkPinOffline(maya, '1357', tries)).toEqual({ result: 'ok' });
    expect(tries.counts.get('maya')).toBe(0);
  });

  it('says so when the till holds no verifier for the member (never signed in on it online)', async () => {
    const answer = await checkPinOffline({ username: 'admin', pin_offline: null }, '901290', memoryTries());
    expect(answer).toEqual({ result: 'no-verifier' });
    expect(offlinePinMessage(answer as { result: 'no-verifier' })).toMatch(/sign in on it once while it is online/);
  });

  it('a verifier replaced at a pull after a PIN change refuses the old PIN', async () => {
    const before = await verifier('369036');
    const after = await verifier('743916');
    expect(await checkOfflinePin(before, '369036')).toBe(true);
    expect(await checkOfflinePin(after, '369036')).toBe(false);
    expect(await checkOfflinePin(after, '743916')).toBe(true);
  });
});
