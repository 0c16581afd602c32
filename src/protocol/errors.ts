import { CloseCode } from './close-codes.js';

/**
 * Stable error codes, one per way a peer or a caller can break the protocol.
 * Each maps to the close code (for errors on an open connection) or the HTTP status (for a
 * rejected handshake) that Switchboard sends. The full list lives in `docs/errors.md`.
 */
export const ErrorCode = {
  // Frames (RFC 6455 §5), all closing with 1002 unless noted.
  UnmaskedClientFrame: 'ERR_UNMASKED_CLIENT_FRAME',
  MaskedServerFrame: 'ERR_MASKED_SERVER_FRAME',
  ReservedBits: 'ERR_RESERVED_BITS',
  ReservedOpcode: 'ERR_RESERVED_OPCODE',
  ControlFrameTooLong: 'ERR_CONTROL_FRAME_TOO_LONG',
  FragmentedControlFrame: 'ERR_FRAGMENTED_CONTROL_FRAME',
  UnexpectedContinuation: 'ERR_UNEXPECTED_CONTINUATION',
  ExpectedContinuation: 'ERR_EXPECTED_CONTINUATION',
  InvalidFrameLength: 'ERR_INVALID_FRAME_LENGTH',
  InvalidClosePayload: 'ERR_INVALID_CLOSE_PAYLOAD',
  InvalidCloseCode: 'ERR_INVALID_CLOSE_CODE',
  /** 1009: a message, summed over its fragments (or once inflated), exceeds `maxPayload`. */
  MessageTooBig: 'ERR_MESSAGE_TOO_BIG',
  /** 1007: text or a close reason that is not valid UTF-8. */
  InvalidUtf8: 'ERR_INVALID_UTF8',
  /** 1007: compressed data that does not inflate. */
  InvalidCompressedData: 'ERR_INVALID_COMPRESSED_DATA',
  /** 1008: a message spread over more frames than `maxFragments`. */
  TooManyFragments: 'ERR_TOO_MANY_FRAGMENTS',
  /** 1013: inflating a message would take the process past its inflate budget. */
  InflateBudgetExceeded: 'ERR_INFLATE_BUDGET_EXCEEDED',
  /** 1008: more pings in a row than `maxUnansweredPings` while the pong for an earlier one waits for the peer to read. */
  PingFlood: 'ERR_PING_FLOOD',
  // Handshake (RFC 6455 §4).
  /** 400: a request that is not a valid WebSocket upgrade. */
  BadUpgradeRequest: 'ERR_BAD_UPGRADE_REQUEST',
  /** 426: a `Sec-WebSocket-Version` other than 13. */
  UnsupportedVersion: 'ERR_UNSUPPORTED_VERSION',
  /** Client side: the server's answer is not a valid acceptance. */
  BadUpgradeResponse: 'ERR_BAD_UPGRADE_RESPONSE',
  /** Client or server: the handshake did not finish within `handshakeTimeout`. */
  HandshakeTimeout: 'ERR_HANDSHAKE_TIMEOUT',
  /** An extension offer or answer that cannot be accepted. */
  BadExtension: 'ERR_BAD_EXTENSION',
  /** The handshake was refused by the server's `authenticate` hook or its connection limit. */
  HandshakeRefused: 'ERR_HANDSHAKE_REFUSED',
  // Sending.
  /** A send on a connection that is not open (closing or closed). */
  NotOpen: 'ERR_NOT_OPEN',
  /**
   * 1013: a send refused because the peer reads too slowly: past `highWaterMark` under the `drop`
   * or `close` policy, or past `maxBufferedAmount` or the send budget under `wait`.
   */
  Backpressure: 'ERR_BACKPRESSURE',
  /** The connection closed before a pending send was written. */
  ConnectionClosed: 'ERR_CONNECTION_CLOSED',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const closeCodeOf: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.MessageTooBig]: CloseCode.MessageTooBig,
  [ErrorCode.InvalidUtf8]: CloseCode.InvalidPayload,
  [ErrorCode.InvalidCompressedData]: CloseCode.InvalidPayload,
  [ErrorCode.TooManyFragments]: CloseCode.PolicyViolation,
  [ErrorCode.PingFlood]: CloseCode.PolicyViolation,
  [ErrorCode.InflateBudgetExceeded]: CloseCode.TryAgainLater,
  [ErrorCode.Backpressure]: CloseCode.TryAgainLater,
  [ErrorCode.HandshakeTimeout]: CloseCode.AbnormalClosure,
  [ErrorCode.BadUpgradeResponse]: CloseCode.AbnormalClosure,
};

const statusOf: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BadUpgradeRequest]: 400,
  [ErrorCode.UnsupportedVersion]: 426,
  [ErrorCode.BadExtension]: 400,
  [ErrorCode.HandshakeTimeout]: 408,
};

/**
 * The one error type of Switchboard's WebSocket layer. `code` is stable and safe to branch on;
 * `closeCode` is what the connection was (or will be) closed with, `status` the HTTP status
 * a rejected handshake answers with.
 *
 * @example
 * ws.on('error', (err) => {
 *   if (err instanceof WebSocketError && err.code === ErrorCode.MessageTooBig) metrics.tooBig++;
 * });
 */
export class WebSocketError extends Error {
  readonly code: ErrorCode;
  readonly closeCode: number;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { closeCode?: number; status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebSocketError';
    this.code = code;
    // Every frame-level error that is not listed above is a protocol error (RFC 6455 §7.4.1).
    this.closeCode = options?.closeCode ?? closeCodeOf[code] ?? CloseCode.ProtocolError;
    this.status = options?.status ?? statusOf[code] ?? 400;
  }
}
