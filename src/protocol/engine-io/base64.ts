const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Value of each base64 character by char code; -1 for characters outside the alphabet. */
const VALUE_OF: Int8Array = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Decodes standard base64 (RFC 4648 §4) strictly: only the standard alphabet, `=` padding only at
 * the end (optional, but never more than needed), no whitespace. Returns `undefined` for anything
 * else, so a peer cannot smuggle bytes through a lenient decoder. Decodes `text[start, stop)`.
 */
export function decodeBase64Strict(text: string, start = 0, stop = text.length): Uint8Array | undefined {
  let end = stop;
  // RFC 4648 §3.2: at most two padding characters, and only to fill the last quantum.
  if (end > start && text.charCodeAt(end - 1) === 0x3d) end--;
  if (end > start && text.charCodeAt(end - 1) === 0x3d) end--;
  const length = end - start;
  const padding = stop - end;
  if (length % 4 === 1) return undefined;
  if (padding > 0 && (length + padding) % 4 !== 0) return undefined;
  const bytes = new Uint8Array(Math.floor((length * 3) / 4));
  let out = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? VALUE_OF[code]! : -1;
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}
