/**
 * Masking (RFC 6455 §5.3): byte i of the payload is XORed with byte (i mod 4) of the masking key.
 * Applying the mask twice restores the data, so this one function masks and unmasks.
 */

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Below this many bytes the word-at-a-time loop does not pay for creating its `Int32Array` view. */
const WORD_LOOP_THRESHOLD = 256;

/**
 * XORs `data` in place with `maskKey`, starting at position `phase` (0–3) of the key, which is how
 * a payload that arrives in several pieces is unmasked piece by piece.
 */
export function applyMask(data: Uint8Array, maskKey: Uint8Array, phase = 0): void {
  const length = data.length;
  let i = 0;
  if (length >= WORD_LOOP_THRESHOLD) {
    // Walk bytes up to a 4-byte boundary of the underlying buffer, then XOR whole 32-bit words,
    // four at a time.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i]! ^= maskKey[(phase + i) & 3]!;
    const k0 = maskKey[(phase + i) & 3]!;
    const k1 = maskKey[(phase + i + 1) & 3]!;
    const k2 = maskKey[(phase + i + 2) & 3]!;
    const k3 = maskKey[(phase + i + 3) & 3]!;
    const word = littleEndian ? k0 | (k1 << 8) | (k2 << 16) | (k3 << 24) : (k0 << 24) | (k1 << 16) | (k2 << 8) | k3;
    const words = (length - i) >>> 2;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    const unrolledEnd = words - 3;
    let w = 0;
    for (; w < unrolledEnd; w += 4) {
      view[w]! ^= word;
      view[w + 1]! ^= word;
      view[w + 2]! ^= word;
      view[w + 3]! ^= word;
    }
    for (; w < words; w++) view[w]! ^= word;
    i += words << 2;
  }
  // The tail (or a short payload): four bytes per step with the key bytes held in locals.
  const k0 = maskKey[(phase + i) & 3]!;
  const k1 = maskKey[(phase + i + 1) & 3]!;
  const k2 = maskKey[(phase + i + 2) & 3]!;
  const k3 = maskKey[(phase + i + 3) & 3]!;
  const quadEnd = length - 3;
  for (; i < quadEnd; i += 4) {
    data[i]! ^= k0;
    data[i + 1]! ^= k1;
    data[i + 2]! ^= k2;
    data[i + 3]! ^= k3;
  }
  if (i < length) data[i++]! ^= k0;
  if (i < length) data[i++]! ^= k1;
  if (i < length) data[i]! ^= k2;
}

/**
 * Copies `source` into `target` at `offset`, masking it on the way; used by clients, which must not
 * alter the caller's buffer.
 */
export function copyMasked(source: Uint8Array, target: Uint8Array, offset: number, maskKey: Uint8Array): void {
  target.set(source, offset);
  applyMask(target.subarray(offset, offset + source.length), maskKey, 0);
}

const POOL_SIZE = 4096;

/**
 * Hands out fresh random masking keys (RFC 6455 §5.3: unpredictable, new for every frame),
 * drawing random bytes from the platform's CSPRNG a pool at a time rather than once per frame.
 */
export class MaskKeySource {
  private pool = new Uint8Array(POOL_SIZE);
  private offset = POOL_SIZE;

  /** The next 4-byte key: a view into a pool that is never rewritten, so it stays valid. */
  next(): Uint8Array {
    if (this.offset === POOL_SIZE) {
      this.pool = new Uint8Array(POOL_SIZE);
      globalThis.crypto.getRandomValues(this.pool);
      this.offset = 0;
    }
    const key = this.pool.subarray(this.offset, this.offset + 4);
    this.offset += 4;
    return key;
  }
}
