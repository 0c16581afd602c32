/**
 * Why a server-side socket left its namespace: the first argument of its `disconnect` event.
 * The strings are those of the official server, so code written for it keeps working.
 *
 * @example
 * socket.on('disconnect', (reason) => {
 *   if (reason === DisconnectReason.PingTimeout) metrics.lostClients++;
 * });
 */
export const DisconnectReason = {
  /** `socket.disconnect()` on the server. */
  ServerNamespaceDisconnect: 'server namespace disconnect',
  /** The client sent a DISCONNECT packet (`socket.disconnect()` on the client). */
  ClientNamespaceDisconnect: 'client namespace disconnect',
  /** `io.close()`. */
  ServerShuttingDown: 'server shutting down',
  /** The client did not answer a ping in time. */
  PingTimeout: 'ping timeout',
  /** The connection was closed (the client went away, or closed it). */
  TransportClose: 'transport close',
  /** The connection failed. */
  TransportError: 'transport error',
  /** The client sent a packet the server could not decode. */
  ParseError: 'parse error',
  /** The underlying connection was closed by the server (`socket.disconnect(true)` of another socket on it, for instance). */
  ForcedClose: 'forced close',
  /** The client sent a packet that is not valid in the connection's state. */
  ForcedServerClose: 'forced server close',
  /**
   * Serving the client raised an exception: a listener, middleware, acknowledgement callback or
   * adapter call threw or rejected. The whole connection is closed and the error reported to the
   * server's `error` listeners. Not recoverable: the application's state for the client is unknown.
   */
  ServerError: 'server error',
} as const;

/** One of the disconnect reasons; the engine may report others as is. */
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** Reasons after which a session is kept for connection state recovery (the client did not mean to leave). */
export const RECOVERABLE_DISCONNECT_REASONS: ReadonlySet<string> = new Set<string>([
  DisconnectReason.TransportError,
  DisconnectReason.TransportClose,
  DisconnectReason.ForcedClose,
  DisconnectReason.PingTimeout,
  DisconnectReason.ServerShuttingDown,
  DisconnectReason.ForcedServerClose,
]);
