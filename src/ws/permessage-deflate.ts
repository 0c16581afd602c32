import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { ErrorCode, WebSocketError } from '../protocol/errors.js';
import {
  MAX_WINDOW_BITS,
  validateDeflateNegotiationOptions,
  type DeflateNegotiationOptions,
  type DeflateParameters,
} from '../protocol/permessage-deflate.js';
import { InflateBudget, defaultInflateBudget } from './inflate-budget.js';
import { checkOptionNames } from './options.js';
import { defaultZlibLimiter, type ZlibLimiter } from './zlib-limiter.js';
import {
  concurrencyLimiter,
  resolveZlibDeflateSettings,
  resolveZlibInflateChunkSize,
  type ZlibDeflateSettings,
  type ZlibInflateSettings,
} from './zlib-options.js';

/**
 * Options of permessage-deflate (RFC 7692), the `perMessageDeflate` option of `WebSocketServer`
 * and `WebSocket`. The negotiation fields say what a server accepts and prefers, or what a client
 * offers; the others tune the compressor of each connection.
 *
 * @example
 * new WebSocketServer({ port: 8080, perMessageDeflate: { threshold: 256, serverNoContextTakeover: true } });
 */
export interface PerMessageDeflateOptions extends Omit<DeflateNegotiationOptions, 'clientMaxWindowBits'> {
  /**
   * Server: the largest window it lets clients compress with; below 15 it declines offers without
   * `client_max_window_bits`, since those clients may use the full window. Client: the largest
   * window it compresses with, offered as `client_max_window_bits` (with no value at 15). `true`,
   * `ws`'s way of asking for that bare offer, is 15.
   * @default 15
   */
  readonly clientMaxWindowBits?: number | true | undefined;
  /** Messages shorter than this many bytes are sent uncompressed. @default 1024 */
  readonly threshold?: number | undefined;
  /** zlib compression level, 0–9 (or -1 for zlib's default, 6); 1 trades a little ratio for speed. @default 1 */
  readonly level?: number | undefined;
  /** zlib memLevel, 1–9: memory for the compressor's hash chains (2^(memLevel+9) bytes, twice). @default 8 */
  readonly memLevel?: number | undefined;
  /**
   * The limiter that bounds zlib operations in flight. Connections share the process-wide one
   * unless given their own.
   * @default defaultZlibLimiter (10 operations)
   */
  readonly limiter?: ZlibLimiter | undefined;
  /**
   * The budget that bounds the bytes of inflated output held at once by messages still inflating;
   * past it, the connection inflating the most is closed with 1013. Connections share the
   * process-wide one unless given their own.
   * @default defaultInflateBudget (128 MiB)
   */
  readonly inflateBudget?: InflateBudget | undefined;
  /**
   * `ws`'s zlib settings of the compressor: `level` and `memLevel` (as the options of those names;
   * give each in one place only), `strategy` and `chunkSize`. `windowBits` is negotiated and
   * refused here, as are the settings that would change the protocol.
   */
  readonly zlibDeflateOptions?: ZlibDeflateSettings | undefined;
  /** `ws`'s zlib settings of the decompressor: `chunkSize` only (`maxOutputLength` is `maxPayload`'s job). */
  readonly zlibInflateOptions?: ZlibInflateSettings | undefined;
  /**
   * `ws`'s bound on zlib operations in flight: a process-wide {@link ZlibLimiter} of this
   * concurrency, shared by every server and client given the same value. Give it or `limiter`.
   */
  readonly concurrencyLimit?: number | undefined;
}

/** {@link PerMessageDeflateOptions} with defaults applied and values checked. */
export interface ResolvedDeflateOptions extends DeflateNegotiationOptions {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly strategy: number;
  readonly deflateChunkSize: number;
  readonly inflateChunkSize: number;
  readonly limiter: ZlibLimiter;
  readonly inflateBudget: InflateBudget;
}

/** Default {@link PerMessageDeflateOptions.threshold}: 1 KiB, as `ws` has it. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

function checkInteger(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`perMessageDeflate.${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

const DEFLATE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'threshold',
  'level',
  'memLevel',
  'limiter',
  'inflateBudget',
  'zlibDeflateOptions',
  'zlibInflateOptions',
  'concurrencyLimit',
]);

/** Refuses a setting given both under our name and in `ws`'s `zlibDeflateOptions`. */
function once<T>(name: string, ours: T | undefined, zlibs: T | undefined): T | undefined {
  if (ours !== undefined && zlibs !== undefined) {
    throw new TypeError(`give perMessageDeflate.${name} or perMessageDeflate.zlibDeflateOptions.${name}, not both`);
  }
  return ours ?? zlibs;
}

