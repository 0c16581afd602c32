/** Close codes registered by RFC 6455 §7.4.1 and the IANA registry (§11.7). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never sent on the wire: reported when a close frame carried no code (§7.1.5). */
  NoStatusReceived: 1005,
  /** Never sent on the wire: reported when the connection dropped without a close frame (§7.1.5). */
  AbnormalClosure: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Never sent on the wire: reported when the TLS handshake failed (§7.4.1). */
  TlsHandshake: 1015,
} as const;

/** One of the registered close codes. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether a close code received in a close frame is acceptable (RFC 6455 §7.4).
 * 1004, 1005, 1006 and 1015 are reserved and must never appear on the wire, 1016–2999 are
 * unassigned or reserved for future RFCs; 3000–4999 belong to libraries and applications.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

/**
 * Whether an application may pass `code` to `close()` under the browser's rules
 * (WHATWG WebSockets: 1000 or 3000–4999; anything else is an `InvalidAccessError`).
 */
export function isApplicationCloseCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}
