/** Base64 (RFC 4648 §4) of `bytes`, with the platform's `btoa` (present in browsers and Node ≥ 16). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}