/**
 * Resolves a `perMessageDeflate` option: `false` turns compression off, `true` uses the defaults,
 * an object overrides them. Answers `undefined` when compression is off.
 *
 * @throws TypeError when a value is out of range, or for an option this module does not take (naming it).
 */
export function resolveDeflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
  enabledByDefault: boolean,
): ResolvedDeflateOptions | undefined {
  if (option === false || (option === undefined && !enabledByDefault)) return undefined;
  const given: PerMessageDeflateOptions = option === true || option === undefined ? {} : option;
  checkOptionNames('perMessageDeflate', given, DEFLATE_OPTION_NAMES, {});
  const { zlibDeflateOptions, zlibInflateOptions, concurrencyLimit, clientMaxWindowBits, ...rest } = given;
  const negotiation: DeflateNegotiationOptions = {
    ...rest,
    ...(clientMaxWindowBits === undefined
      ? {}
      : { clientMaxWindowBits: clientMaxWindowBits === true ? MAX_WINDOW_BITS : clientMaxWindowBits }),
  };
  validateDeflateNegotiationOptions(negotiation);
  const zlib = resolveZlibDeflateSettings(zlibDeflateOptions);
  if (concurrencyLimit !== undefined && given.limiter !== undefined) {
    throw new TypeError("give perMessageDeflate.limiter or ws's perMessageDeflate.concurrencyLimit, not both");
  }
  return {
    ...negotiation,
    threshold: checkInteger(given.threshold ?? DEFAULT_DEFLATE_THRESHOLD, 'threshold', 0, Number.MAX_SAFE_INTEGER),
    level: checkInteger(once('level', given.level, zlib.level) ?? 1, 'level', -1, 9),
    memLevel: checkInteger(once('memLevel', given.memLevel, zlib.memLevel) ?? 8, 'memLevel', 1, 9),
    strategy: zlib.strategy,
    deflateChunkSize: zlib.chunkSize,
    inflateChunkSize: resolveZlibInflateChunkSize(zlibInflateOptions),
    limiter:
      concurrencyLimit === undefined ? (given.limiter ?? defaultZlibLimiter) : concurrencyLimiter(concurrencyLimit),
    inflateBudget: checkInflateBudget(given.inflateBudget ?? defaultInflateBudget),
  };
}

function checkInflateBudget(budget: InflateBudget): InflateBudget {
  if (!(budget instanceof InflateBudget))
    throw new TypeError('perMessageDeflate.inflateBudget must be an InflateBudget');
  return budget;
}

/** Receives a compressed message (or fragment): the payloads of the frames to send, in order. */
export type CompressCallback = (error: Error | null, fragments?: Buffer[]) => void;
/** Receives an inflated message, or the error that must fail the connection. */
export type DecompressCallback = (error: WebSocketError | null, data?: Buffer) => void;

/** RFC 7692 §7.2.1: the empty stored block a sync flush ends with. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Largest frame payload a compressed message is cut into; larger output goes in several frames. */
const MAX_FRAGMENT = 64 * 1024;

interface CompressTask {
  readonly data: Uint8Array;
  readonly fin: boolean;
  readonly callback: CompressCallback;
}

interface DecompressTask {
  readonly data: Uint8Array;
  readonly callback: DecompressCallback;
}

/** A message that was to be compressed when the connection closed (ws's wording). */
function closedWhileCompressing(): WebSocketError {
  return new WebSocketError(ErrorCode.ConnectionClosed, 'The socket was closed while data was being compressed');
}

function closedWhileInflating(): WebSocketError {
  return new WebSocketError(ErrorCode.ConnectionClosed, 'the connection closed while a message was being inflated');
}

function overBudgetError(budget: InflateBudget): WebSocketError {
  return new WebSocketError(
    ErrorCode.InflateBudgetExceeded,
    `messages inflating would hold more than the inflate budget (${budget.limit} bytes)`,
  );
}

