/**
 * The client's Engine.IO session (Engine.IO protocol v4): the handshake, the heartbeat, the write
 * buffer, and the transport in use. The choice between two transports (a WebSocket first by default,
 * long-polling when it cannot open, and an upgrade back to WebSocket as soon as one gets through) is
 * the {@link TransportPlan}'s and the polling transport's, which a WebSocket-only bundle leaves out.
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
  type TransportHost,
  type TransportListener,
  type Transports,
  Uncompressed,
  type Outgoing,
  type Wire,
} from './transport.js';
import type { Attempt, TransportPlan } from './transport-plan.js';
import type {
  ClientPlatform,
  EngineCloseReason,
  EngineSocketEvents,
  EngineSocketLike,
  EngineSocketOptions,
  TransportName,
} from './types.js';

/** The events as the emitter takes them: an interface has no index signature, a mapped type does. */
type SessionEvents = { [E in keyof EngineSocketEvents]: EngineSocketEvents[E] };

const enum State {
  Opening,
  Open,
  Closed,
}

const reasonOf = (error: TransportError): EngineCloseReason =>
  error.message === PARSE_ERROR ? PARSE_ERROR : 'transport error';

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
export class EngineSocket extends Emitter<SessionEvents> implements EngineSocketLike, TransportHost {
  /** The session id from the handshake; `undefined` before `open` and after `close`. */
  id: string | undefined;
  /** The transport in use. */
  transport!: ClientTransport;
  /** @internal What the transports read. */
  readonly options: EngineSocketOptions;
  /** @internal What the transports open their connections with. */
  readonly platform: ClientPlatform;
  /** The transport classes the entry point offers. */
  readonly #transports: Transports;
  /** What every request URL shares (see {@link endpointOf}). */
  readonly #endpoint: string;
  /** The session's ear on its current transport. */
  readonly #listener: TransportListener = (...[report, value]) => {
    if (report === Report.Packet) this.#onPacket(value);
    else if (report === Report.Upgraded) {
      this.transport = value;
      this.emitEvent('upgrade', value);
    } else if (report === Report.Drain && this.#buffer.length === 0) this.emitEvent('drain');
    // Writable again: after a write, or polling going on after a failed upgrade (a WebSocket's own
    // `Open` comes before the handshake, with nothing to flush yet).
    else if (report === Report.Drain || report === Report.Open) this.#flush();
    else if (report === Report.Close) this.#connectionLost(value, true);
    else if (this.#state === State.Opening) this.#openingFailed(value, true);
    else this.#close(reasonOf(value), value);
  };
  #state = State.Opening;
  /** The handshake's id, which the last requests still carry after `close` cleared {@link id}. */
  #sid: string | undefined;
  /** Which transport to try next while opening; none with a single transport offered, nor once open. */
  #plan: TransportPlan | undefined;
  /** The handshake's `pingInterval + pingTimeout`: how long the server may stay silent. */
  #pingWindow = 0;
  /** The handshake's `maxPayload`, when the server sent one. */
  #maxPayload: number | undefined;
  /** Packets not yet handed to the transport. */
  #buffer: Outgoing[] = [];
  /**
   * While opening, the deadline (or the current transport's share of it); once open, how long the
   * server may stay silent. One field for both: a cleared timer still holds its object (120 bytes
   * in Node), and the ping timer replaces the opening's.
   */
  #timer: Timer;
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
    this.#endpoint = endpointOf(options);
    this.#transports = transports;
    this.#plan = transports.polling?.plan(options);
    const stopOffline = platform.onNetworkOffline(() =>
      this.#connectionLost({ description: 'network connection lost' }, false),
    );
    if (options.closeOnBeforeunload) {
      const stopUnload = platform.onBeforeUnload(() => this.#close());
      this.#stopListening = () => {
        stopOffline();
        stopUnload();
      };
    } else this.#stopListening = stopOffline;
    this.#attempt(this.#plan?.next() ?? [options.transports[0]!, options.timeout]);
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
    return requestUrl(this.#endpoint, transport, this.#sid);
  }

  /** Opens transport `name`, which has `left` milliseconds to complete the handshake. */
  #attempt([name, left]: Attempt): void {
    this.#timer = startTimer(left, () =>
      this.#openingFailed(new TransportError('timeout', `${name} did not open within ${Math.round(left)} ms`), true),
    );
    this.transport = new this.#transports[name]!(this, this.#listener);
  }

  /**
   * The transport in use failed before the handshake completed, or the opening timed out; the plan
   * may open another one, when `mayFallBack`.
   */
  #openingFailed(error: TransportError, mayFallBack = false): void {
    clearTimeout(this.#timer);
    const next = this.#plan?.fallBack(this.transport, mayFallBack);
    if (next) {
      this.#attempt(next);
      this.emitEvent('upgrade', this.transport);
      return;
    }
    this.emitEvent('error', error);
    this.#close(reasonOf(error), error);
  }

  /**
   * The connection went away under the session: `description` is the transport's close event, or
   * what the host said when the network went (no other transport is tried then).
   */
  #connectionLost(description: unknown, mayFallBack: boolean): void {
    if (this.#state === State.Opening)
      this.#openingFailed(new TransportError('transport close', description), mayFallBack);
    else this.#close('transport close', description);
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
    // What only the opening needs goes (its timer when the ping timer starts below): an open session
    // stays with its transport whatever happens to it.
    const plan = this.#plan;
    this.#plan = undefined;
    this.#pingWindow = handshake.pingInterval + handshake.pingTimeout;
    this.#maxPayload = handshake.maxPayload;
    this.id = this.#sid = handshake.sid;
    this.#state = State.Open;
    plan?.opened(this.transport);
    this.#resetPingTimer();
    this.emitEvent('open');
    if (this.#state !== State.Open) return;
    this.#flush();
    plan?.upgrade(this.transport, handshake.upgrades);
  }

  #resetPingTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = startTimer(this.#pingWindow, () => this.#close('ping timeout'));
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

  /**
   * Ends the session: stops every timer and listener, and closes the transport (which gives up an
   * upgrade in flight). The application's `close()` and the page's unload (no `reason`: no `close`
   * event) let what was sent go first; anything else closes the transport at once.
   */
  #close(reason?: EngineCloseReason, description?: unknown): void {
    if (this.#state === State.Closed) return;
    const wasOpen = this.#state !== State.Opening;
    this.#state = State.Closed;
    this.id = undefined;
    clearTimeout(this.#timer);
    this.#stopListening();
    const graceful = reason === 'forced close' || reason === undefined;
    if (graceful && wasOpen) this.transport.shutdown(this.#buffer);
    else this.transport.close();
    this.#buffer = [];
    if (reason !== undefined) this.emitEvent('close', reason, description);
  }
}
