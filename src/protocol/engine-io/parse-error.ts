/**
 * Stable codes for the ways an Engine.IO packet or payload can be malformed.
 */
export const ParseErrorCode = {
  /** A packet with no type digit at all. */
  EmptyPacket: 'ERR_EIO_EMPTY_PACKET',
  /** A first character that is not one of the packet type digits `0`–`6`. */
  UnknownPacketType: 'ERR_EIO_UNKNOWN_PACKET_TYPE',
  /** A `b`-prefixed polling packet whose body is not valid base64. */
  InvalidBase64: 'ERR_EIO_INVALID_BASE64',
  /** A polling payload body that is not valid UTF-8. */
  InvalidUtf8: 'ERR_EIO_INVALID_UTF8',
  /** A polling payload with more packets than the caller allows. */
  TooManyPackets: 'ERR_EIO_TOO_MANY_PACKETS',
} as const;

/** One of the Engine.IO parse error codes. */
export type ParseErrorCode = (typeof ParseErrorCode)[keyof typeof ParseErrorCode];

/**
 * Thrown by the Engine.IO decoders when bytes from a peer are not a valid packet or payload; the
 * only exception they throw. `code` is stable and safe to branch on.
 *
 * @example
 * try { decodePacket(frame); } catch (err) {
 *   if (err instanceof EngineIOParseError) closeSession('parse error');
 * }
 */
export class EngineIOParseError extends Error {
  readonly code: ParseErrorCode;

  constructor(code: ParseErrorCode, message: string) {
    super(message);
    this.name = 'EngineIOParseError';
    this.code = code;
  }
}

/** Throws the {@link EngineIOParseError} of `code`. */
export function malformed(code: ParseErrorCode, message: string): never {
  throw new EngineIOParseError(code, message);
}
