import type { Packet } from '../protocol/socket-io/index.js';
import { backoffDelay, randomSource } from './backoff.js';
import { Contents, contentsOf, readBlobs } from './blobs.js';
import { decodeMessage, type PendingPacket } from './decode.js';
import { encodeMessage } from './encode.js';
import { Emitter } from './emitter.js';
import { EngineSocket } from './engine/engine-socket.js';
import type {
  ClientPlatform,
  EngineSocketEvents,
  EngineSocketLike,
  EngineSocketOptions,
  TransportName,
} from './engine/types.js';
import type { Transports } from './engine/transport.js';
import {
  MANAGER_DEFAULTS,
  checkManagerOptions,
  checkOption,
  params,
  type ManagerOptions,
  type SocketOptions,
} from './options.js';
import { Socket, type DisconnectDescription, type DisconnectReason } from './socket.js';
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

/** The options a manager's methods can change after it is made. */
type Settings = Pick<
  ManagerOptions,
  'reconnection' | 'reconnectionAttempts' | 'reconnectionDelay' | 'reconnectionDelayMax' | 'timeout'
> & { randomizationFactor: number | undefined };

/** A packet on its way out, with the per-emit flags the engine needs. */
export type OutgoingPacket = Packet & { options?: { compress: boolean } };

/** The manager of each session: the listeners sessions are given are shared, not made per client. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any manager, whatever its event maps.
const owners = new WeakMap<EngineSocketLike, Manager<any, any>>();

/** The listeners every session is given, filled in by the manager's static block. */
const ENGINE_LISTENERS: Record<string, (this: EngineSocketLike, ...args: never[]) => void> = {};

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

  // `declare`: the constructor sets it, so the bundle needs no field definition for it.
  /** The options as given (read, never copied: change reconnection settings with their methods). */
  declare readonly opts: Readonly<Partial<ManagerOptions>>;
  /** @internal */
  _readyState: 'opening' | 'open' | 'closed' = 'closed';
  /** @internal Whether a reconnection is scheduled or under way. */
  _reconnecting = false;
  /** @internal The random source of the reconnection delays, for tests. */
  [randomSource]: () => number = Math.random;

  /** The URL as given, parsed again for each session. */
  readonly #uri: string | undefined;
  readonly #nsps = new Map<string, Socket<ListenEvents, EmitEvents>>();
  /**
   * A binary packet waiting for its attachments. No size limits: the server is the party the
   * application chose to trust (as socket.io-client).
   */
  #pending: PendingPacket | undefined;
  #engine: EngineSocketLike | undefined;
  #skipReconnect = false;
  /** The settings changed by their methods since the manager was made (made on the first change). */
  #settings: Partial<Settings> | undefined;
  /** Reconnection attempts made since the last success (the next delay's exponent). */
  #attempts = 0;
  /** The opening's deadline, or the delay before the next reconnection attempt. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Stops listening for the network to come back, while a reconnection waits. */
  #stopOnline: (() => void) | undefined;
  /** What `open()` was given, until the session opens or fails. */
  #openCallback: ((err?: Error) => void) | undefined;
  /** Writes waiting for a Blob to be read, so that later packets keep their place behind it. */
  #writeChain: Promise<void> | undefined;
  /** Whether the sockets listen to this manager yet (see {@link _addSocketListeners}). */
  #socketsListen = false;

  constructor(opts: Partial<ManagerOptions>);
  constructor(uri?: string, opts?: Partial<ManagerOptions>);
  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>);
  constructor(uri?: string | Partial<ManagerOptions>, opts?: Partial<ManagerOptions>) {
    super();
    const platform = new.target.platform;
    if (platform === undefined) {
      throw new TypeError('Manager needs a host: import it from switchboard/client');
    }
    if (typeof uri === 'object') opts = uri;
    else this.#uri = uri;
    const given = (this.opts = opts ?? {});
    checkManagerOptions(given, platform, Object.keys(new.target.transports) as TransportName[]);
    // A bad URL throws here rather than at the first connection.
    parseUrl(this.#uri, platform.pageLocation);
    if (given.autoConnect !== false) this.open();
  }

  /** The current Engine.IO session (`undefined` until the first `open`). */
  get engine(): EngineSocketLike {
    return this.#engine!;
  }

  /** Whether to reconnect after the connection is lost. */
  reconnection(): boolean;
  reconnection(value: boolean): this;
  reconnection(value?: boolean): this | boolean {
    if (value === false) this.#skipReconnect = true;
    return this.#setting('reconnection', value);
  }

  /** Attempts before `reconnect_failed`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): this | number {
    return this.#setting('reconnectionAttempts', value);
  }

  /** Base of the backoff, in milliseconds. */
  reconnectionDelay(): number;
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): this | number {
    return this.#setting('reconnectionDelay', value);
  }

  /** Cap of the backoff, in milliseconds. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): this | number {
    return this.#setting('reconnectionDelayMax', value);
  }

  /**
   * The official client's jitter fraction. Setting it switches from full jitter (the default) to
   * socket.io-client's formula; see {@link ManagerOptions.randomizationFactor}. Reads 0.5 (the
   * official default) while full jitter is in use, as code written for the official client expects a number.
   */
  randomizationFactor(): number;
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): this | number {
    // Setting returns the manager, never nullish.
    return this.#setting('randomizationFactor', value) ?? 0.5;
  }

  /** Milliseconds the connection may take to open; `false` for no limit. */
  timeout(): number | false;
  timeout(value: number | false): this;
  timeout(value?: number | false): this | number | false {
    return this.#setting('timeout', value);
  }

  /** A setting as changed by its method, else as given, else its default. */
  #get<K extends keyof Settings>(name: K): Settings[K] {
    return (this.#settings?.[name] ??
      this.opts[name] ??
      MANAGER_DEFAULTS[name as keyof typeof MANAGER_DEFAULTS]) as Settings[K];
  }

  /** The setting's value without `value`; with one, changes it (checked) and returns the manager. */
  #setting<K extends keyof Settings, V extends Settings[K] | undefined>(
    name: K,
    value: V,
  ): V extends undefined ? Settings[K] : this;
  #setting(name: keyof Settings, value: unknown): unknown {
    if (value === undefined) return this.#get(name);
    (this.#settings ??= {})[name] = checkOption(name, value) as never;
    return this;
  }

  /**
   * Opens the connection (no-op while it is open or opening). `callback` is called once it opens, or
   * with the error when it cannot; without a callback a failure starts the reconnection loop.
   */
  open(callback?: (err?: Error) => void): this {
    if (this._readyState !== 'closed') return this;
    const engine = this.createEngine(this.#engineOptions());
    owners.set(engine, this);
    this.#engine = engine;
    this._readyState = 'opening';
    this.#skipReconnect = false;
    this.#openCallback = callback;
    for (const event in ENGINE_LISTENERS)
      engine.on(event as keyof EngineSocketEvents, ENGINE_LISTENERS[event] as never);
    const timeout = this.#get('timeout');
    if (timeout !== false) {
      this.#timer = setTimeout(() => {
        this.#onOpenError(new Error('timeout'));
        engine.close();
      }, timeout);
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
    } else if (this.opts.autoConnect !== false && !socket.active) {
      socket.connect();
    }
    return socket;
  }

  /**
   * @internal Called by a socket that connects. The sockets hear the manager's `open`, `error`,
   * `packet` and `close` as listeners added at the first socket's `connect()`, as socket.io-client's
   * sockets subscribe then: an application's listener added before that hears each event before
   * the sockets react to it (a connection failure is known by the time `connect_error` comes).
   * One listener per event for every socket: methods of the prototype, no closure per manager.
   */
  _addSocketListeners(): void {
    if (this.#socketsListen) return;
    this.#socketsListen = true;
    this.on('open', this.#openSockets)
      .on('error', this.#failSockets)
      .on('packet', this.#deliverPacket)
      .on('close', this.#closeSockets);
  }

  #openSockets(): void {
    for (const socket of this.#sockets()) socket._onOpen();
  }

  #failSockets(error: Error): void {
    for (const socket of this.#sockets()) socket._onError(error);
  }

  #deliverPacket(packet: Packet): void {
    const socket = this.#nsps.get(packet.nsp);
    if (socket?.active) socket._onPacket(packet);
  }

  #closeSockets(reason: string, description?: DisconnectDescription): void {
    for (const socket of this.#sockets()) socket._onClose(reason as DisconnectReason, description);
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
  _destroy(): void {
    if (this.#sockets().next().done) this._close();
  }

  /**
   * @internal Encodes and writes one packet. A packet holding Blobs is written once they are read,
   * and every packet after it waits its turn.
   */
  _packet(packet: OutgoingPacket): void {
    const contents = contentsOf(packet.data);
    if (this.#writeChain === undefined && contents !== Contents.Blobs) {
      this.#write(packet, contents === Contents.Binary);
      return;
    }
    const engine = this.#engine;
    // Read at once, settled even if it fails before its turn (the data is an array, never an Error).
    const read = readBlobs(packet.data).catch((error: unknown) =>
      error instanceof Error ? error : new Error('a Blob could not be read'),
    );
    const chain: Promise<void> = Promise.all([this.#writeChain, read]).then(([, data]) => {
      // The last packet waiting: those after it need not wait.
      if (this.#writeChain === chain) this.#writeChain = undefined;
      // A packet of a connection that has since closed is dropped, like any packet in flight.
      if (this.#engine !== engine) return;
      // A packet that cannot be encoded (a BigInt beside the Blob) fails here rather than in
      // `emit`: reported like a Blob that cannot be read, and the chain goes on for those behind it.
      try {
        if (data instanceof Error) throw data;
        this.#write({ ...packet, data });
      } catch (error) {
        this.emitEvent('error', error instanceof Error ? error : new Error(String(error)));
      }
    });
    this.#writeChain = chain;
  }

  /**
   * Makes the Engine.IO session. Tests replace it to drive the manager with their own session.
   * @internal
   */
  protected createEngine(options: EngineSocketOptions): EngineSocketLike {
    const entry = this.constructor as typeof Manager;
    return new EngineSocket(options, entry.platform!, entry.transports);
  }

  /** The session's options: the given ones over the defaults, with the URL's parts. */
  #engineOptions(): EngineSocketOptions {
    const entry = this.constructor as typeof Manager;
    const opts = this.opts;
    const url = parseUrl(this.#uri, entry.platform!.pageLocation);
    const path = opts.path ?? MANAGER_DEFAULTS.path;
    const timeout = this.#get('timeout');
    return Object.assign(Object.create(MANAGER_DEFAULTS) as EngineSocketOptions, opts, {
      origin: url.origin,
      path: path.endsWith('/') ? path : `${path}/`,
      // The URL's own parameters win, as they do with socket.io-client.
      query:
        url.search === ''
          ? params('query', opts.query)
          : { ...params('query', opts.query), ...Object.fromEntries(url.searchParams) },
      extraHeaders: params('extraHeaders', opts.extraHeaders),
      transports: opts.transports ?? Object.keys(entry.transports),
      // The session paces its transport fallback by the same deadline; no limit is an infinite one.
      timeout: timeout === false ? Infinity : timeout,
    });
  }

  /** Writes `packet`; `binary` when its data may hold binary values (else it is plain JSON). */
  #write(packet: OutgoingPacket, binary = true): void {
    // Open means a session is there.
    if (this._readyState === 'open')
      for (const part of encodeMessage(packet, binary)) this.#engine!.send(part, packet.options);
  }

  /** The active sockets, which follow the connection. */
  *#sockets(): Generator<Socket<ListenEvents, EmitEvents>> {
    for (const socket of this.#nsps.values()) if (socket.active) yield socket;
  }

  /** The session stops being this manager's: what it reports from now on is not listened to. */
  #detach(): void {
    // Before the first session there is none (a WeakMap deletes nothing for undefined).
    owners.delete(this.#engine!);
    this.#clearTimer();
    this.#pending = undefined;
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    // A cleared Timeout kept by an idle manager costs about 120 bytes for nothing.
    this.#timer = undefined;
    this.#stopOnline?.();
    this.#stopOnline = undefined;
  }

  #onOpen(): void {
    this.#clearTimer();
    this._readyState = 'open';
    const callback = this.#openCallback;
    this.#openCallback = undefined;
    this.emitEvent('open');
    callback?.();
  }

  #onOpenError(error: Error): void {
    this.#detach();
    this._readyState = 'closed';
    const callback = this.#openCallback;
    this.#openCallback = undefined;
    this.emitEvent('error', error);
    if (callback) callback(error);
    // Only the first failure starts the loop; the loop's own attempts report through their callback.
    else if (this.#get('reconnection') && this.#attempts === 0) this.#reconnect();
  }

  #onData(data: string | ArrayBuffer | Uint8Array): void {
    let packet: Packet | PendingPacket;
    try {
      packet = decodeMessage(this.#pending, data);
    } catch (error) {
      this.#onClose('parse error', error as Error);
      return;
    }
    if ('expected' in packet) {
      this.#pending = packet;
      return;
    }
    this.#pending = undefined;
    this.emitEvent('packet', packet);
  }

  #onClose(reason: string, description?: DisconnectDescription): void {
    this.#detach();
    this.#engine?.close();
    this.#attempts = 0;
    this._readyState = 'closed';
    this.emitEvent('close', reason, description);
    if (this.#get('reconnection')) this.#reconnect();
  }

  #reconnect(): void {
    if (this._reconnecting || this.#skipReconnect) return;
    if (this.#attempts >= this.#get('reconnectionAttempts')) {
      this.#attempts = 0;
      this.emitEvent('reconnect_failed');
      return;
    }
    this._reconnecting = true;
    const delay = backoffDelay(
      this.#attempts++,
      this.#get('reconnectionDelay'),
      this.#get('reconnectionDelayMax'),
      this.#get('randomizationFactor'),
      this[randomSource](),
    );
    this.#timer = setTimeout(() => this.#attempt(), delay);
    // The network is back: waiting out the backoff would only delay a connection likely to work now.
    this.#stopOnline = (this.constructor as typeof Manager).platform!.onNetworkOnline(() => {
      this.#attempts = 1;
      this.#attempt();
    });
  }

  #attempt(): void {
    this.#clearTimer();
    if (this.#skipReconnect) return;
    this.emitEvent('reconnect_attempt', this.#attempts);
    // A listener may have closed the manager.
    if (this.#skipReconnect) return;
    this.open((error) => {
      this._reconnecting = false;
      if (error === undefined) {
        const attempt = this.#attempts;
        this.#attempts = 0;
        this.emitEvent('reconnect', attempt);
        return;
      }
      this.#reconnect();
      this.emitEvent('reconnect_error', error);
    });
  }

  /** What a session reports, heard through listeners every manager shares (`this`: the session). */
  static {
    const listen = <E extends keyof EngineSocketEvents>(
      event: E,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any manager, whatever its event maps.
      listener: (manager: Manager<any, any>, ...args: EngineSocketEvents[E]) => void,
    ): void => {
      ENGINE_LISTENERS[event] = function (this: EngineSocketLike, ...args: EngineSocketEvents[E]) {
        const manager = owners.get(this);
        if (manager) listener(manager, ...args);
      } as never;
    };
    listen('open', (manager) => manager.#onOpen());
    listen('error', (manager, error) =>
      manager._readyState === 'open' ? manager.emitEvent('error', error) : manager.#onOpenError(error),
    );
    listen('ping', (manager) => manager.emitEvent('ping'));
    listen('message', (manager, data) => manager.#onData(data));
    listen('close', (manager, reason, description) => {
      if (manager._readyState === 'open') manager.#onClose(reason, description as DisconnectDescription | undefined);
    });
  }
}