// Not `implements InflateBudgetHolder`: `evicted` is internal, so `stripInternal` leaves it out of
// the published declarations, where the clause would then fail to type-check. `budget.charge(this, …)` checks it.
/**
 * permessage-deflate for one connection, once negotiated: an async compressor and decompressor on
 * Node's zlib, each running one message at a time through the process-wide {@link ZlibLimiter}.
 * Callbacks fire in call order per direction, so the host keeps messages in order by queueing
 * around them. zlib contexts are created on first use, dropped after each message when context
 * takeover is off, and freed by {@link close}. Inflated output is charged to the
 * {@link InflateBudget} as it comes and given back when the message is delivered or fails.
 *
 * Window sizes (RFC 7692 §7.1.2): zlib refuses an 8-bit window for raw deflate, so the compressor
 * uses 9 bits when 8 was agreed. That stays within the agreement because zlib's matcher never
 * reaches back further than the window minus 262 bytes (its minimum lookahead): a 9-bit zlib
 * window yields distances of at most 250 bytes, which an 8-bit (256-byte) decompressor accepts.
 * The decompressor uses exactly the peer's agreed window, 8 included, which zlib's inflate supports.
 *
 * @example
 * const deflate = new PerMessageDeflate(parameters, 'server', resolveDeflateOptions(true, true)!, maxPayload);
 * deflate.compress(payload, true, (error, fragments) => { if (!error) writeFrames(fragments!); });
 * deflate.decompress(compressed, (error, data) => (error ? fail(error) : deliver(data!)));
 */
export class PerMessageDeflate {
  /** Messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly strategy: number;
  private readonly deflateChunkSize: number;
  private readonly inflateChunkSize: number;
  private readonly limiter: ZlibLimiter;
  private readonly budget: InflateBudget;
  private readonly maxPayload: number;
  private readonly deflateWindowBits: number;
  private readonly inflateWindowBits: number;
  private readonly deflateResets: boolean;
  private readonly inflateResets: boolean;

  private deflater: DeflateRaw | undefined;
  private inflater: InflateRaw | undefined;
  /** The peer ended its DEFLATE stream with a BFINAL block (RFC 7692 §7.2.3.4); the next message starts a new one. */
  private inflaterEnded = false;
  private readonly outbound: CompressTask[] = [];
  private readonly inbound: DecompressTask[] = [];
  private closed = false;

  // The message being compressed.
  private deflateChunks: Buffer[] = [];
  private deflateLength = 0;
  private deflateDone: (() => void) | undefined;

  // The message being inflated.
  private inflateChunks: Buffer[] = [];
  private inflateLength = 0;
  private inflateDone: (() => void) | undefined;

  constructor(
    parameters: DeflateParameters,
    role: 'client' | 'server',
    options: ResolvedDeflateOptions,
    maxPayload: number,
  ) {
    this.threshold = options.threshold;
    this.level = options.level;
    this.memLevel = options.memLevel;
    this.strategy = options.strategy;
    this.deflateChunkSize = options.deflateChunkSize;
    this.inflateChunkSize = options.inflateChunkSize;
    this.limiter = options.limiter;
    this.budget = options.inflateBudget;
    this.maxPayload = maxPayload;
    const server = role === 'server';
    const ownBits = server ? parameters.serverMaxWindowBits : parameters.clientMaxWindowBits;
    const peerBits = server ? parameters.clientMaxWindowBits : parameters.serverMaxWindowBits;
    this.deflateWindowBits = Math.max(9, Math.min(ownBits, MAX_WINDOW_BITS));
    this.inflateWindowBits = peerBits;
    this.deflateResets = server ? parameters.serverNoContextTakeover : parameters.clientNoContextTakeover;
    this.inflateResets = server ? parameters.clientNoContextTakeover : parameters.serverNoContextTakeover;
  }

  /**
   * Compresses `data`, the whole message or (with `fin` false) one fragment of it. The callback
   * gets the frame payloads to send: RSV1 goes on the first frame of the message only, FIN on
   * the last frame of the fragment that has `fin` set. With `fin`, the final `00 00 ff ff` is
   * removed (RFC 7692 §7.2.1).
   */
  compress(data: Uint8Array, fin: boolean, callback: CompressCallback): void {
    if (this.closed) {
      queueMicrotask(() => callback(closedWhileCompressing()));
      return;
    }
    this.outbound.push({ data, fin, callback });
    if (this.outbound.length === 1) this.limiter.run(this.startDeflate);
  }

