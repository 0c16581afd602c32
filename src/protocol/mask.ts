/**
 * Masking (RFC 6455 §5.3): byte i of the payload is XORed with byte (i mod 4) of the masking key.
 * Applying the mask twice restores the data, so this one function masks and unmasks.
 */

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Below this many bytes the word-at-a-time loop does not pay for creating its `Int32Array` view. */
const WORD_LOOP_THRESHOLD = 256;

/**
 * A masking key as one number: byte `i` of the key in bits `8i`–`8i+7`. A parser keeps the key of
 * the frame it is reading this way rather than in a 4-byte array (an object of its own per
 * connection).
 */
export function maskKeyWord(maskKey: Uint8Array, offset = 0): number {
  return (
    (maskKey[offset]! | (maskKey[offset + 1]! << 8) | (maskKey[offset + 2]! << 16) | (maskKey[offset + 3]! << 24)) >>> 0
  );
}

/** The key word starting at position `phase` (0–3) of the key: rotated right by whole bytes. */
function rotateKey(keyWord: number, phase: number): number {
  const bits = (phase & 3) << 3;
  return bits === 0 ? keyWord : ((keyWord >>> bits) | (keyWord << (32 - bits))) >>> 0;
}

/** The portable masking loop, for short payloads and for platforms without WebAssembly SIMD. */
function applyMaskPortable(data: Uint8Array, keyWord: number, phase: number): void {
  const length = data.length;
  let i = 0;
  let key = rotateKey(keyWord, phase);
  if (length >= WORD_LOOP_THRESHOLD) {
    // Walk bytes up to a 4-byte boundary of the underlying buffer, then XOR whole 32-bit words,
    // four at a time.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i]! ^= (key >>> (i << 3)) & 0xff;
    key = rotateKey(key, lead);
    const word = littleEndian
      ? key | 0
      : ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24);
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
  const k0 = key & 0xff;
  const k1 = (key >>> 8) & 0xff;
  const k2 = (key >>> 16) & 0xff;
  const k3 = key >>> 24;
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

/*
 * Long payloads are masked by a WebAssembly function, 16 bytes per instruction with SIMD:
 * several times faster than any JavaScript loop, even counting the copies into and out of its
 * memory. The module is written out here byte by byte (it is 130 bytes), exports its memory and
 *   xor(pointer: i32, length: i32, key: i32)
 * which XORs `length` bytes (a multiple of 16) at `pointer` with the 32-bit `key` repeated.
 * Where WebAssembly or its SIMD extension is missing, `WASM` is undefined and the loop above runs.
 */
const XOR_BODY = [
  0x02,
  0x01,
  0x7f,
  0x01,
  0x7b, // locals: end (i32), k (v128)
  0x20,
  0x02,
  0xfd,
  0x11,
  0x21,
  0x04, // k = i32x4.splat(key)
  0x20,
  0x00,
  0x20,
  0x01,
  0x6a,
  0x21,
  0x03, // end = pointer + length
  0x02,
  0x40,
  0x03,
  0x40, // block, loop
  0x20,
  0x00,
  0x20,
  0x03,
  0x4f,
  0x0d,
  0x01, // break out when pointer >= end
  0x20,
  0x00, // store address
  0x20,
  0x00,
  0xfd,
  0x00,
  0x04,
  0x00, // v128.load pointer
  0x20,
  0x04,
  0xfd,
  0x51, // v128.xor k
  0xfd,
  0x0b,
  0x04,
  0x00, // v128.store
  0x20,
  0x00,
  0x41,
  0x10,
  0x6a,
  0x21,
  0x00, // pointer += 16
  0x0c,
  0x00,
  0x0b,
  0x0b,
  0x0b, // continue; end loop, block, function
];
const XOR_MODULE = Uint8Array.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // "\0asm", version 1
  0x01,
  0x07,
  0x01,
  0x60,
  0x03,
  0x7f,
  0x7f,
  0x7f,
  0x00, // types: (i32, i32, i32) -> ()
  0x03,
  0x02,
  0x01,
  0x00, // functions: one, of type 0
  0x05,
  0x03,
  0x01,
  0x00,
  0x01, // memory: one page (64 KiB)
  0x07,
  0x10,
  0x02,
  0x03,
  0x78,
  0x6f,
  0x72,
  0x00,
  0x00,
  0x06,
  0x6d,
  0x65,
  0x6d,
  0x6f,
  0x72,
  0x79,
  0x02,
  0x00, // exports: "xor", "memory"
  0x0a,
  XOR_BODY.length + 2,
  0x01,
  XOR_BODY.length,
  ...XOR_BODY, // code
]);

/** The bytes the WebAssembly function handles per call: its one page of memory. */
const WASM_SLICE = 64 * 1024;
/** Below this many bytes the portable loop is as fast as the copies the WebAssembly path makes. */
const WASM_THRESHOLD = 512;

/** The little of the WebAssembly JavaScript API used here (the ES library typings do not declare it). */
declare const WebAssembly:
  | {
      validate(bytes: Uint8Array): boolean;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { readonly exports: Readonly<Record<string, unknown>> };
    }
  | undefined;

const WASM = ((): { xor: (pointer: number, length: number, key: number) => void; memory: Uint8Array } | undefined => {
  try {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(XOR_MODULE)) return undefined;
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(XOR_MODULE));
    const xor = exports.xor as (pointer: number, length: number, key: number) => void;
    const memory = new Uint8Array((exports.memory as { buffer: ArrayBuffer }).buffer, 0, WASM_SLICE);
    return { xor, memory };
  } catch {
    // A host that forbids compiling WebAssembly (a strict Content-Security-Policy, say).
    return undefined;
  }
})();

/**
 * XORs `data` in place with `maskKey`, starting at position `phase` (0–3) of the key, which is how
 * a payload that arrives in several pieces is unmasked piece by piece.
 */
export function applyMask(data: Uint8Array, maskKey: Uint8Array, phase = 0): void {
  applyMaskWord(data, maskKeyWord(maskKey), phase);
}

/** {@link applyMask} with the key given as a {@link maskKeyWord}. */
export function applyMaskWord(data: Uint8Array, keyWord: number, phase = 0): void {
  const length = data.length;
  if (WASM === undefined || length < WASM_THRESHOLD) return applyMaskPortable(data, keyWord, phase);
  const { xor, memory } = WASM;
  // WebAssembly memory is little-endian on every platform, like the key word; slices are
  // multiples of 16 bytes, so every slice starts at the same key position.
  const key = rotateKey(keyWord, phase) | 0;
  const whole = length & ~15;
  for (let offset = 0; offset < whole; offset += WASM_SLICE) {
    const size = Math.min(WASM_SLICE, whole - offset);
    const slice = data.subarray(offset, offset + size);
    memory.set(slice);
    xor(0, size, key);
    slice.set(size === WASM_SLICE ? memory : memory.subarray(0, size));
  }
  if (whole < length) applyMaskPortable(data.subarray(whole), keyWord, phase);
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
  // Empty until the first key: a source that never sends holds no pool.
  private pool = new Uint8Array(0);
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
