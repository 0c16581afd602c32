/**
 * The client's Engine.IO session (Engine.IO protocol v4): the handshake, the heartbeat, the write
 * buffer, and the choice of transport — a WebSocket first by default, long-polling when it cannot
 * open, and an upgrade back to WebSocket as soon as one gets through.
 */
import { Emitter } from '../emitter.js';
import { endpointOf, requestUrl } from './endpoint.js';
import { parseHandshake } from './handshake.js';
import {
  PARSE_ERROR,
  Report,
  TransportError,
  startTimer,
  type ClientTransport,
  type Timer,
  type TransportListener,
  type Transports,
  Uncompressed,
  type Outgoing,
  type UpgradeHost,
  type Wire,
} from './transport.js';
import type {
  ClientPlatform,
  EngineCloseReason,
  EngineSocketEvents,
  EngineSocketLike,
  EngineSocketOptions,
  TransportName,
} from './types.js';

/**
 * Whether the last session to open reached WebSocket, for `rememberUpgrade`: shared by every
 * session of the page or process, as `engine.io-client`'s `Socket.priorWebsocketSuccess` is.
 */
let priorWebsocketSuccess = false;

/** After a fallback to polling, a failed upgrade is tried again after 1 s, then 2 s, 4 s… up to 30 s. */
const FIRST_PROBE_RETRY_MS = 1000;
const LAST_PROBE_RETRY_MS = 30_000;

/** The events as the emitter takes them: an interface has no index signature, a mapped type does. */
type SessionEvents = { [E in keyof EngineSocketEvents]: EngineSocketEvents[E] };

const enum State {
  Opening,
  Open,
  /** Open, and the server answered a probe: polling is pausing and nothing is written until the switch. */
  Upgrading,
  Closed,
}

const reasonOf = (error: TransportError): EngineCloseReason =>
  error.message === PARSE_ERROR ? 'parse error' : 'transport error';

/**
 * One Engine.IO session, as the Socket.IO `Manager` drives it. It starts opening when created:
 *
 * - With `transports: ['websocket', 'polling']` (the default) it opens a WebSocket directly; if that
 *   fails before the handshake (a proxy refusing the upgrade, a WebSocket that hangs for half the
 *   time left), it opens long-polling instead, within the same `timeout`, then keeps trying to
 *   upgrade to WebSocket when the server offers it (first after 1 s, then backing off up to 30 s
 *   between attempts) for as long as the session lives.
 * - With `transports: ['polling', 'websocket']` it behaves as `engine.io-client`: polling first,
 *   one upgrade attempt when the server offers WebSocket and `upgrade` is on.
 * - A single transport is the only one used.
 *
 * `tryAllTransports` makes any transport that fails to open give way to the next one (not only a
 * WebSocket listed first). Failures while opening are reported once as `error`, then `close`;
 * after `open`, only `close` (`transport close`, `transport error`, `ping timeout`, `parse error`,
 * or `forced close` after {@link close}). Nothing a server sends makes it throw.
 *
 * With `closeOnBeforeunload`, the page's unload closes the session without a `close` event, as
 * `engine.io-client` does, so the application sees no disconnection while the page goes away.
 * When the host reports the network gone (a browser's `offline`), the session closes at once
 * (`transport close`, `network connection lost`) rather than after its ping timeout.
 *
 * @example
 * const engine = new EngineSocket(options, platform, { websocket: WebSocketTransport });
 * engine.on('open', () => engine.send('hello'));
 * engine.on('message', (data) => console.log(data));
 * engine.on('close', (reason) => console.log('closed:', reason));
 */
export class EngineSocket extends Emitter<SessionEvents> implements EngineSocketLike, UpgradeHost {
  /** The session id from the handshake; `undefined` before `open` and after `close`. */
  id: string | undefined;
  /** The transport in use. */
  transport!: ClientTransport;
  /** @internal What the transports read. */
  readonly options: EngineSocketOptions;
  /** @internal What the transports open their connections with. */
  readonly platform: ClientPlatform;
  readonly #transports: Transports;
  /** What every request URL shares (see {@link endpointOf}). */
  readonly #endpoint: string;
  /** The session's ear on its current transport. */
  readonly #listener: TransportListener = (...report) => this.#onReport(...report);
  /** When the opening times out (a number that needs a heap cell of its own until the session opens). */
  #deadline: number;
  #state = State.Opening;
  /** The handshake's id, which the last requests still carry after `close` cleared {@link id}. */
  #sid: string | undefined;
  /** Transports still to try while opening, in order. */
  #candidates: TransportName[];
  /** The handshake's `pingInterval + pingTimeout`: how long the server may stay silent. */
  #pingWindow = 0;
  /** The handshake's `maxPayload`, when the server sent one. */
  #maxPayload: number | undefined;
  /** Packets not yet handed to the transport. */
  #buffer: Outgoing[] = [];
  /** Gives the upgrade attempt in flight up, while there is one. */
  #abandonProbe: (() => void) | undefined;
  /**
   * How long until the next upgrade attempt once one failed; 0 unless the WebSocket listed first
   * failed and polling took over, the only case in which failed upgrades are tried again.
   */
  #probeRetryDelay = 0;
  /** The opening's deadline, or the current transport's share of it. */
  #openTimer: Timer;
  #pingTimer: Timer;
  #probeTimer: Timer;
  /** Stops listening to the host's `offline` (and `beforeunload`). */
  readonly #stopListening: () => void;

