/** Base64 (RFC 4648 §4) of `bytes`, with the platform's `btoa` (present in browsers and Node ≥ 16). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
