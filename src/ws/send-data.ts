import { Buffer } from 'node:buffer';
import { applyMask, frameHeaderSize, writeFrameHeader } from '../protocol/index.js';

/** What `WebSocket#send` accepts, as in browsers, plus Node's `Buffer`. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | Blob;

/** What `ping` and `pong` accept: as `send`, and a number, sent as its decimal text (as in `ws`). */
export type ControlData = SendData | number;

/**
 * Turns send data into a string or a `Buffer` view without copying. Anything else a browser
 * would stringify (WebIDL `USVString` conversion) is stringified.
 */
export function toPayload(data: unknown): string | Buffer {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return String(data);
}

/** A received binary payload as `binaryType` asks for it. */
export function toBinaryType(data: Buffer, binaryType: BinaryType): Buffer | ArrayBuffer | Blob | Buffer[] {
  if (binaryType === 'nodebuffer') return data;
  if (binaryType === 'blob') return new Blob([data]);
  // The parser joins a message's frames as they arrive: the whole message is the one fragment.
  if (binaryType === 'fragments') return [data];
  // An ArrayBuffer of exactly the message: the view may share a larger buffer, so copy when it does.
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer as ArrayBuffer;
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/**
 * How binary messages are handed to browser-style listeners: the browser's two, Node's `Buffer`,
 * and `ws`'s `'fragments'` (an array of `Buffer`s).
 */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob' | 'fragments';

const BINARY_TYPES: readonly string[] = ['nodebuffer', 'arraybuffer', 'blob', 'fragments'] satisfies BinaryType[];

/** Whether `value` is one of the binary types. */
export function isBinaryType(value: unknown): value is BinaryType {
  return typeof value === 'string' && BINARY_TYPES.includes(value);
}

/** Wraps a protocol-core buffer (a `Uint8Array`, often already a `Buffer`) as a `Buffer` without copying. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One whole frame in a new buffer: the header, then `payload` (a string written straight in as
 * UTF-8, or bytes copied), masked when `maskKey` is given. `length` is the payload's byte length,
 * which callers have already measured.
 */
export function encodeFrameBuffer(
  opcode: number,
  payload: string | Buffer,
  length: number,
  fin = true,
  rsv = 0,
  maskKey?: Uint8Array,
): Buffer {
  const headerLength = frameHeaderSize(length, maskKey !== undefined);
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeFrameHeader(frame, 0, opcode, length, fin, rsv, maskKey);
  if (typeof payload === 'string') frame.write(payload, headerLength, length, 'utf8');
  else payload.copy(frame, headerLength);
  if (maskKey !== undefined) applyMask(frame.subarray(headerLength), maskKey);
  return frame;
}

/** Bytes `data` will take as a payload; a `Blob` by its size, before it is read. */
export function payloadSize(data: SendData): number {
  if (data instanceof Blob) return data.size;
  const payload = toPayload(data);
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}
