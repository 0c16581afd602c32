import { PacketDecoder, encodePacket, type Packet } from '../protocol/socket-io/index.js';
import { Backoff, randomSource } from './backoff.js';
import { containsBlob, readBlobs } from './blobs.js';
import { Emitter } from './emitter.js';
import { EngineSocket } from './engine/engine-socket.js';
import type { ClientPlatform, EngineSocketLike, EngineSocketOptions, TransportName } from './engine/types.js';
import type { Transports } from './engine/transport.js';
import {
  checkOption,
  resolveManagerOptions,
  type ManagerOptions,
  type ResolvedManagerOptions,
  type SocketOptions,
} from './options.js';
import { Socket, type DisconnectDescription } from './socket.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';
import { parseUrl } from './url.js';

/** The events a {@link Manager} emits. */
export interface ManagerReservedEvents {
  /** The connection (Engine.IO session) opened. */
  open: () => void;
  /** The connection could not open, or failed. */
  error: (err: Error) => void;
  /** The server pinged. */
  ping: () => void;
  /** A Socket.IO packet arrived (for any namespace). */
  packet: (packet: Packet) => void;
  /** The connection closed; the reason is one of the `disconnect` reasons, or `forced close`. */
  close: (reason: string, description?: DisconnectDescription) => void;
  /** `reconnectionAttempts` attempts failed: the manager stops trying. */
  reconnect_failed: () => void;
  /** A reconnection attempt starts (counting from 1). */
  reconnect_attempt: (attempt: number) => void;
  /** A reconnection attempt failed. */
  reconnect_error: (err: Error) => void;
  /** A reconnection attempt succeeded. */
  reconnect: (attempt: number) => void;
}

type ArgsOf<Map> = { [K in keyof Map]: Map[K] extends (...args: infer Args) => void ? Args : never };

/** A packet on its way out, with the per-emit flags the engine needs. */
export type OutgoingPacket = Packet & { options?: { compress: boolean } };

