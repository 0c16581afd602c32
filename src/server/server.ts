import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import {
  InMemoryAdapter,
  WIRE_ENCODER,
  type AdapterConstructor,
  type PacketEncoder,
  type RecoverySettings,
  type Room,
} from '../adapter/index.js';
import { EngineServer, createHttpServer, type EngineServerOptions, type EngineSocket } from '../engine/index.js';
import { checkDelay } from '../engine/check-delay.js';
import type { DeadlineQueue } from '../engine/deadline-queue.js';
import { checkOptionNames, normalizePath } from '../engine/options.js';
import type { AttachOptions } from '../engine/server.js';
import { checkInteger } from '../protocol/check-integer.js';
import { resolveDecoderOptions, type ResolvedDecoderOptions } from '../protocol/socket-io/index.js';
import { BroadcastOperator, type RemoteSocket } from './broadcast-operator.js';
import { BroadcastFrames } from './broadcast-frames.js';
import { Client, attachmentDeadlines, type AttachmentDeadline } from './client.js';
import { clientBundleFor, findClientBundle, serveClientBundle } from './client-bundle.js';
import { asError, containRejection, isThenable, warnContained } from './containment.js';
import { Namespace, type ConnectionMiddleware } from './namespace.js';
import {
  SERVER_DEFAULTS,
  SERVER_OPTION_KEYS,
  checkAttachOptions,
  engineOptionsOf,
  trimPath,
  type ServerOptions,
} from './options.js';
import { answerNotFound, isServerTarget, serverTarget } from './attach-target.js';
import { ParentNamespace, type NamespaceMatcher } from './parent-namespace.js';
import type { Socket } from './socket.js';
import type {
  AllButLast,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
} from './typed-events.js';
import type { NamespaceEventNames, NamespaceListener } from './namespace.js';

function normalizeName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

/**
 * The default attachment budget of an engine whose largest message is `maxHttpBufferSize` bytes:
 * that option may be any number above 0, while a budget counts whole bytes.
 */
function attachmentBytesFor(maxHttpBufferSize: number): number {
  return Math.max(1, Math.floor(maxHttpBufferSize));
}

/** Which Socket.IO server each Engine.IO server serves: every connection has one client. */
const engineOwners = new WeakMap<EngineServer, Server>();