  /**
   * `transports` holds the constructor of every transport `options.transports` names (the
   * Manager checked the names against them).
   * @throws TypeError for a query parameter the protocol reserves.
   */
  constructor(options: EngineSocketOptions, platform: ClientPlatform, transports: Transports) {
    super();
    this.options = options;
    this.platform = platform;
    this.#transports = transports;
    this.#endpoint = endpointOf(options);
    const names = options.transports;
    const first =
      options.rememberUpgrade && priorWebsocketSuccess && names.includes('websocket') ? 'websocket' : names[0]!;
    this.#candidates = [first, ...names.filter((name) => name !== first)];
    this.#deadline = Date.now() + options.timeout;
    const stopOffline = platform.onNetworkOffline(() => {
      const description = { description: 'network connection lost' };
      if (this.#state === State.Opening) this.#openingFailed(new TransportError('transport close', description));
      else this.#close('transport close', description);
    });
    if (options.closeOnBeforeunload) {
      const stopUnload = platform.onBeforeUnload(() => this.#close());
      this.#stopListening = () => {
        stopOffline();
        stopUnload();
      };
    } else this.#stopListening = stopOffline;
    this.#attempt();
  }

  /** True when a packet sent now would be written at once (not queued): what `volatile` checks. */
  get writable(): boolean {
    return this.#state === State.Open && this.transport.writable;
  }

  /**
   * Sends one message; queued while the session opens, a request or an upgrade is in flight. Sent
   * nowhere once the session closed. With `compress: false` it goes uncompressed where the host's
   * WebSocket can choose per message (see {@link WebSocketTransport}).
   */
  send(data: string | Uint8Array, options?: { compress?: boolean }): void {
    const wire = typeof data === 'string' ? `4${data}` : data;
    this.#write(options?.compress === false ? new Uncompressed(wire) : wire);
  }

  /**
   * Ends the session: `close` with `forced close` at once. What was already sent still goes, ahead
   * of a `close` packet over polling (or the WebSocket's close frame).
   */
  close(): void {
    this.#close('forced close');
  }

  /** @internal The URL of the next request of `transport`. */
  url(transport: TransportName): string {
    return requestUrl(this.#endpoint, this.options, transport, this.#sid);
  }

  /** @internal */
  _probeAnswered(): void {
    this.#state = State.Upgrading;
    priorWebsocketSuccess = true;
  }

  /** @internal */
  _upgraded(websocket: ClientTransport): void {
    this.#abandonProbe = undefined;
    this.transport.close();
    websocket.listener = this.#listener;
    this.transport = websocket;
    websocket.send(['5']);
    this.#state = State.Open;
    this.emitEvent('upgrade', websocket);
    this.#flush();
  }

  /** @internal */
  _probeFailed(): void {
    this.#abandonProbe = undefined;
    priorWebsocketSuccess = false;
    if (this.#state === State.Upgrading) {
      this.#state = State.Open;
      this.#flush();
    }
    if (this.#probeRetryDelay > 0) this.#scheduleProbe();
  }

  /** Opens the next candidate transport, with its share of the time left. */
  #attempt(): void {
    const name = this.#candidates.shift()!;
    // A transport that hangs (a proxy holding the upgrade request) leaves the next one half the time.
    const left = (this.#deadline - Date.now()) / (this.#mayFallBack(name) ? 2 : 1);
    this.#openTimer = startTimer(left, () =>
      this.#openingFailed(new TransportError('timeout', `${name} did not open within ${Math.round(left)} ms`), true),
    );
    this.transport = new this.#transports[name]!(this, this.#listener);
  }

  /**
   * Whether a transport that fails to open gives way to the next one: with `tryAllTransports`, or
   * a WebSocket listed first.
   */
  #mayFallBack(name: TransportName): boolean {
    const { tryAllTransports, transports } = this.options;
    return this.#candidates.length > 0 && (tryAllTransports || (name === 'websocket' && transports[0] === name));
  }

  /** The transport in use failed before the handshake completed, or the opening timed out. */
  #openingFailed(error: TransportError, mayFallBack = false): void {
    clearTimeout(this.#openTimer);
    priorWebsocketSuccess = false;
    const failed = this.transport;
    if (mayFallBack && this.#mayFallBack(failed.name)) {
      failed.close();
      if (failed.name === 'websocket') this.#probeRetryDelay = FIRST_PROBE_RETRY_MS;
      this.#attempt();
      this.emitEvent('upgrade', this.transport);
      return;
    }
    this.emitEvent('error', error);
    this.#close(reasonOf(error), error);
  }

  #onReport(...[report, value]: Parameters<TransportListener>): void {
    if (report === Report.Packet) this.#onPacket(value);
    else if (report === Report.Drain) {
      if (this.#buffer.length === 0) this.emitEvent('drain');
      else this.#flush();
    } else if (report === Report.Error || report === Report.Close) {
      const error = report === Report.Error ? value : new TransportError('transport close', value);
      if (this.#state === State.Opening) this.#openingFailed(error, true);
      else this.#close(report === Report.Error ? reasonOf(value) : 'transport close', value);
    }
  }

  #onPacket(packet: Wire): void {
    const type = typeof packet === 'string' ? packet[0] : '4';
    if (this.#state === State.Opening) {
      if (type === '0') this.#onHandshake(packet as string);
      // A noop may end a poll held open; anything else has no place before the handshake.
      else if (type !== '6')
        this.#openingFailed(new TransportError(PARSE_ERROR, `${type} packet before the handshake`), true);
      return;
    }
    if (type === '2') {
      this.#resetPingTimer();
      this.#write('3');
      this.emitEvent('ping');
    } else if (type === '4') {
      this.emitEvent('message', typeof packet === 'string' ? packet.slice(1) : this.platform.wrapBinary(packet));
    } else if (type === '1') {
      this.#close('transport close', { description: 'transport closed by the server' });
    }
    // Pong, open, upgrade and noop mean nothing from a server once open.
  }

  #onHandshake(packet: string): void {
    const handshake = parseHandshake(packet.slice(1));
    if (handshake === undefined) {
      this.#openingFailed(new TransportError(PARSE_ERROR, 'invalid handshake'), true);
      return;
    }
    clearTimeout(this.#openTimer);
    // What only the opening needs goes: a cleared timer still holds its object (120 bytes in Node),
    // and an open session stays with its transport whatever happens to it.
    this.#openTimer = undefined;
    this.#candidates.length = 0;
    this.#deadline = 0;
    this.#pingWindow = handshake.pingInterval + handshake.pingTimeout;
    this.#maxPayload = handshake.maxPayload;
    this.id = this.#sid = handshake.sid;
    this.#state = State.Open;
    priorWebsocketSuccess = this.transport.name === 'websocket';
    this.#resetPingTimer();
    this.emitEvent('open');
    if (this.#state !== State.Open) return;
    this.#flush();
    if (
      this.options.upgrade &&
      this.transport.probe &&
      this.options.transports.includes('websocket') &&
      handshake.upgrades.includes('websocket')
    ) {
      // Right after a WebSocket failed, trying again at once would most likely fail the same way.
      if (this.#probeRetryDelay > 0) this.#scheduleProbe();
      else this.#startProbe();
    }
  }

  #resetPingTimer(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = startTimer(this.#pingWindow, () => this.#close('ping timeout'));
  }

  #write(packet: Outgoing): void {
    if (this.#state === State.Closed) return;
    this.#buffer.push(packet);
    this.#flush();
  }

  /** Hands what is buffered to the transport, as much as one polling payload may carry. */
  #flush(): void {
    const buffer = this.#buffer;
    if (this.#state !== State.Open || !this.transport.writable || buffer.length === 0) return;
    const sent = this.transport.send(buffer, this.#maxPayload);
    // The transport has encoded what it took: the buffer is reused rather than copied.
    buffer.splice(0, sent);
  }

  #startProbe(): void {
    this.#probeTimer = undefined;
    priorWebsocketSuccess = false;
    this.#abandonProbe = this.transport.probe!(this, this.#transports.websocket!);
  }

  #scheduleProbe(): void {
    this.#probeTimer = startTimer(this.#probeRetryDelay, () => this.#startProbe());
    this.#probeRetryDelay = Math.min(this.#probeRetryDelay * 2, LAST_PROBE_RETRY_MS);
  }

  /**
   * Ends the session: stops every timer, listener and probe, and closes the transport. The
   * application's `close()` and the page's unload (no `reason`: no `close` event) let what was
   * sent go first; anything else closes the transport at once.
   */
  #close(reason?: EngineCloseReason, description?: unknown): void {
    if (this.#state === State.Closed) return;
    const wasOpen = this.#state !== State.Opening;
    this.#state = State.Closed;
    this.id = undefined;
    clearTimeout(this.#openTimer);
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#probeTimer);
    this.#stopListening();
    this.#abandonProbe?.();
    this.#abandonProbe = undefined;
    const graceful = reason === 'forced close' || reason === undefined;
    if (graceful && wasOpen) this.transport.shutdown(this.#buffer);
    else this.transport.close();
    this.#buffer = [];
    if (reason !== undefined) this.emitEvent('close', reason, description);
  }
}
