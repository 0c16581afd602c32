/**
 * Which transport a session opens first and which one it falls back to: what a session needs only
 * when it may use both transports. It comes with the long-polling transport (its static `plan`),
 * so a WebSocket-only bundle holds none of it.
 */
import type { ClientTransport } from './transport.js';
import type { EngineSocketOptions, TransportName } from './types.js';

/**
 * Whether the last session to open reached WebSocket, for `rememberUpgrade`: shared by every
 * session of the page or process, as `engine.io-client`'s `Socket.priorWebsocketSuccess` is.
 */
let priorWebsocketSuccess = false;

/** Records whether a WebSocket carried the last session that opened or upgraded, or failed to. */
export function rememberWebsocket(success: boolean): void {
  priorWebsocketSuccess = success;
}

/** A transport to open, and the milliseconds it has to complete the handshake. */
export type Attempt = [name: TransportName, timeout: number];

/**
 * The opening of one session over the transports `options.transports` names:
 *
 * - WebSocket listed first (the default): if it fails before the handshake (a proxy refusing the
 *   upgrade, a WebSocket that hangs for half the time left), long-polling opens instead within the
 *   same `timeout`, and then keeps trying to upgrade (see the polling transport's `upgrade`).
 * - `tryAllTransports`: any transport that fails to open gives way to the next one.
 * - `rememberUpgrade`: WebSocket first if the last session reached it.
 */
export class TransportPlan {
  /** Transports still to try, in order: each but the last gives way to the next one when it fails. */
  readonly #candidates: TransportName[];
  /** When the opening times out. */
  readonly #deadline: number;
  /** Whether a WebSocket failed to open and polling took over: failed upgrades are then tried again. */
  #websocketFailed = false;

  constructor(options: EngineSocketOptions) {
    const names = options.transports;
    const first =
      options.rememberUpgrade && priorWebsocketSuccess && names.includes('websocket') ? 'websocket' : names[0]!;
    const candidates = [first, ...names.filter((name) => name !== first)];
    // Only a WebSocket listed first gives way to another transport, unless `tryAllTransports`.
    this.#candidates = options.tryAllTransports ? candidates : candidates.slice(0, names[0] === 'websocket' ? 2 : 1);
    this.#deadline = Date.now() + options.timeout;
  }

  /**
   * The next transport to open (the first one, then each that takes over from a failed one) and how
   * long it may take: the time left, half of it when another transport may follow.
   */
  next(): Attempt {
    const name = this.#candidates.shift()!;
    // A transport that hangs (a proxy holding the upgrade request) leaves the next one half the time.
    return [name, (this.#deadline - Date.now()) / (this.#candidates.length > 0 ? 2 : 1)];
  }

  /**
   * `failed` could not open: the transport to open instead, when `mayFallBack` and the options
   * let another one take over (`failed` is then closed); `undefined` when the opening failed.
   */
  fallBack(failed: ClientTransport, mayFallBack: boolean): Attempt | undefined {
    priorWebsocketSuccess = false;
    if (!mayFallBack || this.#candidates.length === 0) return undefined;
    failed.close();
    if (failed.name === 'websocket') this.#websocketFailed = true;
    return this.next();
  }

  /** The session opened over `transport` (called before its `open` event). */
  opened(transport: ClientTransport): void {
    priorWebsocketSuccess = transport.name === 'websocket';
  }

  /** The session is open and flushed: `transport` may now start upgrading, if it can. */
  upgrade(transport: ClientTransport, serverUpgrades: readonly string[]): void {
    transport.upgrade?.(serverUpgrades, this.#websocketFailed);
  }
}
