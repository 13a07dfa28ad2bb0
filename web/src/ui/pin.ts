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