/**
 * A Socket.IO protocol v5 server, wire-compatible with the official clients.
 *
 * It owns an Engine.IO server ({@link Server.engine}, which serves once attached with
 * {@link Server.attach} or {@link Server.listen}), namespaces (the main one is
 * {@link Server.sockets}) and, through them, sockets and rooms.
 * Broadcast and room helpers on the server act on the main namespace.
 *
 * The type parameters, all optional, declare the application's events: `ListenEvents` the
 * clients send, `EmitEvents` the server sends (the same as `ListenEvents` when omitted),
 * `ServerSideEvents` between the nodes of a cluster, and `SocketData` for `socket.data`. Every
 * `on`, `emit` and acknowledgement is then checked against them:
 *
 * ```ts
 * interface ClientEvents { chat: (text: string, ack: (delivered: boolean) => void) => void }
 * interface ServerEvents { chat: (from: string, text: string) => void }
 * const io = new Server<ClientEvents, ServerEvents, {}, { name: string }>(httpServer);
 * io.on('connection', (socket) => {
 *   socket.on('chat', (text, ack) => {
 *     io.emit('chat', socket.data.name, text);
 *     ack(true);
 *   });
 * });
 * ```
 *
 * @example
 * import { createServer } from 'node:http';
 * import { Server } from 'switchboard/server';
 *
 * const httpServer = createServer();
 * const io = new Server(httpServer, { connectionStateRecovery: {} });
 * io.on('connection', (socket) => {
 *   socket.on('chat', (text: string) => io.emit('chat', socket.id, text));
 * });
 * httpServer.listen(3000);
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> {
  /** The main namespace, `/`. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /**
   * Encodes packets for the wire. For socket.io-adapter compatibility: its adapters encode each
   * broadcast once with `nsp.server.encoder`.
   */
  readonly encoder: PacketEncoder = WIRE_ENCODER;
  /** @internal Milliseconds a client has to join a namespace. */
  readonly connectTimeout: number;
  /** @internal Most namespaces one client may be in at once, joining ones included. */
  readonly maxNamespacesPerClient: number;
  /**
   * @internal Limits of every client's decoder (one object shared by all of them); the default
   * attachment budget is settled when the engine is known.
   */
  decoderLimits: ResolvedDecoderOptions;
  /** @internal Binary packets waiting for their attachments, each due `attachmentTimeout` after it was announced. */
  readonly attachmentDeadlines: DeadlineQueue<AttachmentDeadline>;
  /** @internal The frames of this server's broadcasts, prepared once for all their recipients. */
  readonly broadcastFrames = new BroadcastFrames();
  /** @internal Whether empty child namespaces are removed. */
  readonly cleanupEmptyChildNamespaces: boolean;
  /** @internal Recovery settings, or `undefined` when off. */
  readonly recoveryOptions:
    { readonly maxDisconnectionDuration: number; readonly skipMiddlewares: boolean } | undefined;
  private readonly options: ServerOptions;
  private readonly nsps = new Map<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  /** What builds each namespace's adapter (see {@link Server.adapter}). */
  private adapterKind: AdapterConstructor;
  /** {@link Server.opts}, made when first asked for. */
  private resolvedOpts: Readonly<ServerOptions> | undefined;
  private readonly parentNamespaces = new Map<
    NamespaceMatcher,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private readonly parentsByRegExp = new Map<
    RegExp,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  private eio: EngineServer;
  /**
   * Whether {@link eio} is still the engine the constructor made, never attached: `attach()` then
   * gives it its options instead of making another one.
   */
  private engineFresh = true;
  private attachedServer: HttpServer | HttpsServer | undefined;
  /** Whether the server serves: attached or bound, and not closed since. */
  private serving = false;
  /** The request path, without its trailing slash, as {@link Server.path} reports it. */
  private pathValue: string;
  /** {@link Server.serveClient} as set; `undefined` serves the bundle when it is built. */
  private serveClientSetting: boolean | undefined;

  constructor(options?: ServerOptions);
  /**
   * `srv` is the HTTP(S) server to attach to, or a port to listen on (a number, or a string of
   * digits such as `process.env.PORT`, as the official server takes at run time).
   */
  constructor(srv: HttpServer | HttpsServer | number | string, options?: ServerOptions);
  constructor(srvOrOptions?: HttpServer | HttpsServer | number | string | ServerOptions, maybeOptions?: ServerOptions) {
    const srv = isServerTarget(srvOrOptions) ? srvOrOptions : undefined;
    const options: ServerOptions =
      (srv === undefined ? (srvOrOptions as ServerOptions | undefined) : maybeOptions) ?? {};
    checkOptionNames(options, SERVER_OPTION_KEYS, 'Server');
    if (options.serveClient !== undefined) this.serveClient(options.serveClient);
    this.options = options;
    this.pathValue = trimPath(options.path ?? SERVER_DEFAULTS.path);
    this.adapterKind = options.adapter ?? InMemoryAdapter;
    this.connectTimeout = checkDelay('connectTimeout', options.connectTimeout ?? SERVER_DEFAULTS.connectTimeout);
    this.maxNamespacesPerClient = checkInteger(
      'maxNamespacesPerClient',
      options.maxNamespacesPerClient ?? SERVER_DEFAULTS.maxNamespacesPerClient,
      1,
    );
    // Unless given, the attachment budget follows the engine's largest message (see `settleDecoderLimits`).
    this.decoderLimits = resolveDecoderOptions(options);
    this.attachmentDeadlines = attachmentDeadlines(
      checkDelay('attachmentTimeout', options.attachmentTimeout ?? SERVER_DEFAULTS.attachmentTimeout),
    );
    this.cleanupEmptyChildNamespaces =
      options.cleanupEmptyChildNamespaces ?? SERVER_DEFAULTS.cleanupEmptyChildNamespaces;
    const recovery = options.connectionStateRecovery;
    if (recovery) {
      const settings = recovery === true ? {} : recovery;
      this.recoveryOptions = {
        maxDisconnectionDuration: checkInteger(
          'maxDisconnectionDuration',
          settings.maxDisconnectionDuration ?? SERVER_DEFAULTS.maxDisconnectionDuration,
          0,
        ),
        skipMiddlewares: settings.skipMiddlewares ?? SERVER_DEFAULTS.skipMiddlewares,
      };
    }
    this.sockets = this.of('/');
    // Made now, so that `io.engine` is there before attach() (for `io.engine.use()`, and tools
    // such as the admin UI that listen to it), as the official server's is once attached.
    this.eio = new EngineServer({ ...engineOptionsOf(options), path: normalizePath(this.pathValue) });
    this.adopt(this.eio);
    if (srv !== undefined) this.attach(srv);
  }

  /** @internal Recovery settings as the adapters see them. */
  get recovery(): RecoverySettings | undefined {
    return this.recoveryOptions;
  }

  /**
   * The constructor options, with connection state recovery's defaults filled in. For
   * socket.io-adapter compatibility: its adapters read `nsp.server.opts.connectionStateRecovery`.
   */
  get opts(): Readonly<ServerOptions> {
    // As the official server: only a recovery that is on is replaced by its filled-in settings.
    const recovery = this.recoveryOptions === undefined ? {} : { connectionStateRecovery: this.recoveryOptions };
    return (this.resolvedOpts ??= Object.freeze({ ...this.options, ...recovery }));
  }

  /**
   * The namespaces by name (those created with `io.of(name)` and the children of dynamic ones).
   * For compatibility with tools written for the official server, such as `@socket.io/admin-ui`.
   */
  get _nsps(): ReadonlyMap<string, Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    return this.nsps;
  }

  /** Returns what builds each namespace's adapter: the `adapter` option, {@link InMemoryAdapter} by default. */
  adapter(): AdapterConstructor;
  /**
   * Sets what builds each namespace's adapter: an adapter class, or a function returning the
   * adapter, such as what `createAdapter()` of the official adapters returns. As in the official
   * server, the namespaces that exist already get a new adapter too (the old one is closed, and the
   * rooms it held are lost), so call it before clients connect.
   *
   * @example
   * import { createClient } from 'redis';
   * import { createAdapter } from '@socket.io/redis-adapter';
   *
   * const pubClient = createClient({ url: 'redis://localhost:6379' });
   * const subClient = pubClient.duplicate();
   * await Promise.all([pubClient.connect(), subClient.connect()]);
   * io.adapter(createAdapter(pubClient, subClient));
   */
  adapter(kind: AdapterConstructor): this;
  adapter(kind?: AdapterConstructor): AdapterConstructor | this {
    if (kind === undefined) return this.adapterKind;
    if (typeof kind !== 'function') {
      throw new TypeError(
        'adapter: expected an adapter class or a function returning an adapter, such as createAdapter() of an official adapter',
      );
    }
    this.adapterKind = kind;
    for (const nsp of this.nsps.values()) nsp.resetAdapter();
    return this;
  }

  /**
   * The Engine.IO server. It exists from the constructor on (its middlewares and listeners can be
   * added before `attach()`), and serves once attached; `attach()` gives it its options then.
   * After `close()`, attaching to another HTTP server makes a new one, as the official server does.
   */
  get engine(): EngineServer {
    return this.eio;
  }

  /** The HTTP server this server is attached to: the one given, or the one created for a port. */
  get httpServer(): HttpServer | HttpsServer | undefined {
    return this.attachedServer;
  }

  /** Returns the request path the server answers on, without its trailing slash (`'/socket.io'`), as the official server. */
  path(): string;
  /**
   * Sets the request path, before the server is attached (afterwards the engine already listens
   * on the old one, so this throws).
   */
  path(path: string): this;
  path(path?: string): string | this {
    if (path === undefined) return this.pathValue;
    if (this.serving) {
      throw new Error(
        'path: the server is attached already; set the path before attach() or listen(), or give it as the path option',
      );
    }
    this.pathValue = trimPath(path);
    return this;
  }

  /**
   * Whether the server serves the browser bundle of `switchboard/client` (`<path>/socket.io.js`,
   * a global `io` as the official bundle defines, and `socket.io.min.js`, `socket.io.esm.min.js`)
   * once attached: as set, else whether the bundle is built (always, in the published package).
   */
  serveClient(): boolean;
  /**
   * Sets whether to serve the client bundle; read by the next {@link Server.attach}, as in the
   * official server. `true` throws when the bundle has not been built (a source checkout before
   * `npm run build`), naming the fix.
   */
  serveClient(serve: boolean): this;
  serveClient(serve?: boolean): boolean | this {
    if (serve === undefined) return this.serveClientSetting ?? findClientBundle() !== undefined;
    if (typeof serve !== 'boolean') throw new TypeError(`serveClient must be a boolean, got ${String(serve)}`);
    // Looked up now too, so that a missing package shows where it is asked for, not at attach().
    clientBundleFor(serve);
    this.serveClientSetting = serve;
    return this;
  }

  /**
   * The ids of the main namespace's sockets.
   * @deprecated as in the official server: use {@link Server.fetchSockets}.
   */
  allSockets(): Promise<Set<string>> {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated alias delegates to its twin.
    return this.sockets.allSockets();
  }

  /**
   * Attaches to an HTTP(S) server, or creates one listening on `port` (a number, or a string of
   * digits). The Engine.IO server takes the engine options of `options` where the constructor's
   * options do not set them: as in the official server, the constructor's win. It also serves
   * the client bundle under the path unless told not to (see {@link Server.serveClient}).
   *
   * `options` takes Engine.IO options only: the Socket.IO ones (and `path`) are read by the
   * constructor, once, and given here they would have no effect, so naming one throws a
   * `TypeError` that lists them.
   *
   * @example
   * const io = new Server({ connectTimeout: 10_000 });
   * io.attach(httpServer, { pingInterval: 10_000 });
   */
  attach(
    srv: HttpServer | HttpsServer | number | string,
    options: Omit<EngineServerOptions, 'path'> & Omit<AttachOptions, 'path'> = {},
  ): this {
    const target = serverTarget(srv);
    if (this.serving) throw new Error('the server is already attached');
    checkAttachOptions(options);
    if (!this.engineFresh && target === this.attachedServer) {
      // Attached again to the server it closed: its engine still serves that server's path, with
      // the options it has; new ones would not take effect, so they are refused.
      const given = Object.keys(options).filter((name) => options[name as keyof typeof options] !== undefined);
      if (given.length > 0) {
        throw new TypeError(
          `${given.join(', ')}: attached again to the server it closed, the engine keeps its options; give them to the first attach() or to the constructor`,
        );
      }
      this.serving = true;
      return this;
    }
    const bundle = clientBundleFor(this.serveClientSetting);
    // A server of our own gets limits close to a WebSocket handshake's, not Node's 60 s for a head,
    // and answers 404 to every other request, as the official server's does.
    const server = typeof target === 'number' ? createHttpServer({}, answerNotFound) : target;
    const path = normalizePath(this.pathValue);
    // The official server's order: attach()'s options, then the constructor's over them.
    const merged: EngineServerOptions & AttachOptions = { ...options, ...engineOptionsOf(this.options), path };
    if (this.engineFresh) {
      this.eio.reconfigure(merged);
      this.settleDecoderLimits(this.eio);
    } else {
      // Closed, then attached to another server: the old engine goes with the old server.
      this.eio = new EngineServer(merged);
      this.adopt(this.eio);
    }
    this.eio.attach(server, { path });
    // After the engine, so that it runs first, as the official server's does.
    if (bundle !== undefined) serveClientBundle(server, this.pathValue, bundle, this.eio.options.cors);
    this.engineFresh = false;
    this.attachedServer = server;
    this.serving = true;
    if (typeof target === 'number') server.listen(target);
    return this;
  }

  /** Same as {@link Server.attach}. */
  listen(
    srv: HttpServer | HttpsServer | number | string,
    options: Omit<EngineServerOptions, 'path'> & Omit<AttachOptions, 'path'> = {},
  ): this {
    return this.attach(srv, options);
  }

  /**
   * Uses an existing Engine.IO server (for instance one handling requests of a custom HTTP stack).
   * An engine serves one Socket.IO server: binding a second one to it throws.
   */
  bind(engine: EngineServer): this {
    const owner = engineOwners.get(engine);
    if (owner !== undefined && owner !== this)
      throw new Error('this Engine.IO server is already bound to another Socket.IO server');
    if (owner === undefined) this.adopt(engine);
    this.eio = engine;
    this.engineFresh = false;
    this.serving = true;
    return this;
  }

  /** Makes `engine` open a client for each of its connections. */
  private adopt(engine: EngineServer): void {
    engineOwners.set(engine, this);
    this.settleDecoderLimits(engine);
    engine.on('connection', (conn: EngineSocket) => {
      new Client(this, conn);
    });
  }

  /** Unless given, the attachment budget follows the largest message of the engine. */
  private settleDecoderLimits(engine: EngineServer): void {
    if (this.options.maxAttachmentBytes !== undefined) return;
    this.decoderLimits = resolveDecoderOptions({
      ...this.decoderLimits,
      maxAttachmentBytes: attachmentBytesFor(engine.options.maxHttpBufferSize),
    });
  }

  /**
   * Returns the namespace `name`, creating it. A RegExp or a matcher function returns a parent
   * namespace whose children are created when clients ask for a matching name.
   *
   * @example
   * io.of('/admin').on('connection', onAdmin);
   * io.of(/^\/room-\d+$/).on('connection', (socket) => socket.nsp.name);
   */
  of(
    name: string | RegExp | NamespaceMatcher,
    onConnection?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === 'function' || name instanceof RegExp) {
      const parent = new ParentNamespace(this);
      if (typeof name === 'function') {
        this.parentNamespaces.set(name, parent);
      } else {
        const regex = name;
        this.parentNamespaces.set((candidate, _auth, next) => next(null, regex.test(candidate)), parent);
        this.parentsByRegExp.set(regex, parent);
      }
      if (onConnection) parent.on('connect', onConnection);
      return parent;
    }
    const normalized = normalizeName(name);
    let nsp = this.nsps.get(normalized);
    if (!nsp) {
      for (const [regex, parent] of this.parentsByRegExp) {
        if (regex.test(normalized)) return this.registerChild(parent, normalized);
      }
      nsp = new Namespace(this, normalized);
      this.nsps.set(normalized, nsp);
      if (normalized !== '/') this.sockets.emitReserved('new_namespace', nsp);
    }
    if (onConnection) nsp.on('connect', onConnection);
    return nsp;
  }

  /** @internal Whether a static (or already created) namespace exists. */
  hasNamespace(name: string): boolean {
    return this.nsps.has(name);
  }

  /**
   * @internal Looks for a parent namespace accepting `name`; calls back with the child, or
   * `undefined`. Matchers may answer from callbacks of their own, so everything from a matcher's
   * call on, `done` included, runs guarded: what it throws goes to `fail`, never to the matcher.
   */
  checkDynamicNamespace(
    name: string,
    auth: Record<string, unknown>,
    done: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void,
    fail: (err: unknown) => void,
  ): void {
    const candidates = [...this.parentNamespaces];
    let index = 0;
    const tryNext = (): void => {
      const entry = candidates[index++];
      if (!entry) {
        done(undefined);
        return;
      }
      const [matcher, parent] = entry;
      let answered = false;
      const matching: unknown = matcher(name, auth, (err, allow) => {
        if (answered) return;
        answered = true;
        try {
          if (err || !allow) {
            tryNext();
            return;
          }
          const existing = this.nsps.get(name);
          done(existing ?? this.registerChild(parent, name));
        } catch (thrown) {
          fail(thrown);
        }
      });
      // A matcher written as an async function may reject instead of answering.
      if (isThenable(matching)) matching.then(undefined, fail);
    };
    try {
      tryNext();
    } catch (thrown) {
      fail(thrown);
    }
  }

  /**
   * @internal Reports an exception the server contained while serving a client: to the `error`
   * listeners of the socket's namespace if it has some, else to those of the main namespace, else
   * as a process warning. Never throws: a listener that throws is itself printed as a warning.
   */
  reportError(err: unknown, socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined): void {
    const error = asError(err);
    const own = socket?.nsp;
    const target = own !== undefined && own.listenerCount('error') > 0 ? own : this.sockets;
    const context =
      socket === undefined
        ? 'error while serving clients'
        : `error while serving socket ${socket.id} of ${socket.nsp.name}`;
    if (target.listenerCount('error') === 0) {
      warnContained(error, `${context} (listen with io.on('error') to handle it)`);
      return;
    }
    try {
      target.emitReserved('error', error, socket);
    } catch (listenerError) {
      warnContained(error, context);
      warnContained(listenerError, `an error listener of namespace ${target.name} threw`);
    }
  }

  /** @internal Drops an empty child namespace (`cleanupEmptyChildNamespaces`). */
  removeChildNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.nsps.get(nsp.name) !== nsp) return;
    this.nsps.delete(nsp.name);
    if (nsp.parent instanceof ParentNamespace) nsp.parent.children.delete(nsp);
    // Called as the last socket leaves: an adapter that fails to close is reported, not thrown at it.
    try {
      containRejection(nsp.adapter.close(), nsp);
    } catch (err) {
      nsp.contain(err);
    }
  }

  /** Adds a connection middleware to the main namespace. */
  use(fn: ConnectionMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  /** Targets the sockets of the main namespace in `room`. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Same as {@link Server.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** Targets every socket of the main namespace except those in `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits to every socket of the main namespace. */
  emit<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: EventParams<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, Ev>
  ): boolean {
    return this.sockets.emit(event, ...args);
  }

  /** Emits to every socket of the main namespace and resolves with their acknowledgements. */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<EmitWithAckResult<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, Ev>> {
    return this.sockets.emitWithAck(event, ...args);
  }

  /** Sends a `message` event to every socket of the main namespace. */
  send(...args: unknown[]): this {
    this.sockets.send(...args);
    return this;
  }

  /** Same as {@link Server.send}. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Emits to the main namespace on the other nodes of the cluster. */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: EventParams<DecorateAcknowledgementsWithMultipleResponses<ServerSideEvents>, Ev>
  ): boolean {
    return this.sockets.serverSideEmit(event, ...args);
  }

  /** Like {@link Server.serverSideEmit}, resolving with the other nodes' answers. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<EmitWithAckResult<DecorateAcknowledgementsWithMultipleResponses<ServerSideEvents>, Ev>> {
    return this.sockets.serverSideEmitWithAck(event, ...args);
  }

  /** Sets whether the next broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  /** Drops the next broadcast for clients that cannot take it right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** Targets this node only. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** Sets the acknowledgement timeout of the next broadcast. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.timeout(ms);
  }

  /** Describes the sockets of the main namespace, on every node. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Makes every socket of the main namespace join rooms. */
  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes every socket of the main namespace leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects every socket of the main namespace. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /**
   * Listens on the main namespace: `connection` (a socket joined), `new_namespace`, events other
   * nodes send with `serverSideEmit`, and `error`: an exception raised while serving a client
   * (its listeners, middlewares, acknowledgement callbacks, adapter calls), which the server
   * contained by disconnecting that client with `"server error"`. Errors of every namespace come
   * here unless the namespace has `error` listeners of its own; with none at all, they are
   * printed as process warnings.
   *
   * @example
   * io.on('connection', (socket) => socket.emit('welcome'));
   * io.on('error', (err, socket) => logger.error({ err, sid: socket?.id }, 'client handler failed'));
   */
  on<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.on<Ev>(event, listener);
    return this;
  }

  /** Listens once on the main namespace. */
  once<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.once<Ev>(event, listener);
    return this;
  }

  /** Removes a listener from the main namespace. */
  off<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.off<Ev>(event, listener);
    return this;
  }

  /** Listeners of the main namespace. */
  listeners(event: string): ((...args: unknown[]) => void)[] {
    return this.sockets.listeners(event) as ((...args: unknown[]) => void)[];
  }

  /** Removes listeners of the main namespace. */
  removeAllListeners(event?: string): this {
    this.sockets.removeAllListeners(event);
    return this;
  }

  /**
   * Closes the server: every socket leaves with `"server shutting down"`, adapters close, the
   * Engine.IO server closes every session, and the HTTP server (if any) stops listening. As in
   * the official server, the application's HTTP requests still in progress on that server
   * finish (Node ends only its idle keep-alive connections); the callback and the promise
   * settle once they have.
   */
  async close(callback?: (err?: Error) => void): Promise<void> {
    const namespaces = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(this.nsps.values());
    for (const parent of this.parentNamespaces.values()) for (const child of parent.children) namespaces.add(child);
    await Promise.allSettled(
      [...namespaces].map(async (nsp) => {
        for (const socket of [...nsp.sockets.values()]) socket.onClose('server shutting down');
        await nsp.adapter.close();
      }),
    );
    this.eio.close();
    this.serving = false;
    const httpServer = this.attachedServer;
    if (!httpServer) {
      callback?.();
      return;
    }
    await new Promise<void>((resolve) => {
      // Node ≥ 19 ends idle keep-alive connections as the server stops listening; requests in
      // progress (the application's, on a server it gave us) finish first, as in the official server.
      httpServer.close((err) => {
        callback?.(err);
        resolve();
      });
    });
  }

  private registerChild(
    parent: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = parent.createChild(name);
    this.nsps.set(name, child);
    this.sockets.emitReserved('new_namespace', child);
    return child;
  }
}