  /**
   * Inflates a whole compressed message (its frames' payloads joined). Stops as soon as the output
   * passes `maxPayload` (1009) and never holds more than that; stops too when the inflate budget
   * takes back its bytes (1013); data that does not inflate gives 1007.
   */
  decompress(data: Uint8Array, callback: DecompressCallback): void {
    if (this.closed) {
      queueMicrotask(() => callback(closedWhileInflating()));
      return;
    }
    this.inbound.push({ data, callback });
    if (this.inbound.length === 1) this.limiter.run(this.startInflate);
  }

  /**
   * Frees both zlib contexts. Pending and later calls get an `ERR_CONNECTION_CLOSED` error; the
   * operations in flight give back their limiter slots and their inflate budget.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseDeflater();
    this.releaseInflater();
    this.finishDeflate();
    this.finishInflate();
    const compressing = closedWhileCompressing();
    for (const task of this.outbound.splice(0)) task.callback(compressing);
    const inflating = closedWhileInflating();
    for (const task of this.inbound.splice(0)) task.callback(inflating);
  }

  private readonly startDeflate = (done: () => void): void => {
    const task = this.outbound[0];
    if (this.closed || task === undefined) {
      done();
      return;
    }
    this.deflateDone = done;
    const deflater = (this.deflater ??= this.createDeflater());
    deflater.write(task.data);
    deflater.flush(constants.Z_SYNC_FLUSH, () => {
      if (deflater === this.deflater) this.deflateFlushed();
    });
  };

  private createDeflater(): DeflateRaw {
    const deflater = createDeflateRaw({
      level: this.level,
      memLevel: this.memLevel,
      strategy: this.strategy,
      chunkSize: this.deflateChunkSize,
      windowBits: this.deflateWindowBits,
    });
    deflater.on('data', (chunk: Buffer) => {
      this.deflateChunks.push(chunk);
      this.deflateLength += chunk.length;
    });
    deflater.on('error', (error: Error) => {
      // zlib fails a compressor only on resource trouble; the context is lost, so is this message.
      if (deflater !== this.deflater) return;
      this.releaseDeflater();
      const task = this.outbound.shift();
      this.nextDeflate();
      task?.callback(error);
    });
    return deflater;
  }

  private deflateFlushed(): void {
    const task = this.outbound.shift()!;
    let chunks = this.deflateChunks;
    let length = this.deflateLength;
    this.deflateChunks = [];
    this.deflateLength = 0;
    if (task.fin) {
      // RFC 7692 §7.2.1: the sync flush ends with 00 00 ff ff, which the receiver adds back.
      chunks = dropTail(chunks, TRAILER.length);
      length -= TRAILER.length;
      // §7.1.1: without context takeover every message starts from an empty window; dropping the
      // context also frees its memory until the next message.
      if (this.deflateResets) this.releaseDeflater();
    }
    this.nextDeflate();
    task.callback(null, toFragments(chunks, length));
  }

  private nextDeflate(): void {
    this.finishDeflate();
    if (this.outbound.length !== 0) this.limiter.run(this.startDeflate);
  }

  private finishDeflate(): void {
    const done = this.deflateDone;
    this.deflateDone = undefined;
    this.deflateChunks = [];
    this.deflateLength = 0;
    done?.();
  }

  private releaseDeflater(): void {
    const deflater = this.deflater;
    if (deflater === undefined) return;
    this.deflater = undefined;
    deflater.removeAllListeners('data');
    // Errors after release (e.g. from a write still in flight) have nobody left to tell.
    deflater.on('error', ignore);
    deflater.close();
  }

  private readonly startInflate = (done: () => void): void => {
    const task = this.inbound[0];
    if (this.closed || task === undefined) {
      done();
      return;
    }
    this.inflateDone = done;
    if (this.inflaterEnded) this.releaseInflater();
    const inflater = (this.inflater ??= this.createInflater());
    inflater.write(task.data);
    // RFC 7692 §7.2.2: put back the 00 00 ff ff the sender removed.
    inflater.write(TRAILER);
    inflater.flush(constants.Z_SYNC_FLUSH, () => {
      if (inflater === this.inflater) this.inflateFinished(null);
    });
  };

  private createInflater(): InflateRaw {
    const inflater = createInflateRaw({ windowBits: this.inflateWindowBits, chunkSize: this.inflateChunkSize });
    this.inflaterEnded = false;
    inflater.on('end', () => {
      // zlib ignores all input after the final block, so this context cannot inflate another message.
      if (inflater === this.inflater) this.inflaterEnded = true;
    });
    inflater.on('data', (chunk: Buffer) => {
      if (inflater !== this.inflater) return;
      if (this.inflateLength + chunk.length > this.maxPayload) {
        // Stop inflating now: closing the context ends the work between two output chunks
        // (16 KiB, or zlibInflateOptions.chunkSize), so a bomb never grows past maxPayload plus one chunk.
        this.releaseInflater();
        this.inflateFinished(
          new WebSocketError(ErrorCode.MessageTooBig, `inflated message exceeds maxPayload (${this.maxPayload} bytes)`),
        );
        return;
      }
      if (!this.budget.charge(this, chunk.length)) {
        this.releaseInflater();
        this.inflateFinished(overBudgetError(this.budget));
        return;
      }
      this.inflateLength += chunk.length;
      this.inflateChunks.push(chunk);
    });
    inflater.on('error', (error: Error) => {
      if (inflater !== this.inflater) return;
      this.releaseInflater();
      this.inflateFinished(
        new WebSocketError(ErrorCode.InvalidCompressedData, `invalid compressed data: ${error.message}`),
      );
    });
    return inflater;
  }

  private inflateFinished(error: WebSocketError | null): void {
    const task = this.inbound.shift()!;
    const chunks = this.inflateChunks;
    const length = this.inflateLength;
    this.finishInflate();
    // §7.1.1: the peer resets its window after every message, so ours can go too.
    if (error === null && (this.inflateResets || this.inflaterEnded)) this.releaseInflater();
    if (this.inbound.length !== 0) this.limiter.run(this.startInflate);
    if (error !== null) task.callback(error);
    else task.callback(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
  }

  private finishInflate(): void {
    const done = this.inflateDone;
    this.inflateDone = undefined;
    this.inflateChunks = [];
    this.inflateLength = 0;
    // Delivered, failed or dropped: in every case the output no longer counts against the budget.
    this.budget.release(this);
    done?.();
  }

  /** @internal The inflate budget took back this message's bytes to make room: fail it with 1013. */
  evicted(): void {
    this.releaseInflater();
    this.inflateFinished(overBudgetError(this.budget));
  }

