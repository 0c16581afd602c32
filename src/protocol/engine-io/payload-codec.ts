import { toBase64 } from '../base64.js';
import { decodeBase64Strict } from './base64.js';
import { decodeTextPacket, encodePacket } from './packet-codec.js';
import { PacketType, type Packet } from './packet.js';
import { ParseErrorCode, malformed } from './parse-error.js';

/**
 * The record separator (U+001E) between packets of a polling payload (Engine.IO protocol v4,
 * "Packet encoding › HTTP long-polling").
 */
export const RECORD_SEPARATOR = '\x1e';

const BINARY_PREFIX_CODE = 0x62; // 'b'

/** Limits for {@link decodePayload}. */
export interface DecodePayloadOptions {
  /**
   * The most packets one payload may hold; more is a parse error.
   * @default Infinity
   */
  maxPackets?: number;
}

/**
 * Encodes packets as one HTTP long-polling payload: text packets as on a WebSocket, binary messages
 * as `b` and their base64, all joined with the record separator.
 *
 * @example
 * encodePayload([{ type: 'message', data: 'hello' }, { type: 'message', data: new Uint8Array([1, 2, 3, 4]) }]);
 * // '4hello\x1ebAQIDBA=='
 */
export function encodePayload(packets: readonly Packet[]): string {
  let payload = '';
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) payload += RECORD_SEPARATOR;
    const packet = packets[i]!;
    const encoded = encodePacket(packet);
    // Protocol v4: binary data in a payload is always base64, prefixed with 'b'.
    payload += typeof encoded === 'string' ? encoded : 'b' + toBase64(encoded);
  }
  return payload;
}

/**
 * Decodes an HTTP long-polling payload into its packets. The whole payload is rejected if any
 * packet in it is malformed, so a peer never gets half a payload through.
 *
 * @throws EngineIOParseError for a malformed packet, invalid base64 or more than `maxPackets`.
 * @example
 * decodePayload('4hello\x1e2'); // [{ type: 'message', data: 'hello' }, { type: 'ping' }]
 */
export function decodePayload(payload: string, options: DecodePayloadOptions = {}): Packet[] {
  const maxPackets = options.maxPackets ?? Infinity;
  const packets: Packet[] = [];
  let start = 0;
  for (;;) {
    let end = payload.indexOf(RECORD_SEPARATOR, start);
    if (end === -1) end = payload.length;
    if (packets.length >= maxPackets) {
      malformed(ParseErrorCode.TooManyPackets, `payload holds more than ${maxPackets} packets`);
    }
    if (end > start && payload.charCodeAt(start) === BINARY_PREFIX_CODE) {
      const bytes = decodeBase64Strict(payload, start + 1, end);
      if (bytes === undefined) malformed(ParseErrorCode.InvalidBase64, 'binary packet is not valid base64');
      packets.push({ type: PacketType.Message, data: bytes });
    } else {
      packets.push(decodeTextPacket(payload, start, end));
    }
    if (end === payload.length) return packets;
    start = end + 1;
  }
}
