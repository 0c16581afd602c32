import { constants } from 'node:zlib';
import { checkOptionNames } from './options.js';
import { ZlibLimiter } from './zlib-limiter.js';

/**
 * `ws`'s `perMessageDeflate.zlibDeflateOptions`: the settings of zlib's compressor that leave the
 * protocol alone. `ws` passes the object to `zlib.createDeflateRaw` as given.
 */
export interface ZlibDeflateSettings {
  /** zlib compression level, 0–9, or -1 for zlib's default (6). Same as `perMessageDeflate.level`. */
  readonly level?: number;
  /** zlib memLevel, 1–9. Same as `perMessageDeflate.memLevel`. */
  readonly memLevel?: number;
  /** zlib strategy (`zlib.constants.Z_FILTERED`, `Z_HUFFMAN_ONLY`, `Z_RLE`, `Z_FIXED`, `Z_DEFAULT_STRATEGY`). @default Z_DEFAULT_STRATEGY */
  readonly strategy?: number;
  /** Size of zlib's output chunks, in bytes, 64 to 1 MiB. @default 16384 */
  readonly chunkSize?: number;
}

/** `ws`'s `perMessageDeflate.zlibInflateOptions`: of zlib's decompressor settings, only the one that leaves our limits whole. */
export interface ZlibInflateSettings {
  /** Size of zlib's output chunks, in bytes, 64 to 1 MiB: inflated output is checked against `maxPayload` and the inflate budget chunk by chunk. @default 16384 */
  readonly chunkSize?: number;
}

/** zlib's own smallest output chunk (`zlib.constants.Z_MIN_CHUNK`). */
const MIN_CHUNK_SIZE = constants.Z_MIN_CHUNK;
/**
 * Largest output chunk accepted. zlib takes any size, but every connection's zlib stream holds a
 * buffer of that size, and a decompression bomb is stopped one chunk past `maxPayload` (and past
 * the inflate budget): 1 MiB keeps those bounds meaningful.
 */
const MAX_CHUNK_SIZE = 1024 * 1024;

/** zlib settings refused in both objects, with what to do instead. */
const REFUSED_ZLIB_SETTINGS: Readonly<Record<string, string>> = {
  windowBits:
    'the window is negotiated (RFC 7692 §7.1.2): use perMessageDeflate.serverMaxWindowBits and clientMaxWindowBits (ws overrides this setting too)',
  dictionary: 'RFC 7692 has no preset dictionary, so the peer could not inflate; remove it',
  flush: 'messages are flushed as RFC 7692 §7.2.1 requires; remove it',
  finishFlush: 'messages are flushed as RFC 7692 §7.2.1 requires; remove it',
  info: 'remove it',
};

const DEFLATE_NAMES: ReadonlySet<string> = new Set(['level', 'memLevel', 'strategy', 'chunkSize']);
const REFUSED_DEFLATE_SETTINGS: Readonly<Record<string, string>> = {
  ...REFUSED_ZLIB_SETTINGS,
  maxOutputLength: "it bounds zlib's one-shot calls only, which compression does not use; remove it",
};

const INFLATE_NAMES: ReadonlySet<string> = new Set(['chunkSize']);
const REFUSED_INFLATE_SETTINGS: Readonly<Record<string, string>> = {
  ...REFUSED_ZLIB_SETTINGS,
  maxOutputLength:
    'inflated messages are bounded by maxPayload (close 1009) and perMessageDeflate.inflateBudget (close 1013); use those',
  level: 'it is a compression setting: give it in zlibDeflateOptions',
  memLevel: 'it is a compression setting: give it in zlibDeflateOptions',
  strategy: 'it is a compression setting: give it in zlibDeflateOptions',
};

const ZLIB_STRATEGIES: readonly number[] = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

function checkObject(name: string, value: unknown): object {
  if (typeof value !== 'object' || value === null) throw new TypeError(`perMessageDeflate.${name} must be an object`);
  return value;
}

function checkChunkSize(owner: string, value: number | undefined): number {
  const size = value ?? constants.Z_DEFAULT_CHUNK;
  if (!Number.isInteger(size) || size < MIN_CHUNK_SIZE || size > MAX_CHUNK_SIZE) {
    throw new TypeError(
      `perMessageDeflate.${owner}.chunkSize must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, got ${size}`,
    );
  }
  return size;
}

/**
 * Checks `ws`'s `zlibDeflateOptions`, answering the settings it gives (unset ones left out).
 *
 * @throws TypeError for a setting that would change the protocol or is not a compression setting (naming it).
 */
export function resolveZlibDeflateSettings(given: ZlibDeflateSettings | undefined): {
  level?: number;
  memLevel?: number;
  strategy: number;
  chunkSize: number;
} {
  if (given === undefined) return { strategy: constants.Z_DEFAULT_STRATEGY, chunkSize: constants.Z_DEFAULT_CHUNK };
  checkOptionNames(
    'perMessageDeflate.zlibDeflateOptions',
    checkObject('zlibDeflateOptions', given),
    DEFLATE_NAMES,
    REFUSED_DEFLATE_SETTINGS,
  );
  const strategy = given.strategy ?? constants.Z_DEFAULT_STRATEGY;
  if (!ZLIB_STRATEGIES.includes(strategy)) {
    throw new TypeError(
      `perMessageDeflate.zlibDeflateOptions.strategy must be one of zlib.constants.Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED, got ${strategy}`,
    );
  }
  return {
    ...(given.level === undefined ? {} : { level: given.level }),
    ...(given.memLevel === undefined ? {} : { memLevel: given.memLevel }),
    strategy,
    chunkSize: checkChunkSize('zlibDeflateOptions', given.chunkSize),
  };
}

/**
 * Checks `ws`'s `zlibInflateOptions`, answering the output chunk size.
 *
 * @throws TypeError for any setting but `chunkSize` (naming it and what to use instead).
 */
export function resolveZlibInflateChunkSize(given: ZlibInflateSettings | undefined): number {
  if (given === undefined) return constants.Z_DEFAULT_CHUNK;
  checkOptionNames(
    'perMessageDeflate.zlibInflateOptions',
    checkObject('zlibInflateOptions', given),
    INFLATE_NAMES,
    REFUSED_INFLATE_SETTINGS,
  );
  return checkChunkSize('zlibInflateOptions', given.chunkSize);
}

/**
 * The limiters `concurrencyLimit` stands for, one per value, shared by every server and client
 * given that value. `ws` has a single process-wide limiter, sized by the first `concurrencyLimit`
 * it meets and deaf to later ones; sharing per value keeps its point (bounding zlib work on Node's
 * thread pool across the process) without silently dropping a value given later.
 */
const limitersByConcurrency = new Map<number, ZlibLimiter>();

/**
 * The shared limiter of `concurrencyLimit` (`ws`'s option).
 *
 * @throws TypeError when it is not a positive integer.
 */
export function concurrencyLimiter(concurrencyLimit: number): ZlibLimiter {
  if (!Number.isInteger(concurrencyLimit) || concurrencyLimit < 1) {
    throw new TypeError(`perMessageDeflate.concurrencyLimit must be a positive integer, got ${concurrencyLimit}`);
  }
  let limiter = limitersByConcurrency.get(concurrencyLimit);
  if (limiter === undefined) {
    limiter = new ZlibLimiter(concurrencyLimit);
    limitersByConcurrency.set(concurrencyLimit, limiter);
  }
  return limiter;
}
