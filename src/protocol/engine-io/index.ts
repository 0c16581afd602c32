/**
 * The sans-I/O Engine.IO protocol v4 codec: packets for WebSocket frames, payloads for HTTP
 * long-polling, the handshake data and the HTTP error codes. Pure functions over strings and bytes;
 * malformed input throws an {@link EngineIOParseError}, and nothing else (as the Socket.IO decoder).
 */
export { decodeBase64Strict } from './base64.js';
export { ENGINE_ERROR_MESSAGES, EngineErrorCode, engineErrorBody, engineErrorStatus } from './http-errors.js';
export { decodePacket, decodeTextPacket, encodePacket } from './packet-codec.js';
export {
  ENGINE_IO_PROTOCOL,
  PACKET_TYPE_DIGIT,
  PACKET_TYPE_OF_DIGIT,
  PacketType,
  openPacket,
  type ControlPacket,
  type HandshakeData,
  type MessagePacket,
  type Packet,
} from './packet.js';
export { EngineIOParseError, ParseErrorCode } from './parse-error.js';
export { RECORD_SEPARATOR, decodePayload, encodePayload, type DecodePayloadOptions } from './payload-codec.js';
