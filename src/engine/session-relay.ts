/**
 * The port through which a node serves polling requests for sessions another node holds, so that a
 * cluster needs no sticky sessions: the node that receives a request for a sid it does not hold
 * hands its essentials to the relay, the relay carries them to the node that holds the session,
 * that node runs them against the real session, and the answer travels back. The engine knows only
 * this interface; `createSessionRelay()` of `switchboard/redis` implements it over Redis pub/sub.
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
 * The `sessionRelay` option of an engine: carries polling requests between the nodes of a cluster.
 * One relay serves one engine at a time.
 *
 * Implementations must bound everything they do: `forward` resolves `undefined` as soon as it
 * knows that no live node holds the session, and when `signal` aborts (the engine aborts it at the
 * request's deadline, or when its client goes away); an abort should reach the holder, whose
 * handler's `signal` then aborts too.
 */
export interface SessionRelay {
  /**
   * This node's name among the nodes of the relay: the engine starts the ids of its sessions with
   * it and a dot (`<nodeId>.<random>`), so that any node can tell which one holds a session. Not
   * empty, no dot.
   */
  readonly nodeId: string;
  /** The engine starts serving: requests relayed to this node go to `handler` from now on. */
  serve(handler: RelayHandler): void;
  /**
   * Carries `request` to the node holding its session and resolves with that node's answer, or
   * with `undefined` when no live node holds it or `signal` aborted first. Never rejects.
   */
  forward(request: RelayedRequest, signal: AbortSignal): Promise<RelayedResponse | undefined>;
  /** The engine closed: stop serving (a later {@link serve} may start again). */
  close(): void;
}

/**
 * Checks the `sessionRelay` option: a relay with a usable `nodeId`, or `undefined`; throws a
 * `TypeError` naming what is wrong.
 */
export function checkSessionRelay(value: unknown): SessionRelay | undefined {
  if (value === undefined) return undefined;
  const relay: Partial<Record<keyof SessionRelay, unknown>> = typeof value === 'object' && value !== null ? value : {};
  if (typeof relay.serve !== 'function' || typeof relay.forward !== 'function' || typeof relay.close !== 'function') {
    throw new TypeError(
      'sessionRelay must be a session relay (serve, forward, close), such as createSessionRelay() of switchboard/redis',
    );
  }
  const nodeId = relay.nodeId;
  if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.includes('.')) {
    throw new TypeError(`sessionRelay.nodeId must be a non-empty string without a dot, got ${JSON.stringify(nodeId)}`);
  }
  return relay as SessionRelay;
}
