import { Buffer } from 'node:buffer';

/** What `WebSocket#send` accepts, as in browsers, plus Node's `Buffer`. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView | Blob;

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
export function toBinaryType(data: Buffer, binaryType: BinaryType): Buffer | ArrayBuffer | Blob {
  if (binaryType === 'nodebuffer') return data;
  if (binaryType === 'blob') return new Blob([data]);
  // An ArrayBuffer of exactly the message: the view may share a larger buffer, so copy when it does.
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer as ArrayBuffer;
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/** How binary messages are handed to browser-style listeners: the browser's two, plus Node's `Buffer`. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';

/** Whether `value` is one of the binary types. */
export function isBinaryType(value: unknown): value is BinaryType {
  return value === 'nodebuffer' || value === 'arraybuffer' || value === 'blob';
}

/** Wraps a protocol-core buffer (a `Uint8Array`, often already a `Buffer`) as a `Buffer` without copying. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
