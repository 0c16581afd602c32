import { applyMask } from './mask.js';

/** How one frame is written (RFC 6455 §5.2). */
export interface FrameOptions {
  /** Whether this is the last frame of its message. @default true */
  readonly fin?: boolean;
  /** RSV bits to set (0x40 = RSV1), only as a negotiated extension defines them. @default 0 */
  readonly rsv?: number;
  /** The 4-byte masking key; clients must mask every frame (§5.3), servers never do. @default no mask */
  readonly maskKey?: Uint8Array | undefined;
}

/** Size of a frame header for a payload of `payloadLength` bytes: the minimal encoding §5.2 demands. */
export function frameHeaderSize(payloadLength: number, masked: boolean): number {
  return (payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header into `target` at `offset` and returns where the payload starts.
 * The caller sizes `target` with {@link frameHeaderSize}. Positional arguments keep this
 * allocation-free on the per-message path.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  opcode: number,
  payloadLength: number,
  fin = true,
  rsv = 0,
  maskKey?: Uint8Array,
): number {
  target[offset] = (fin ? 0x80 : 0) | rsv | opcode;
  const maskBit = maskKey ? 0x80 : 0;
  let p = offset + 2;
  if (payloadLength < 126) {
    target[offset + 1] = maskBit | payloadLength;
  } else if (payloadLength < 0x10000) {
    target[offset + 1] = maskBit | 126;
    target[p++] = payloadLength >>> 8;
    target[p++] = payloadLength & 0xff;
  } else {
    target[offset + 1] = maskBit | 127;
    const high = Math.floor(payloadLength / 0x100000000);
    target[p++] = high >>> 24;
    target[p++] = (high >>> 16) & 0xff;
    target[p++] = (high >>> 8) & 0xff;
    target[p++] = high & 0xff;
    target[p++] = payloadLength >>> 24;
    target[p++] = (payloadLength >>> 16) & 0xff;
    target[p++] = (payloadLength >>> 8) & 0xff;
    target[p++] = payloadLength & 0xff;
  }
  if (maskKey) {
    target[p++] = maskKey[0]!;
    target[p++] = maskKey[1]!;
    target[p++] = maskKey[2]!;
    target[p++] = maskKey[3]!;
  }
  return p;
}

/**
 * Encodes a whole frame into one new buffer: header, then the payload (masked if a key is given,
 * leaving `payload` itself untouched).
 *
 * @example
 * const frame = encodeFrame(Opcode.Text, new TextEncoder().encode('hi'));
 * socket.write(frame);
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options?: FrameOptions,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const maskKey = options?.maskKey;
  const headerLength = frameHeaderSize(payload.length, maskKey !== undefined);
  const frame = allocate(headerLength + payload.length);
  writeFrameHeader(frame, 0, opcode, payload.length, options?.fin, options?.rsv, maskKey);
  frame.set(payload, headerLength);
  if (maskKey) applyMask(frame.subarray(headerLength), maskKey);
  return frame;
}

/** The payload of a close frame (RFC 6455 §5.5.1): the code in network byte order, then the UTF-8 reason. */
export function encodeClosePayload(code: number | undefined, reason = ''): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const reasonBytes = textEncoder.encode(reason);
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

const textEncoder = new TextEncoder();