/**
 * One connection to a server (one Engine.IO session at a time), shared by the sockets of its
 * namespaces; it reconnects with exponential backoff when the connection is lost.
 *
 * Import it from `switchboard/client`, whose entry gives it the host (browser or Node).
 *
 * @example
 * const manager = new Manager('https://example.com', { reconnectionDelayMax: 10_000 });
 * const chat = manager.socket('/chat', { auth: { token } });
 * manager.on('reconnect_attempt', (attempt) => console.log('attempt', attempt));
 */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter<ArgsOf<ManagerReservedEvents>> {
  /** The host: each entry point's subclass sets it. */
  protected static platform: ClientPlatform | undefined;
  /** The transports the entry point offers: each entry point's subclass sets them. */
  protected static transports: Transports = {};

  /** The options as given (read-only: change reconnection settings with their methods). */
  readonly opts: Readonly<Partial<ManagerOptions>>;
  /** @internal The options with defaults in place. */
  readonly _options: ResolvedManagerOptions;
  /** @internal */
  _readyState: 'opening' | 'open' | 'closed' = 'closed';
  /** @internal Whether a reconnection is scheduled or under way. */
  _reconnecting = false;
  /** @internal */
  readonly _autoConnect: boolean;
  /** @internal The random source of the reconnection delays, for tests. */
  [randomSource]: () => number = Math.random;

  readonly #platform: ClientPlatform;
  readonly #transports: Transports;
  readonly #origin: string;
  readonly #query: Readonly<Record<string, string>>;
  readonly #nsps = new Map<string, Socket<ListenEvents, EmitEvents>>();
  readonly #subs: (() => void)[] = [];
  readonly #backoff: Backoff;
  /** Without the server's size limits: the server is the party the application chose to trust (as socket.io-client). */
  readonly #decoder = new PacketDecoder();
  #engine: EngineSocketLike | undefined;
  #skipReconnect = false;
  #reconnection: boolean;
  #reconnectionAttempts: number;
  #timeout: number | false;
  /** Writes waiting for a Blob to be read, so that later packets keep their place behind it. */
  #writeChain: Promise<void> | undefined;

  constructor(opts: Partial<ManagerOptions>);
  constructor(uri?: string, opts?: Partial<ManagerOptions>);
  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>);
  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    const platform = new.target.platform;
    if (platform === undefined) {
      throw new TypeError('Manager needs a host: import it from switchboard/client, whose entry provides one');
    }
    let given = opts ?? {};
    let url: string | undefined;
    if (typeof uri === 'object') given = uri;
    else url = uri;
    const transports = new.target.transports;
    const options = resolveManagerOptions(given, platform, Object.keys(transports) as TransportName[]);
    const parsed = parseUrl(url, platform.pageLocation);
    this.#platform = platform;
    this.#transports = transports;
    this.#origin = parsed.origin;
    // The URL's own parameters win, as they do with socket.io-client.
    this.#query = { ...options.query, ...parsed.query };
    this.opts = Object.freeze({ ...given, path: options.path });
    this._options = options;
    this._autoConnect = options.autoConnect;
    this.#reconnection = options.reconnection;
    this.#reconnectionAttempts = options.reconnectionAttempts;
    this.#timeout = options.timeout;
    this.#backoff = new Backoff(
      options.reconnectionDelay,
      options.reconnectionDelayMax,
      options.randomizationFactor,
      () => this[randomSource](),
    );
    if (this._autoConnect) this.open();
  }

  /** The current Engine.IO session (`undefined` until the first `open`). */
  get engine(): EngineSocketLike {
    return this.#engine!;
  }

  /** Whether to reconnect after the connection is lost. */
  reconnection(): boolean;
  reconnection(value: boolean): this;
  reconnection(value?: boolean): this | boolean {
    if (value === undefined) return this.#reconnection;
    this.#reconnection = value;
    if (!value) this.#skipReconnect = true;
    return this;
  }

  /** Attempts before `reconnect_failed`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): this | number {
    if (value === undefined) return this.#reconnectionAttempts;
    this.#reconnectionAttempts = checkOption('reconnectionAttempts', value);
    return this;
  }

  /** Base of the backoff, in milliseconds. */
  reconnectionDelay(): number;
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): this | number {
    if (value === undefined) return this.#backoff.base;
    this.#backoff.base = checkOption('reconnectionDelay', value);
    return this;
  }

  /** Cap of the backoff, in milliseconds. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): this | number {
    if (value === undefined) return this.#backoff.max;
    this.#backoff.max = checkOption('reconnectionDelayMax', value);
    return this;
  }

  /**
   * The official client's jitter fraction. Setting it switches from full jitter (the default) to
   * socket.io-client's formula; see {@link ManagerOptions.randomizationFactor}. Reads 0.5 (the
   * official default) while full jitter is in use, as code written for the official client expects a number.
   */
  randomizationFactor(): number;
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): this | number {
    if (value === undefined) return this.#backoff.factor ?? 0.5;
    this.#backoff.factor = checkOption('randomizationFactor', value);
    return this;
  }

  /** Milliseconds the connection may take to open; `false` for no limit. */
  timeout(): number | false;
  timeout(value: number | false): this;
  timeout(value?: number | false): this | number | false {
    if (value === undefined) return this.#timeout;
    this.#timeout = checkOption('timeout', value);
    return this;
  }

  /**
   * Opens the connection (no-op while it is open or opening). `callback` is called once it opens, or
   * with the error when it cannot; without a callback a failure starts the reconnection loop.
   */
  open(callback?: (err?: Error) => void): this {
    if (this._readyState !== 'closed') return this;
    const engine = this.createEngine(this.#engineOptions());
    this.#engine = engine;
    this._readyState = 'opening';
    this.#skipReconnect = false;
    const onOpen = (): void => {
      this.#onOpen(engine);
      callback?.();
    };
    const onError = (error: Error): void => {
      this.#cleanup();
      this._readyState = 'closed';
      this.emitEvent('error', error);
      if (callback) callback(error);
      else this.#maybeReconnectOnOpen();
    };
    engine.on('open', onOpen).on('error', onError);
    this.#subs.push(
      () => engine.off('open', onOpen),
      () => engine.off('error', onError),
    );
    if (this.#timeout !== false) {
      const timer = setTimeout(() => {
        engine.off('open', onOpen);
        onError(new Error('timeout'));
        engine.close();
      }, this.#timeout);
      this.#subs.push(() => clearTimeout(timer));
    }
    return this;
  }

  /** Same as {@link open}. */
  connect(callback?: (err?: Error) => void): this {
    return this.open(callback);
  }

  /**
   * The socket of namespace `nsp` on this connection, created on first use (its options are those
   * of that first call); a socket that was disconnected is connected again when `autoConnect` is on.
   */
  socket(nsp: string, opts?: Partial<SocketOptions>): Socket<ListenEvents, EmitEvents> {
    let socket = this.#nsps.get(nsp);
    if (socket === undefined) {
      socket = new Socket<ListenEvents, EmitEvents>(this, nsp, opts);
      this.#nsps.set(nsp, socket);
    } else if (this._autoConnect && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /** @internal Whether a socket for namespace `nsp` was made on this connection. */
  _hasSocket(nsp: string): boolean {
    return this.#nsps.has(nsp);
  }

  /** Closes the connection and stops reconnecting. */
  _close(): void {
    this.#skipReconnect = true;
    this._reconnecting = false;
    this.#onClose('forced close');
  }

  /** @internal A socket left: the connection closes once no socket uses it. */
  _destroy(_socket: Socket<ListenEvents, EmitEvents>): void {
    for (const socket of this.#nsps.values()) if (socket.active) return;
    this._close();
  }

  /**
   * @internal Encodes and writes one packet. A packet holding Blobs is written once they are read,
   * and every packet after it waits its turn.
   */
  _packet(packet: OutgoingPacket): void {
    if (this.#writeChain === undefined && !containsBlob(packet.data)) {
      this.#write(packet);
      return;
    }
    const engine = this.#engine;
    const read = readBlobs(packet.data).then(
      (data) => ({ data, error: undefined }),
      (error: unknown) => ({ data: undefined, error }),
    );
    const chain = (this.#writeChain ?? Promise.resolve()).then(async () => {
      const { data, error } = await read;
      // A packet of a connection that has since closed is dropped, like any packet in flight.
      if (this.#engine !== engine) return;
      if (error === undefined) this.#write({ ...packet, data });
      else this.emitEvent('error', error instanceof Error ? error : new Error('a Blob could not be read'));
    });
    this.#writeChain = chain;
    void chain.then(() => {
      if (this.#writeChain === chain) this.#writeChain = undefined;
    });
  }

  /**
   * Makes the Engine.IO session. Tests replace it to drive the manager with their own session.
   * @internal
   */
  protected createEngine(options: EngineSocketOptions): EngineSocketLike {
    return new EngineSocket(options, this.#platform, this.#transports);
  }

  #engineOptions(): EngineSocketOptions {
    const options = this._options;
    return {
      ...options,
      origin: this.#origin,
      path: options.path.endsWith('/') ? options.path : `${options.path}/`,
      query: this.#query,
      // The session paces its transport fallback by the same deadline; no limit is an infinite one.
      timeout: this.#timeout === false ? Infinity : this.#timeout,
    };
  }

  #write(packet: OutgoingPacket): void {
    const engine = this.#engine;
    if (engine === undefined || this._readyState !== 'open') return;
    const options = { compress: packet.options?.compress ?? true };
    for (const part of encodePacket(packet)) engine.send(part, options);
  }

  #onOpen(engine: EngineSocketLike): void {
    this.#cleanup();
    this._readyState = 'open';
    this.emitEvent('open');
    const onPing = (): void => {
      this.emitEvent('ping');
    };
    const onMessage = (data: string | ArrayBuffer | Uint8Array): void => this.#onData(data);
    const onError = (error: Error): void => {
      this.emitEvent('error', error);
    };
    const onClose = (reason: string, description?: unknown): void =>
      this.#onClose(reason, description as DisconnectDescription | undefined);
    engine.on('ping', onPing).on('message', onMessage).on('error', onError).on('close', onClose);
    this.#subs.push(() => {
      engine.off('ping', onPing).off('message', onMessage).off('error', onError).off('close', onClose);
    });
  }

  #onData(data: string | ArrayBuffer | Uint8Array): void {
    let packet: Packet | undefined;
    try {
      packet = this.#decoder.add(data);
    } catch (error) {
      this.#onClose('parse error', error as Error);
      return;
    }
    if (packet !== undefined) this.emitEvent('packet', packet);
  }

  #cleanup(): void {
    for (const unsubscribe of this.#subs) unsubscribe();
    this.#subs.length = 0;
    this.#decoder.reset();
  }

  #onClose(reason: string, description?: DisconnectDescription): void {
    this.#cleanup();
    this.#engine?.close();
    this.#backoff.reset();
    this._readyState = 'closed';
    this.emitEvent('close', reason, description);
    if (this.#reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #maybeReconnectOnOpen(): void {
    // Only the first failure starts the loop; the loop's own attempts report through their callback.
    if (!this._reconnecting && this.#reconnection && this.#backoff.attempts === 0) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    if (this.#backoff.attempts >= this.#reconnectionAttempts) {
      this.#backoff.reset();
      this._reconnecting = false;
      this.emitEvent('reconnect_failed');
      return;
    }
    this._reconnecting = true;
    let stopListening = (): void => {};
    const attempt = (): void => {
      clearTimeout(timer);
      stopListening();
      if (this.#skipReconnect) return;
      this.emitEvent('reconnect_attempt', this.#backoff.attempts);
      // A listener may have closed the manager.
      if (this.#skipReconnect) return;
      this.open((error) => {
        if (error === undefined) {
          this.#onReconnect();
          return;
        }
        this._reconnecting = false;
        this.#reconnect();
        this.emitEvent('reconnect_error', error);
      });
    };
    const timer = setTimeout(attempt, this.#backoff.duration());
    // The network is back: waiting out the backoff would only delay a connection likely to work now.
    stopListening = this.#platform.onNetworkOnline(() => {
      this.#backoff.reset();
      this.#backoff.attempts = 1;
      attempt();
    });
    this.#subs.push(() => {
      clearTimeout(timer);
      stopListening();
    });
  }

  #onReconnect(): void {
    const attempt = this.#backoff.attempts;
    this._reconnecting = false;
    this.#backoff.reset();
    this.emitEvent('reconnect', attempt);
  }
}
