/** Check a PIN against the server's offline verifier (`pbkdf2_sha256$iterations$salt_hex$hash_hex`) with WebCrypto. */
function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function checkOfflinePin(verifier: string | null, pin: string): Promise<boolean> {
  if (!verifier) return false;
  const parts = verifier.split('$');
  if (parts.length !== 4 || parts[0] !== 'pbkdf2_sha256') return false;
  const [, iterations, saltHex, hashHex] = parts;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: hexToBytes(saltHex), iterations: Number(iterations) },
    key,
    hashHex.length * 4,
  );
  const actual = toHex(bits);
  // Compare every character so the time taken does not tell how much matched.
  let diff = actual.length ^ hashHex.length;
  for (let i = 0; i < Math.min(actual.length, hashHex.length); i++) diff |= actual.charCodeAt(i) ^ hashHex.charCodeAt(i);
  return diff === 0;
}

/** Wrong PINs in a row that lock a member on this till until they sign in online (as the server's lockout_failures). */
export const OFFLINE_PIN_TRIES = 6;

/** Where a till keeps each member's count of wrong offline PINs (IndexedDB in the app; a Map in tests). */
export interface PinTries {
  get(username: string): Promise<number | undefined>;
  set(username: string, failures: number): Promise<void>;
}

export type OfflinePinAnswer =
  | { result: 'ok' }
  | { result: 'wrong'; left: number }
  | { result: 'locked' }
  /** This till holds no verifier for the member: they have not signed in on it online yet. */
  | { result: 'no-verifier' };

/**
 * A PIN checked offline, counting failures per member on this till: after OFFLINE_PIN_TRIES wrong
 * ones in a row the member is locked here, right PIN or not, until `clearPinTries` after an online
 * sign-in. (A till holds verifiers a patient person could search; this stops them using the sign-in
 * screen as the search.)
 */
export async function checkPinOffline(
  member: { username: string; pin_offline: string | null },
  pin: string,
  tries: PinTries,
  check: (verifier: string | null, pin: string) => Promise<boolean> = checkOfflinePin,
): Promise<OfflinePinAnswer> {
  const failures = (await tries.get(member.username)) ?? 0;
  if (failures >= OFFLINE_PIN_TRIES) return { result: 'locked' };
  if (!member.pin_offline) return { result: 'no-verifier' };
  if (await check(member.pin_offline, pin)) {
    if (failures) await tries.set(member.username, 0);
    return { result: 'ok' };
  }
  await tries.set(member.username, failures + 1);
  return failures + 1 >= OFFLINE_PIN_TRIES ? { result: 'locked' } : { result: 'wrong', left: OFFLINE_PIN_TRIES - failures - 1 };
}

/** The member signed in online on this till: their offline lock (if any) is lifted. */
export async function clearPinTries(tries: PinTries, username: string): Promise<void> {
  await tries.set(username, 0);
}

/** What each answer tells the person at the till. */
export function offlinePinMessage(answer: Exclude<OfflinePinAnswer, { result: 'ok' }>): string {
  switch (answer.result) {
    case 'locked':
      return `Locked on this till after ${OFFLINE_PIN_TRIES} wrong PINs: sign in while the till is online.`;
    case 'no-verifier':
      return 'This till cannot check your PIN offline yet: sign in on it once while it is online.';
    default:
      return `Wrong PIN (${answer.left} ${answer.left === 1 ? 'try' : 'tries'} left offline).`;
  }
}
