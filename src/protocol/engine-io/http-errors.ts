/**
 * The error codes an Engine.IO server answers a rejected HTTP request or upgrade with, in a JSON
 * body `{"code": N, "message": "..."}`. The numbers are part of the wire protocol: clients branch on
 * them.
 */
export const EngineErrorCode = {
  /** The `transport` query parameter is missing or names a transport the server does not offer. */
  UnknownTransport: 0,
  /** The `sid` query parameter names no open session. */
  UnknownSid: 1,
  /** A handshake (a request without `sid`) that is not a `GET`. */
  BadHandshakeMethod: 2,
  /** Anything else wrong with the request: transport or protocol mismatch, overlapping polls, … */
  BadRequest: 3,
  /** The server's `allowRequest` hook refused the handshake. */
  Forbidden: 4,
  /** The `EIO` query parameter is missing or not a protocol revision the server speaks. */
  UnsupportedProtocolVersion: 5,
} as const;

/** One of the Engine.IO HTTP error codes. */
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** The message that goes with each error code, worded as every Engine.IO server words it. */
export const ENGINE_ERROR_MESSAGES: Readonly<Record<EngineErrorCode, string>> = {
  0: 'Transport unknown',
  1: 'Session ID unknown',
  2: 'Bad handshake method',
  3: 'Bad request',
  4: 'Forbidden',
  5: 'Unsupported protocol version',
};

/** The HTTP status for an error code: 403 for a refused handshake, 400 for everything else. */
export function engineErrorStatus(code: EngineErrorCode): 400 | 403 {
  return code === EngineErrorCode.Forbidden ? 403 : 400;
}

/** The JSON body of an error response: the code and, unless overridden, its standard message. */
export function engineErrorBody(code: EngineErrorCode, message: string = ENGINE_ERROR_MESSAGES[code]): string {
  return JSON.stringify({ code, message });
}
