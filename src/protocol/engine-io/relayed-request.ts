/**
 * What a session relay carries between the nodes of a cluster: a long-polling request for a
 * session another node holds and that node's answer, and the WebSocket a client upgrades to on
 * another node than the session's. Plain shapes, so that the engine (which defines the relay port)
 * and a relay's implementation (`switchboard/redis`) share one definition.
 */

/**
 * A polling request for a session held by another node, reduced to what the holder needs: the
 * request line's method, the few headers the polling transport reads, and a POST's body, read
 * whole by the node that received it.
 */
export interface RelayedRequest {
  /** The session id (the `sid` query parameter). */
  readonly sid: string;
  /** `GET` (a poll) or `POST` (packets from the client). */
  readonly method: 'GET' | 'POST';
  /**
   * The headers the polling transport reads, names in lower case: `accept-encoding` (a poll's
   * answer may be compressed), `content-type` and `content-length` (a POST). A POST over
   * `maxHttpBufferSize` keeps the length the client sent (or declared) and comes with no body, so
   * the holder refuses it (413) and fails the transport as it does for its own requests.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** A POST's body; empty for a poll and for a POST over the limit. */
  readonly body: Uint8Array;
}

/** The answer of the node that holds the session, written as is by the node that received the request. */
export interface RelayedResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers the holder's transport wrote (`Content-Type`, `Content-Length`, ...). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, compressed when `headers` say so. */
  readonly body: Uint8Array;
}

/**
 * Runs a request relayed from another node against a session of this node; resolves with the
 * answer, or `undefined` when this node does not hold the session or `signal` aborted first (the
 * requester gave up: its client left, or its deadline passed). Never rejects.
 */
export type RelayHandler = (request: RelayedRequest, signal: AbortSignal) => Promise<RelayedResponse | undefined>;

/**
 * One end of a WebSocket relayed between two nodes: the node that received the client's upgrade
 * holds one end (its WebSocket's messages go in, the holder's come out), the node that holds the
 * session the other (the session's WebSocket transport runs over it). A message is one Engine.IO
 * packet as the WebSocket transport frames it: a string for a text frame, bytes for a binary one.
 */
export interface RelayedStream {
  /**
   * Who hears the other end. Set it as soon as the end is handed over: what arrives before is
   * kept for it, in order.
   */
  listener: RelayedStreamListener | undefined;
  /**
   * Sends one message to the other end; nothing once the stream has closed. `compress: false`
   * (the holder's, for a packet sent without compression) asks the receiving node to write it
   * uncompressed even if the client's WebSocket negotiated permessage-deflate. Returns `false`
   * when the messages this end sent that the relay has not handed on yet pass its high-water mark:
   * the sender should hold back until its listener hears `onDrain` (the relay keeps the message
   * either way).
   */
  send(message: string | Uint8Array, compress?: boolean): boolean;
  /**
   * The receiving node's end tells the holder's whether the client's WebSocket is backed up (its
   * socket holds more than its high-water mark, the client reads too slowly): the holder drops
   * volatile packets while it is, as it does for a local WebSocket.
   */
  reportCongestion(congested: boolean): void;
  /**
   * Closes the stream: the other end's listener hears `onClose(error)`, this end's hears nothing
   * more. `error` says why the connection failed (a WebSocket error); none for a normal close.
   */
  close(error?: string): void;
}

/** What an end of a {@link RelayedStream} reports. */
export interface RelayedStreamListener {
  /** A message from the other end, with `compress: false` when it was sent so. */
  onMessage(message: string | Uint8Array, compress?: boolean): void;
  /**
   * The other end reported whether the client's WebSocket is backed up (see
   * {@link RelayedStream.reportCongestion}); only the holder's end hears it.
   */
  onCongestion?(congested: boolean): void;
  /** A `send` of this end returned `false`, and the relay has since handed on most of what it held. */
  onDrain?(): void;
  /**
   * The stream closed: the other end closed it (with the `error` it gave, if any), or it can no
   * longer reach the other end (with an `error` saying so). Heard once, and nothing after it.
   */
  onClose(error?: string): void;
}

/** Why the holder refused a relayed upgrade: the Engine.IO error code, and the refusal's name if any. */
export interface RelayedRefusal {
  /** An Engine.IO error code (`1`, "Session ID unknown"; `3`, "Bad request"...). */
  readonly code: number;
  /** A detail for `'connection_error'`'s context, such as `TRANSPORT_UPGRADE_ERROR`. */
  readonly name?: string;
}

/**
 * Takes a WebSocket upgrade relayed from another node for a session of this node: either adopts
 * `stream` (the session upgrades over it, answering the client's probe) and returns `undefined`,
 * or refuses it, without touching `stream`. Never throws.
 */
export type RelayStreamHandler = (sid: string, stream: RelayedStream) => RelayedRefusal | undefined;
