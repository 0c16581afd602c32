/**
 * The Socket.IO protocol v5 codec: packet types, an encoder that splits binary attachments out
 * and a stateful decoder that puts them back. Pure: no host modules, no timers, no I/O.
 */
export {
  DEFAULT_MAX_ARGUMENTS,
  DEFAULT_MAX_ATTACHMENT_BYTES,
  DEFAULT_MAX_ATTACHMENTS,
  DEFAULT_MAX_NAMESPACE_LENGTH,
  DEFAULT_MAX_NESTING_DEPTH,
  Decoder,
  resolveDecoderOptions,
  type DecoderOptions,
  type ResolvedDecoderOptions,
} from './decoder.js';
export { encodePacket, type EncodedPacket } from './encoder.js';
export { PacketDecoder, type PacketHeader } from './packet-decoder.js';
export { SocketIoErrorCode, SocketIoParseError } from './errors.js';
export { PacketType, RESERVED_EVENTS, hasBinary, isBinary, type BinaryData, type Packet } from './packet.js';