  private releaseInflater(): void {
    const inflater = this.inflater;
    if (inflater === undefined) return;
    this.inflater = undefined;
    inflater.removeAllListeners('data');
    inflater.on('error', ignore);
    inflater.close();
  }
}

function ignore(): void {}

/** Removes the last `count` bytes from a list of chunks, without copying. */
function dropTail(chunks: Buffer[], count: number): Buffer[] {
  let remaining = count;
  while (remaining > 0 && chunks.length !== 0) {
    const last = chunks[chunks.length - 1]!;
    if (last.length > remaining) {
      chunks[chunks.length - 1] = last.subarray(0, last.length - remaining);
      break;
    }
    remaining -= last.length;
    chunks.pop();
  }
  return chunks;
}

/**
 * Groups zlib's output chunks into frame payloads of at most {@link MAX_FRAGMENT} bytes, or one
 * chunk when a chunk is larger (a chunk is never split; zlib's are 16 KiB by default), so a large compressed message goes out as several
 * frames instead of one buffer joined from all its chunks. Always answers at least one payload.
 */
function toFragments(chunks: Buffer[], length: number): Buffer[] {
  if (chunks.length === 0) return [Buffer.alloc(0)];
  if (chunks.length === 1) return chunks;
  if (length <= MAX_FRAGMENT) return [Buffer.concat(chunks, length)];
  const fragments: Buffer[] = [];
  let group: Buffer[] = [];
  let groupLength = 0;
  for (const chunk of chunks) {
    if (groupLength + chunk.length > MAX_FRAGMENT && group.length !== 0) {
      fragments.push(group.length === 1 ? group[0]! : Buffer.concat(group, groupLength));
      group = [];
      groupLength = 0;
    }
    group.push(chunk);
    groupLength += chunk.length;
  }
  fragments.push(group.length === 1 ? group[0]! : Buffer.concat(group, groupLength));
  return fragments;
}
