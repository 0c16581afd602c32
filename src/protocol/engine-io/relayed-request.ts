/**
 * What a session relay carries between the nodes of a cluster: a long-polling request for a
 * session another node holds, and that node's answer. Plain data, so that the engine (which
 * defines the relay port) and a relay's implementation (`switchboard/redis`) share one definition.
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
