/**
 * The client's Engine.IO session (Engine.IO protocol v4): the handshake, the heartbeat, the write
 * buffer, and the choice of transport — a WebSocket first by default, long-polling when it cannot
 * open, and an upgrade back to WebSocket as soon as one gets through.
 */
import { PacketType, type Packet } from '../../protocol/engine-io/index.js';
import { Emitter } from '../emitter.js';
import { Endpoint } from './endpoint.js';
import { parseHandshake, type ClientHandshake } from './handshake.js';
import { startTimer, type Timer } from './timer.js';
import {
  DETACHED,
  PARSE_ERROR,
  TransportError,
  type ClientTransport,
  type TransportListener,
  type Transports,
} from './transport.js';
import type {
  ClientPlatform,
  EngineCloseReason,
  EngineSocketEvents,
  EngineSocketLike,
  EngineSocketOptions,
  TransportInfo,
  TransportName,
} from './types.js';
import type { UpgradeProbe } from './upgrade-probe.js';

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

type SessionState = 'opening' | 'open' | 'closed';

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
export class EngineSocket extends Emitter<SessionEvents> implements EngineSocketLike {
  readonly #options: EngineSocketOptions;
  readonly #platform: ClientPlatform;
  readonly #transports: Transports;
  readonly #endpoint: Endpoint;
  /** The session's ear on its current transport. */
  readonly #listener: TransportListener;
  readonly #deadline: number;
  #state: SessionState = 'opening';
  #id: string | undefined;
  #transport: ClientTransport;
  /** Transports still to try while opening, in order. */
  #candidates: TransportName[];
  #handshake: ClientHandshake | undefined;
  /** Packets not yet handed to the transport. */
  #writeBuffer: Packet[] = [];
  /** The server answered a probe: polling is pausing and nothing is written until the switch. */
  #upgrading = false;
  #probe: UpgradeProbe | undefined;
  /** The WebSocket listed first failed and polling took over: upgrades are retried. */
  #fellBack = false;
  #probeRetryDelay = FIRST_PROBE_RETRY_MS;
  #openTimer: Timer;
  #attemptTimer: Timer;
  #pingTimer: Timer;
  #probeTimer: Timer;
  /** Stop listening to the host's `offline` and `beforeunload`. */
  readonly #stopListening: (() => void)[];

