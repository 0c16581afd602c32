import { PACKET_TYPE_DIGIT, PACKET_TYPE_OF_DIGIT, PacketType, type Packet } from './packet.js';
import { ParseErrorCode, malformed } from './parse-error.js';

/**
 * Encodes one packet as the payload of one WebSocket frame (Engine.IO protocol v4, "Packet encoding
 * › WebSocket"): a text frame holding the type digit and the data, or, for a binary message, the
 * bytes as they are (to be sent as a binary frame, with no type prefix).
 *
 * @example
 * encodePacket({ type: 'message', data: 'hello' }); // '4hello'
 * encodePacket({ type: 'ping' });                    // '2'
 */
export function encodePacket(packet: Packet): string | Uint8Array {
  const data = packet.data;
  if (data === undefined) return PACKET_TYPE_DIGIT[packet.type];
  // Only a message carries bytes, and they go as they are.
  if (typeof data !== 'string') return data;
  return PACKET_TYPE_DIGIT[packet.type] + data;
}

/**
 * Decodes the payload of one WebSocket frame. A binary frame is always a message packet carrying
 * those bytes; a text frame starts with the packet type digit.
 *
 * @throws EngineIOParseError for a malformed packet (an empty one, an unknown type digit).
 * @example
 * decodePacket('4hello'); // { type: 'message', data: 'hello' }
 * decodePacket('x');      // throws EngineIOParseError (ERR_EIO_UNKNOWN_PACKET_TYPE)
 */
export function decodePacket(frame: string | Uint8Array): Packet {
  if (typeof frame !== 'string') return { type: PacketType.Message, data: frame };
  return decodeTextPacket(frame, 0, frame.length);
}

/**
 * Decodes the text packet in `text[start, end)`.
 * @throws EngineIOParseError as {@link decodePacket}.
 */
export function decodeTextPacket(text: string, start: number, end: number): Packet {
  if (end <= start) malformed(ParseErrorCode.EmptyPacket, 'empty packet');
  const digit = text.charCodeAt(start) - 0x30;
  const type = digit >= 0 ? PACKET_TYPE_OF_DIGIT[digit] : undefined;
  if (type === undefined) {
    malformed(ParseErrorCode.UnknownPacketType, `unknown packet type ${JSON.stringify(text[start])}`);
  }
  if (end - start === 1) {
    // A message always has data, even if empty: '4' is the empty string.
    return type === PacketType.Message ? { type, data: '' } : { type };
  }
  return { type, data: text.slice(start + 1, end) };
}
