import { Buffer } from 'node:buffer';
import { decode, encode } from '@msgpack/msgpack';

/**
 * Turns the messages nodes exchange into bytes and back: the `parser` option of the adapters and
 * the emitter, as in the official packages (any object with these two methods, `notepack.io` for
 * one). Every node and emitter sharing a Redis key must use the same parser.
 */
export interface Parser {
  /** Encodes a message (plain objects, arrays, strings, numbers, booleans, `null`, Buffers). */
  encode(message: unknown): Uint8Array | string;
  /** Decodes what {@link Parser.encode} produced. May throw on bytes it cannot read. */
  decode(bytes: Buffer): unknown;
}

/**
 * Replaces, in place, every Uint8Array in a decoded message by a Buffer over the same memory, so
 * binary data reaches the application as Buffers, as with the official adapter's parser.
 */
function toBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toBuffers(value[i]);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = toBuffers(record[key]);
  }
  return value;
}

/**
 * The default parser: MessagePack, byte-compatible with what `@socket.io/redis-adapter` and
 * `@socket.io/redis-emitter` send (binary data as `bin`, dates as timestamps, object fields that
 * are `undefined` left out).
 */
export const MSGPACK_PARSER: Parser = Object.freeze({
  encode: (message: unknown): Uint8Array => encode(message, { ignoreUndefined: true }),
  decode: (bytes: Buffer): unknown => toBuffers(decode(bytes)),
});

/** The bytes to publish for `message`: a Buffer view of what the parser returned, without a copy. */
export function encodeWith(parser: Parser, message: unknown): Buffer | string {
  const encoded = parser.encode(message);
  if (typeof encoded === 'string' || Buffer.isBuffer(encoded)) return encoded;
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/**
 * Decodes a request or response: JSON when it starts with `{` (what official nodes send for most
 * requests), the parser otherwise. Throws on bytes neither can read.
 */
export function decodeMessage(parser: Parser, bytes: Buffer): unknown {
  return bytes[0] === 0x7b ? JSON.parse(bytes.toString('utf8')) : parser.decode(bytes);
}
