/**
 * The port through which a node serves polling requests for sessions another node holds, so that a
 * cluster needs no sticky sessions: the node that receives a request for a sid it does not hold
 * hands its essentials to the relay, the relay carries them to the node that holds the session,
 * that node runs them against the real session, and the answer travels back. The engine knows only
 * this interface; `createSessionRelay()` of `switchboard/redis` implements it over Redis pub/sub.
 * A relay that also implements {@link SessionRelay.open} carries WebSocket upgrades the same way:
 * the receiving node answers the client's handshake and relays each message to the holder.
 */

import type {
  RelayHandler,
  RelayStreamHandler,
  RelayedRefusal,
  RelayedRequest,
  RelayedResponse,
  RelayedStream,
} from '../protocol/engine-io/relayed-request.js';

export type {
  RelayHandler,
  RelayStreamHandler,
  RelayedRefusal,
  RelayedRequest,
  RelayedResponse,
  RelayedStream,
  RelayedStreamListener,
} from '../protocol/engine-io/relayed-request.js';

/**
 * The `sessionRelay` option of an engine: carries polling requests (and, with `open`, WebSocket
 * upgrades) between the nodes of a cluster. One relay serves one engine at a time.
 *
 * Implementations must bound everything they do: `forward` resolves `undefined` as soon as it
 * knows that no live node holds the session, and when `signal` aborts (the engine aborts it at the
 * request's deadline, or when its client goes away); an abort should reach the holder, whose
 * handler's `signal` then aborts too. A relayed stream closes, on both ends, when either end
 * closes it, and on the end that can no longer reach the other (its listener hears `onClose`).
 */
export interface SessionRelay {
  /**
   * This node's name among the nodes of the relay: the engine starts the ids of its sessions with
   * it and a dot (`<nodeId>.<random>`), so that any node can tell which one holds a session. Not
   * empty, no dot.
   */
  readonly nodeId: string;
  /**
   * The engine starts serving: requests relayed to this node go to `handler` from now on, and,
   * for a relay with {@link open}, upgrades relayed to this node to `streams`.
   */
  serve(handler: RelayHandler, streams?: RelayStreamHandler): void;
  /**
   * Carries `request` to the node holding its session and resolves with that node's answer, or
   * with `undefined` when no live node holds it or `signal` aborted first. Never rejects.
   */
  forward(request: RelayedRequest, signal: AbortSignal): Promise<RelayedResponse | undefined>;
  /**
   * Optional: opens a stream to the node holding the session `sid`, for a WebSocket upgrade that
   * reached this node, and resolves with it once that node's `streams` handler adopted it; with its
   * refusal when it refused; with `undefined` when no live node holds the session or `signal`
   * aborted first (an end the holder adopted meanwhile is then closed). Never rejects. Without
   * it, such upgrades are refused with "Session ID unknown" and the client stays on polling.
   */
  open?(sid: string, signal: AbortSignal): Promise<RelayedStream | RelayedRefusal | undefined>;
  /**
   * The engine closed: stop serving (a later {@link serve} may start again), and close the
   * streams still open, on both ends.
   */
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
  if (relay.open !== undefined && typeof relay.open !== 'function') {
    throw new TypeError('sessionRelay.open must be a function (or absent, for a relay of polling requests only)');
  }
  const nodeId = relay.nodeId;
  if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.includes('.')) {
    throw new TypeError(`sessionRelay.nodeId must be a non-empty string without a dot, got ${JSON.stringify(nodeId)}`);
  }
  return relay as SessionRelay;
}
