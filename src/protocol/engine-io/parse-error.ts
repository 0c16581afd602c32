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
 * Describes why bytes from a peer are not a valid Engine.IO packet or payload. The codec returns it
 * as a value (see {@link DecodeResult}); it is never thrown.
 */
export class EngineIOParseError extends Error {
  readonly code: ParseErrorCode;

  constructor(code: ParseErrorCode, message: string) {
    super(message);
    this.name = 'EngineIOParseError';
    this.code = code;
  }
}

/** What a decoder returns: the decoded value, or why the input is malformed. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: EngineIOParseError };

/** Wraps a decoded value. */
export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

/** Wraps a parse failure. */
export function malformed<T>(code: ParseErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: new EngineIOParseError(code, message) };
}
