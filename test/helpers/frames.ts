/**
 * Raw WebSocket frames for tests, built byte by byte without the encoder under test, and a sink
 * that records what a `FrameParser` reports. Shared by the protocol, binding and interop tests.
 */
import { Buffer } from 'node:buffer';
import { FrameParser, WebSocketError, type FrameParserOptions, type FrameSink } from '../../src/protocol/index.js';

/** The masking key of RFC 6455 §5.7's examples, used when a test asks for "a" mask. */
export const EXAMPLE_MASK_KEY: Uint8Array = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** How {@link frame} lays a frame out. */
export interface RawFrameOptions {
  /** FIN bit. @default true */
  readonly fin?: boolean;
  /** RSV bits to set: 0x40 (RSV1), 0x20 (RSV2), 0x10 (RSV3). @default 0 */
  readonly rsv?: number;
  /** `true` masks with {@link EXAMPLE_MASK_KEY}, a 4-byte array masks with that key. @default false */
  readonly mask?: boolean | Uint8Array;
  /** Length encoding to use even when a shorter one fits (§5.2 asks for the minimal one). @default minimal */
  readonly lengthForm?: 7 | 16 | 64;
  /** Length to write in the header instead of the payload's, e.g. to announce more than is sent. */
  readonly declaredLength?: number;
}

/** Bytes of `value`: UTF-8 for a string, a copy for bytes. */
export function bytes(value: string | Uint8Array | readonly number[]): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(value as Uint8Array);
}

/**
 * The header of a frame (RFC 6455 §5.2), masking key included. With `declaredLength` it can
 * announce any length, up to 2^64 - 1 (pass a bigint for lengths beyond 2^53).
 */
export function frameHeader(opcode: number, length: number | bigint, options: RawFrameOptions = {}): Buffer {
  const big = BigInt(length);
  const form = options.lengthForm ?? (big < 126n ? 7 : big < 0x10000n ? 16 : 64);
  const key = maskKeyOf(options.mask);
  const header = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (key ? 4 : 0));
  header[0] = (options.fin === false ? 0 : 0x80) | (options.rsv ?? 0) | (opcode & 0x0f);
  const maskBit = key ? 0x80 : 0;
  let p = 2;
  if (form === 7) {
    if (big > 125n) throw new RangeError(`length ${big} does not fit the 7-bit form`);
    header[1] = maskBit | Number(big);
  } else if (form === 16) {
    if (big > 0xffffn) throw new RangeError(`length ${big} does not fit the 16-bit form`);
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(big), p);
    p += 2;
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(big, p);
    p += 8;
  }
  if (key) header.set(key, p);
  return header;
}

/**
 * A whole frame: header, then the payload, masked when `options.mask` asks for it. The payload
 * given is never modified.
 *
 * @example
 * socket.write(frame(0x1, 'hello', { mask: true })); // a masked text frame, as a client sends it
 */
export function frame(
  opcode: number,
  payload: string | Uint8Array = new Uint8Array(0),
  options: RawFrameOptions = {},
): Buffer {
  const body = bytes(payload);
  const key = maskKeyOf(options.mask);
  if (key) for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([frameHeader(opcode, options.declaredLength ?? body.length, options), body]);
}

/** A frame as a client sends it: always masked (RFC 6455 §5.1). */
export function clientFrame(opcode: number, payload?: string | Uint8Array, options: RawFrameOptions = {}): Buffer {
  return frame(opcode, payload, { mask: true, ...options });
}

/** A frame as a server sends it: never masked (RFC 6455 §5.1). */
export function serverFrame(opcode: number, payload?: string | Uint8Array, options: RawFrameOptions = {}): Buffer {
  return frame(opcode, payload, { ...options, mask: false });
}

/** The payload of a close frame: the code in network byte order, then the reason (UTF-8 for a string). */
export function closePayload(code: number, reason: string | Uint8Array = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, bytes(reason)]);
}

function maskKeyOf(mask: boolean | Uint8Array | undefined): Uint8Array | undefined {
  if (mask === undefined || mask === false) return undefined;
  if (mask === true) return EXAMPLE_MASK_KEY;
  if (mask.length !== 4) throw new RangeError('a masking key is 4 bytes');
  return mask;
}

