import { PACKET_TYPE_DIGIT, PACKET_TYPE_OF_DIGIT, PacketType, type Packet } from './packet.js';
import { ParseErrorCode, decoded, malformed, type DecodeResult } from './parse-error.js';

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
  if (packet.type === PacketType.Message && typeof packet.data !== 'string') return packet.data;
  const data = packet.data;
  return data === undefined ? PACKET_TYPE_DIGIT[packet.type] : PACKET_TYPE_DIGIT[packet.type] + data;
}

/**
 * Decodes the payload of one WebSocket frame. A binary frame is always a message packet carrying
 * those bytes; a text frame starts with the packet type digit.
 *
 * @example
 * decodePacket('4hello'); // { ok: true, value: { type: 'message', data: 'hello' } }
 * decodePacket('x');      // { ok: false, error: EngineIOParseError(ERR_EIO_UNKNOWN_PACKET_TYPE) }
 */
export function decodePacket(frame: string | Uint8Array): DecodeResult<Packet> {
  if (typeof frame !== 'string') return decoded({ type: PacketType.Message, data: frame });
  return decodeTextPacket(frame, 0, frame.length);
}

/** Decodes the text packet in `text[start, end)`. */
export function decodeTextPacket(text: string, start: number, end: number): DecodeResult<Packet> {
  if (end <= start) return malformed(ParseErrorCode.EmptyPacket, 'empty packet');
  const digit = text.charCodeAt(start) - 0x30;
  const type = digit >= 0 ? PACKET_TYPE_OF_DIGIT[digit] : undefined;
  if (type === undefined) {
    return malformed(ParseErrorCode.UnknownPacketType, `unknown packet type ${JSON.stringify(text[start])}`);
  }
  if (end - start === 1) {
    // A message always has data, even if empty: '4' is the empty string.
    return decoded(type === PacketType.Message ? { type, data: '' } : { type });
  }
  return decoded({ type, data: text.slice(start + 1, end) });
}
