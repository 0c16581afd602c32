/**
 * Stable codes for every way a peer can send a malformed Socket.IO packet. A server that meets
 * one disconnects that client only, with the reason `"parse error"`.
 */
export const SocketIoErrorCode = {
  /** The packet is empty or its first character is not a packet type 0-6. */
  UnknownPacketType: 'ERR_SIO_UNKNOWN_PACKET_TYPE',
  /** A binary packet whose attachment count is missing, not a positive integer or not followed by `-`. */
  IllegalAttachments: 'ERR_SIO_ILLEGAL_ATTACHMENTS',
  /** A binary packet announcing more attachments than `maxAttachments`. */
  TooManyAttachments: 'ERR_SIO_TOO_MANY_ATTACHMENTS',
  /** A placeholder that does not name one of the packet's attachments, or an attachment never referenced. */
  IllegalPlaceholder: 'ERR_SIO_ILLEGAL_PLACEHOLDER',
  /** A namespace that is empty after `/`, too long, or holds control characters. */
  InvalidNamespace: 'ERR_SIO_INVALID_NAMESPACE',
  /** An ack id that is not a safe integer, or an ACK without one. */
  InvalidAckId: 'ERR_SIO_INVALID_ACK_ID',
  /** The payload is not valid JSON. */
  InvalidJson: 'ERR_SIO_INVALID_JSON',
  /** The payload nests arrays and objects deeper than `maxNestingDepth`. */
  TooDeep: 'ERR_SIO_TOO_DEEP',
  /** The payload has the wrong shape for the packet type (e.g. an EVENT that is not an array). */
  InvalidPayload: 'ERR_SIO_INVALID_PAYLOAD',
  /** An EVENT whose name is reserved (`connect`, `disconnect`, ...). */
  ReservedEventName: 'ERR_SIO_RESERVED_EVENT_NAME',
  /** A binary message arrived while no binary packet was waiting for attachments. */
  UnexpectedBinary: 'ERR_SIO_UNEXPECTED_BINARY',
  /** A text message arrived while a binary packet was still waiting for attachments. */
  UnexpectedText: 'ERR_SIO_UNEXPECTED_TEXT',
  /** An EVENT with more arguments, or an ACK with more values, than `maxArguments`. */
  TooManyArguments: 'ERR_SIO_TOO_MANY_ARGUMENTS',
  /** The attachments of one binary packet hold more than `maxAttachmentBytes` bytes together. */
  AttachmentsTooLarge: 'ERR_SIO_ATTACHMENTS_TOO_LARGE',
  /**
   * A binary packet's attachments did not all arrive within `attachmentTimeout`. Raised by the
   * server, which owns the clock; the decoder itself never raises it.
   */
  AttachmentsTimeout: 'ERR_SIO_ATTACHMENTS_TIMEOUT',
} as const;

/** One of the stable Socket.IO codec error codes. */
export type SocketIoErrorCode = (typeof SocketIoErrorCode)[keyof typeof SocketIoErrorCode];

/**
 * Raised by the Socket.IO decoder for a malformed packet. `code` is stable and safe to branch on.
 *
 * @example
 * try { decoder.add(message); } catch (err) {
 *   if (err instanceof SocketIoParseError) closeClient('parse error');
 * }
 */
export class SocketIoParseError extends Error {
  readonly code: SocketIoErrorCode;

  constructor(code: SocketIoErrorCode, message: string) {
    super(message);
    this.name = 'SocketIoParseError';
    this.code = code;
  }
}