/** One side of a connection as a parser sees it: whose frames it reads, and how those frames look. */
export interface Peer {
  /** Who sent the frames: a server parser reads from a client. */
  readonly readsFrom: 'client' | 'server';
  /** For test names. */
  readonly name: string;
  /** A frame as this peer's counterpart sends it (masked when it comes from a client). */
  frame(opcode: number, payload?: string | Uint8Array, options?: RawFrameOptions): Buffer;
  /** The same frame with the wrong masking for its sender (§5.1 violation). */
  wronglyMaskedFrame(opcode: number, payload?: string | Uint8Array, options?: RawFrameOptions): Buffer;
}

/** Both roles, for tests that hold for a server reading a client and a client reading a server. */
export const PEERS: readonly Peer[] = [
  {
    readsFrom: 'client',
    name: 'server reading masked client frames',
    frame: clientFrame,
    wronglyMaskedFrame: serverFrame,
  },
  {
    readsFrom: 'server',
    name: 'client reading unmasked server frames',
    frame: serverFrame,
    wronglyMaskedFrame: clientFrame,
  },
];

/** What a {@link RecordingSink} saw, with payloads copied so later unmasking in place cannot alter them. */
export type SinkEvent =
  | { readonly type: 'message'; readonly data: Buffer; readonly isBinary: boolean; readonly rsv: number }
  | { readonly type: 'ping'; readonly data: Buffer }
  | { readonly type: 'pong'; readonly data: Buffer }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly code: string; readonly closeCode: number };

/** A `FrameSink` that records every call, checking that errors are `WebSocketError`s. */
export class RecordingSink implements FrameSink {
  readonly events: SinkEvent[] = [];
  /** The errors themselves, for assertions on their message or type. */
  readonly errors: WebSocketError[] = [];

  onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void {
    this.events.push({ type: 'message', data: Buffer.from(data), isBinary, rsv });
  }

  onPing(data: Uint8Array): void {
    this.events.push({ type: 'ping', data: Buffer.from(data) });
  }

  onPong(data: Uint8Array): void {
    this.events.push({ type: 'pong', data: Buffer.from(data) });
  }

  onClose(code: number, reason: string): void {
    this.events.push({ type: 'close', code, reason });
  }

  onError(error: WebSocketError): void {
    if (!(error instanceof WebSocketError)) throw new TypeError(`onError got ${String(error)}, not a WebSocketError`);
    this.errors.push(error);
    this.events.push({ type: 'error', code: error.code, closeCode: error.closeCode });
  }
}

/** A parser reading from `readsFrom` with a fresh {@link RecordingSink}. */
export function recordingParser(
  readsFrom: 'client' | 'server',
  options: Omit<FrameParserOptions, 'readsFrom'> = {},
): { parser: FrameParser; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { parser: new FrameParser(sink, { ...options, readsFrom }), sink };
}

/**
 * Parses `stream` (copied first, since the parser unmasks in place) and returns the events. With
 * `chunkSizes`, the stream is fed in pieces of those sizes in turn, the last one repeating.
 */
export function parseStream(
  readsFrom: 'client' | 'server',
  stream: Uint8Array,
  options: Omit<FrameParserOptions, 'readsFrom'> = {},
  chunkSizes?: readonly number[],
): SinkEvent[] {
  const { parser, sink } = recordingParser(readsFrom, options);
  const copy = Buffer.from(stream);
  if (chunkSizes === undefined || chunkSizes.length === 0) {
    parser.receive(copy);
  } else {
    let pos = 0;
    for (let i = 0; pos < copy.length; i++) {
      const size = Math.max(1, chunkSizes[Math.min(i, chunkSizes.length - 1)]!);
      parser.receive(copy.subarray(pos, pos + size));
      pos += size;
    }
  }
  return sink.events;
}

/** Parses `stream` one byte at a time and returns the events. */
export function parseBytewise(
  readsFrom: 'client' | 'server',
  stream: Uint8Array,
  options: Omit<FrameParserOptions, 'readsFrom'> = {},
): SinkEvent[] {
  return parseStream(readsFrom, stream, options, [1]);
}

/** The one error event expected when a stream breaks the protocol with `code`, closing with `closeCode`. */
export function errorEvent(code: string, closeCode: number): SinkEvent {
  return { type: 'error', code, closeCode };
}

/** A message event, for comparing with what a {@link RecordingSink} saw. */
export function messageEvent(data: string | Uint8Array, isBinary: boolean, rsv = 0): SinkEvent {
  return { type: 'message', data: bytes(data), isBinary, rsv };
}