  /**
   * `transports` holds the constructor of every transport `options.transports` names (the
   * Manager checked the names against them).
   * @throws TypeError for a query parameter the protocol reserves.
   */
  constructor(options: EngineSocketOptions, platform: ClientPlatform, transports: Transports) {
    super();
    this.#options = options;
    this.#platform = platform;
    this.#transports = transports;
    this.#endpoint = new Endpoint(options);
    this.#listener = {
      onTransportOpen: () => {},
      onTransportPacket: (packet) => this.#onPacket(packet),
      onTransportDrain: () => this.#onDrain(),
      onTransportError: (error) => this.#onTransportError(error),
      onTransportClose: (description) => this.#onTransportClose(description),
    };
    const first =
      options.rememberUpgrade && priorWebsocketSuccess && options.transports.includes('websocket')
        ? 'websocket'
        : options.transports[0]!;
    this.#candidates = [first, ...options.transports.filter((name) => name !== first)];
    this.#deadline = Date.now() + options.timeout;
    this.#openTimer = startTimer(options.timeout, () =>
      this.#openingFailed(new TransportError('timeout', `no handshake within ${options.timeout} ms`), false),
    );
    this.#stopListening = [
      platform.onNetworkOffline(() => {
        const description = { description: 'network connection lost' };
        if (this.#state === 'opening') this.#openingFailed(new TransportError('transport close', description), false);
        else this.#finish('transport close', description);
      }),
    ];
    if (options.closeOnBeforeunload) this.#stopListening.push(platform.onBeforeUnload(() => this.#end(false)));
    this.#transport = this.#attempt();
  }

  get id(): string | undefined {
    return this.#id;
  }

  get transport(): TransportInfo {
    return this.#transport;
  }

  get writable(): boolean {
    return this.#state === 'open' && !this.#upgrading && this.#transport.writable;
  }

  /**
   * Sends one message; queued while the session opens, a request or an upgrade is in flight. Sent
   * nowhere once the session closed. `compress` is not passed on: see {@link WebSocketTransport}.
   */
  send(data: string | Uint8Array, _options?: { compress?: boolean }): void {
    this.#write({ type: PacketType.Message, data });
  }

  /**
   * Ends the session: `close` with `forced close` at once. What was already sent still goes, ahead
   * of a `close` packet over polling (or the WebSocket's close frame).
   */
  close(): void {
    this.#end(true);
  }

  /** Opens the next candidate transport. */
  #attempt(): ClientTransport {
    const name = this.#candidates.shift()!;
    const transport = new this.#transports[name]!(this.#endpoint, this.#platform, this.#options, undefined);
    transport.listener = this.#listener;
    if (this.#candidates.length > 0 && this.#mayFallBack(name)) {
      // A transport that hangs (a proxy holding the upgrade request) leaves the next one half the time.
      const left = (this.#deadline - Date.now()) / 2;
      this.#attemptTimer = startTimer(left, () =>
        this.#openingFailed(new TransportError('timeout', `${name} did not open within ${Math.round(left)} ms`), true),
      );
    }
    transport.open();
    return transport;
  }

  /** Whether a transport that fails to open gives way to the next: a WebSocket listed first always does. */
  #mayFallBack(name: TransportName): boolean {
    return this.#options.tryAllTransports || (name === 'websocket' && this.#options.transports[0] === 'websocket');
  }

  /**
   * The transport in use failed before the handshake completed, or the opening timed out. Only
   * reached while opening: its timers stop and its transport is detached when the session opens or closes.
   */
  #openingFailed(error: TransportError, mayFallBack: boolean): void {
    clearTimeout(this.#attemptTimer);
    const failed = this.#transport;
    priorWebsocketSuccess = false;
    if (mayFallBack && this.#candidates.length > 0 && this.#mayFallBack(failed.name)) {
      failed.close();
      if (failed.name === 'websocket') this.#fellBack = true;
      this.#transport = this.#attempt();
      this.emitEvent('upgrade', this.#transport);
      return;
    }
    this.emitEvent('error', error);
    this.#finish(error.message === PARSE_ERROR ? 'parse error' : 'transport error', error);
  }

  #onTransportError(error: TransportError): void {
    if (this.#state === 'opening') this.#openingFailed(error, true);
    else this.#finish(error.message === PARSE_ERROR ? 'parse error' : 'transport error', error);
  }

  #onTransportClose(description: unknown): void {
    if (this.#state === 'opening') this.#openingFailed(new TransportError('transport close', description), true);
    else this.#finish('transport close', description);
  }

  #onPacket(packet: Packet): void {
    if (this.#state === 'opening') {
      if (packet.type === PacketType.Open) this.#onHandshake(packet.data);
      else if (packet.type !== PacketType.Noop) {
        this.#openingFailed(new TransportError(PARSE_ERROR, `${packet.type} packet before the handshake`), true);
      }
      return;
    }
    switch (packet.type) {
      case PacketType.Ping:
        this.#resetPingTimer();
        this.#write({ type: PacketType.Pong });
        this.emitEvent('ping');
        break;
      case PacketType.Message:
        this.emitEvent(
          'message',
          typeof packet.data === 'string' ? packet.data : this.#platform.wrapBinary(packet.data),
        );
        break;
      case PacketType.Close:
        this.#finish('transport close', { description: 'transport closed by the server' });
        break;
      default:
      // noop ends a held poll; pong, open and upgrade mean nothing from a server once open.
    }
  }

  #onHandshake(data: string | undefined): void {
    const handshake = parseHandshake(data);
    if (typeof handshake === 'string') {
      this.#openingFailed(new TransportError(PARSE_ERROR, handshake), true);
      return;
    }
    clearTimeout(this.#openTimer);
    clearTimeout(this.#attemptTimer);
    this.#handshake = handshake;
    this.#id = handshake.sid;
    this.#transport.sid = handshake.sid;
    this.#state = 'open';
    priorWebsocketSuccess = this.#transport.name === 'websocket';
    this.#resetPingTimer();
    this.emitEvent('open');
    if (this.#state !== 'open') return;
    this.#flush();
    if (
      this.#options.upgrade &&
      this.#transport.name === 'polling' &&
      this.#options.transports.includes('websocket') &&
      handshake.upgrades.includes('websocket')
    ) {
      // Right after a WebSocket failed, trying again at once would most likely fail the same way.
      if (this.#fellBack) this.#scheduleProbe();
      else this.#startProbe();
    }
  }

  #resetPingTimer(): void {
    clearTimeout(this.#pingTimer);
    const { pingInterval, pingTimeout } = this.#handshake!;
    this.#pingTimer = startTimer(pingInterval + pingTimeout, () => this.#finish('ping timeout'));
  }

  #write(packet: Packet): void {
    if (this.#state === 'closed') return;
    this.#writeBuffer.push(packet);
    this.#flush();
  }

  /** Hands what is buffered to the transport, as much as one polling payload may carry. */
  #flush(): void {
    const buffer = this.#writeBuffer;
    if (this.#state !== 'open' || this.#upgrading || !this.#transport.writable || buffer.length === 0) return;
    this.#writeBuffer = buffer.slice(this.#transport.send(buffer, this.#handshake!.maxPayload));
  }

  #onDrain(): void {
    if (this.#writeBuffer.length === 0) this.emitEvent('drain');
    else this.#flush();
  }

  #startProbe(): void {
    this.#probeTimer = undefined;
    priorWebsocketSuccess = false;
    const candidate = new this.#transports.websocket!(this.#endpoint, this.#platform, this.#options, this.#id);
    this.#probe = this.#transport.probe!(
      candidate,
      {
        probeAnswered: (probe) => this.#probeAnswered(probe),
        probeFailed: () => this.#probeFailed(),
      },
      this.#options.timeout,
    );
  }

  #scheduleProbe(): void {
    this.#probeTimer = startTimer(this.#probeRetryDelay, () => this.#startProbe());
    this.#probeRetryDelay = Math.min(this.#probeRetryDelay * 2, LAST_PROBE_RETRY_MS);
  }

  /**
   * `3probe` came: wait for the poll and the POST in flight, then switch (protocol v4, "Upgrade").
   * Only the session's one live probe reports, and polling never calls back a pause that a failed
   * probe (`resume`) or the session's end (`close`) called off.
   */
  #probeAnswered(probe: UpgradeProbe): void {
    this.#upgrading = true;
    priorWebsocketSuccess = true;
    this.#transport.pause(() => {
      probe.finish();
      this.#probe = undefined;
      this.#transport.close();
      const websocket = probe.candidate;
      websocket.listener = this.#listener;
      this.#transport = websocket;
      websocket.send([{ type: PacketType.Upgrade }]);
      this.#upgrading = false;
      this.emitEvent('upgrade', websocket);
      this.#flush();
    });
  }

  #probeFailed(): void {
    this.#probe = undefined;
    priorWebsocketSuccess = false;
    if (this.#upgrading) {
      this.#upgrading = false;
      this.#transport.resume();
      this.#flush();
    }
    if (this.#fellBack) this.#scheduleProbe();
  }

  /** Stops every timer, listener and probe; returns the transport, no longer listened to. */
  #release(): ClientTransport {
    this.#state = 'closed';
    this.#id = undefined;
    this.#upgrading = false;
    clearTimeout(this.#openTimer);
    clearTimeout(this.#attemptTimer);
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#probeTimer);
    for (const stop of this.#stopListening) stop();
    this.#probe?.abandon();
    this.#probe = undefined;
    const transport = this.#transport;
    transport.listener = DETACHED;
    return transport;
  }

  /** The session ended under it: the transport closes at once. */
  #finish(reason: EngineCloseReason, description?: unknown): void {
    if (this.#state === 'closed') return;
    this.#release().close();
    this.#writeBuffer = [];
    this.emitEvent('close', reason, description);
  }

  /** The application (or the page's unload) ends the session: what was sent still goes, then `close`. */
  #end(notify: boolean): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    const transport = this.#release();
    if (wasOpen) transport.shutdown(this.#writeBuffer);
    else transport.close();
    this.#writeBuffer = [];
    if (notify) this.emitEvent('close', 'forced close');
  }
}
