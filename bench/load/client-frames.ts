import { createHash } from 'node:crypto';

/** A fixed handshake key: servers must not care which key a client picks, only answer it correctly. */
export const CLIENT_KEY = 'c3dpdGNoYm9hcmQtYmVuYw==';

/** RFC 6455 §4.2.2: the accept value is base64(SHA-1(key + GUID)). */
export const EXPECTED_ACCEPT = createHash('sha1')
  .update(CLIENT_KEY + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
  .digest('base64');

/** A fixed masking key: the generator pre-masks its frames once and sends the same bytes again and again. */
const MASK_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** Opcodes the generator sends (RFC 6455 §5.2). */
export const Opcode = { Text: 0x1, Binary: 0x2, Close: 0x8 } as const;

/** The HTTP upgrade request of RFC 6455 §4.1, optionally offering extensions. */
export function upgradeRequest(port: number, path: string, extensions?: string): Buffer {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${CLIENT_KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Size of a client frame (always masked) carrying `length` payload bytes. */
export function clientFrameSize(length: number): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + 4 + length;
}

/**
 * Writes one masked client frame for `payload` into `target` at `offset` and returns the offset
 * after it. `rsv` sets extension bits (0x40 = RSV1, a compressed message under RFC 7692).
 */
export function writeClientFrame(
  target: Uint8Array,
  offset: number,
  opcode: number,
  payload: Uint8Array,
  rsv = 0,
): number {
  const length = payload.length;
  let p = offset;
  target[p++] = 0x80 | rsv | opcode;
  if (length < 126) {
    target[p++] = 0x80 | length;
  } else if (length < 0x10000) {
    target[p++] = 0x80 | 126;
    target[p++] = length >>> 8;
    target[p++] = length & 0xff;
  } else {
    target[p++] = 0x80 | 127;
    const high = Math.floor(length / 0x100000000);
    target[p++] = high >>> 24;
    target[p++] = (high >>> 16) & 0xff;
    target[p++] = (high >>> 8) & 0xff;
    target[p++] = high & 0xff;
    target[p++] = length >>> 24;
    target[p++] = (length >>> 16) & 0xff;
    target[p++] = (length >>> 8) & 0xff;
    target[p++] = length & 0xff;
  }
  target.set(MASK_KEY, p);
  p += 4;
  for (let i = 0; i < length; i++) target[p + i] = payload[i]! ^ MASK_KEY[i & 3]!;
  return p + length;
}

/** `count` copies of the same masked frame, back to back, ready to be written as-is. */
export function repeatedClientFrames(opcode: number, payload: Uint8Array, count: number): Buffer {
  const size = clientFrameSize(payload.length);
  const out = Buffer.allocUnsafe(size * count);
  writeClientFrame(out, 0, opcode, payload);
  for (let i = 1; i < count; i++) out.copy(out, i * size, 0, size);
  return out;
}

/** A payload of `size` bytes of printable ASCII, so it is also valid as text. */
export function asciiPayload(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = 0x61 + (i % 26);
  return out;
}
