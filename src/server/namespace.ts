import { EventEmitter } from 'node:events';
import type {
  Adapter,
  AdapterConstructor,
  AdapterNamespace,
  RecoverySettings,
  Room,
  Session,
  SocketId,
} from '../adapter/index.js';
import { RESERVED_EVENTS } from '../protocol/socket-io/index.js';
import { BroadcastOperator, type RemoteSocket } from './broadcast-operator.js';
import type { Client } from './client.js';
import { CAPTURE_REJECTIONS, containRejection, isThenable, warnContained, type ErrorOwner } from './containment.js';
import { DisconnectReason } from './disconnect-reason.js';
import type { Server } from './server.js';
import { Socket } from './socket.js';
import type {
  AllButLast,
  DefaultEventsMap,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  DecorateAcknowledgementsWithMultipleResponses,
} from './typed-events.js';

/** An Error a connection middleware may pass to `next`: `data` reaches the client's `connect_error`. */
export interface ConnectionError extends Error {
  data?: unknown;
}

/**
 * Connection middleware: runs when a client asks to join the namespace, before `connection`.
 * `next()` lets it in; `next(err)` refuses it with a CONNECT_ERROR `{ message, data }`.
 */
export type ConnectionMiddleware<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> = (
  socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  next: (err?: ConnectionError) => void,
) => void | Promise<void>;

/** The events a namespace raises itself, beside those other nodes send with `serverSideEmit`. */
export interface NamespaceEvents<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> {
  /** A socket joined the namespace. */
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /** Same as `connection`. */
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /** A namespace was created (raised by the main namespace only). */
  new_namespace: (nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  /**
   * Serving a client raised an exception (a listener, middleware, acknowledgement callback or
   * adapter call threw or rejected), and the server contained it: the client concerned was
   * disconnected with `"server error"`. `socket` is the socket it was raised for, when there is
   * one. Raised on the socket's namespace when it has `error` listeners, else on the main
   * namespace (`io.on('error')`); with no listener on either, a process warning is emitted.
   */
  error: (err: Error, socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined) => void;
}

/** The events a namespace's `on` takes: its own ({@link NamespaceEvents}) and those other nodes send. */
export type NamespaceEventNames<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = ReservedOrUserEventNames<NamespaceEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents>;

/** The listener of namespace event `Ev`. */
export type NamespaceListener<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
  Ev extends string,
> = ReservedOrUserListener<
  NamespaceEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ServerSideEvents,
  Ev
>;

const NAMESPACE_RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connection', 'new_namespace', 'error']);

/** The CONNECT_ERROR of a client whose connection middleware failed: the same as the reason a failure disconnects with. */
const MIDDLEWARE_FAILURE = Object.freeze({ message: DisconnectReason.ServerError });

/**
 * A communication channel multiplexed over each client connection: its own sockets, rooms,
 * middlewares and adapter. `io.of('/chat')` returns one; `io.sockets` is the main namespace `/`.
 * Its type parameters are the server's event maps (see {@link Socket}).
 *
 * @example
 * const admin = io.of('/admin');
 * admin.use((socket, next) => (socket.handshake.auth.token === secret ? next() : next(new Error('forbidden'))));
 * admin.on('connection', (socket) => socket.emit('welcome'));
 * admin.to('ops').emit('alert', 'disk full');
 */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
>
  extends EventEmitter
  implements AdapterNamespace, ErrorOwner
{
  /** The namespace name, e.g. `/chat`. */
  readonly name: string;
  /** The server the namespace belongs to. */
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** Sockets connected to this namespace on this node. */
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  /** Room membership and delivery. */
  adapter: Adapter;
  /** @internal The parent of a dynamically created namespace. */
  readonly parent: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined;
  protected readonly fns: ConnectionMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /**
   * The next acknowledgement id, shared by direct emits and broadcasts of the namespace. Public
   * for socket.io-adapter compatibility: its adapters take ids with `nsp._ids++`.
   */
  _ids = 0;

  /** @internal Use `io.of(name)`. */
  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
    parent?: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ) {
    super(CAPTURE_REJECTIONS);
    this.server = server;
    this.name = name;
    this.parent = parent;
    this.adapter = this.createAdapter();
  }

  /** @internal Builds the adapter; overridden by parent namespaces. */
  protected createAdapter(): Adapter {
    const adapter = constructAdapter(this.server.adapter(), this);
    // An adapter that cannot start (a broker that is down) must not crash the process; it is reported.
    const report = (err: unknown): void =>
      process.emitWarning(
        `adapter of namespace ${this.name} failed to start: ${err instanceof Error ? err.message : String(err)}`,
      );
    try {
      const started = adapter.init();
      if (started instanceof Promise) started.catch(report);
    } catch (err) {
      report(err);
    }
    return adapter;
  }

  /** Recovery settings of the server, if connection state recovery is on. */
  get recovery(): RecoverySettings | undefined {
    return this.server.recovery;
  }

  /**
   * @internal Replaces the adapter with one of the server's current adapter kind (`io.adapter(v)`),
   * closing the old one. Rooms held by the old adapter are not carried over, as in the official server.
   */
  resetAdapter(): void {
    const previous = this.adapter;
    this.adapter = this.createAdapter();
    try {
      containRejection(previous.close(), this);
    } catch (err) {
      this.contain(err);
    }
  }

  /** Adapter port ({@link AdapterNamespace}, which adapters call, so it is public): allocates an ack id. */
  nextAckId(): number {
    return this._ids++;
  }

  /** @internal Emits to local listeners (`connection`, `new_namespace`), never to clients. */
  emitReserved(event: string, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }

  /** Adapter port ({@link AdapterNamespace}): an event another node sent with `serverSideEmit`. */
  onServerSideEmit(args: unknown[]): void {
    const event = args[0];
    // A node never sends these (serverSideEmit refuses them); one that did must not fake a connection or an error.
    if (typeof event === 'string' && (NAMESPACE_RESERVED_EVENTS.has(event) || RESERVED_EVENTS.has(event))) return;
    super.emit(...(args as [string, ...unknown[]]));
  }

  /** The same as `onServerSideEmit`, under the name socket.io-adapter's classes call. */
  _onServerSideEmit(args: unknown[]): void {
    this.onServerSideEmit(args);
  }

  /** @internal Reports an exception raised on the namespace's behalf (a broadcast an adapter failed); no client is blamed. */
  contain(err: unknown): void {
    this.server.reportError(err, undefined);
  }

  /**
   * @internal An async listener's promise rejected: one of `connection` belongs to the socket it
   * was given (its client is disconnected); one of `error` is printed, as reporting it to the
   * listener that failed could go round forever; any other is reported.
   */
  override [EventEmitter.captureRejectionSymbol](err: Error, event: string | symbol, ...args: unknown[]): void {
    const subject = args[0];
    if ((event === 'connection' || event === 'connect') && subject instanceof Socket) subject.contain(err);
    else if (event === 'error') warnContained(err, `an error listener of namespace ${this.name} rejected`);
    else this.contain(err);
  }

  /**
   * Listens to `connection` (a socket joined), `new_namespace`, or an event another node sent
   * with `serverSideEmit`.
   *
   * @example
   * io.of('/chat').on('connection', (socket) => socket.join('lobby'));
   */
  override on<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    return super.on(event, listener);
  }

  /** Listens once to `connection`, `new_namespace` or an event of another node. */
  override once<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    return super.once(event, listener);
  }

  /** Removes a listener. */
  override off<Ev extends NamespaceEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    event: Ev,
    listener: NamespaceListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    return super.off(event, listener);
  }

  /** Adds a connection middleware. */
  use(fn: ConnectionMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.fns.push(fn);
    return this;
  }

  /** Targets the sockets in `room`. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().to(room);
  }

  /** Same as {@link Namespace.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Targets every socket except those in `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().except(room);
  }

  /** Emits an event to every socket of the namespace (a function as last argument collects acks). */
  override emit<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: EventParams<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, Ev>
  ): boolean {
    return this.operator().emit(event, ...args);
  }

  /** Emits to every socket and resolves with all acknowledgements. */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<EmitWithAckResult<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, Ev>> {
    return this.operator().emitWithAck(event, ...args);
  }

  /** Sends a `message` event to every socket. */
  send(...args: unknown[]): this {
    (this as Namespace).emit('message', ...args);
    return this;
  }

  /** Same as {@link Namespace.send}. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /**
   * Emits an event to this namespace on the other nodes of the cluster (their `on(event)`
   * listeners, not the clients). A function as last argument collects their answers.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    event: Ev,
    ...args: EventParams<DecorateAcknowledgementsWithMultipleResponses<ServerSideEvents>, Ev>
  ): boolean {
    if (NAMESPACE_RESERVED_EVENTS.has(event) || RESERVED_EVENTS.has(event)) {
      throw new Error(`"${event}" is a reserved event name`);
    }
    this.adapter.serverSideEmit([event, ...args]);
    return true;
  }

  /** Like {@link Namespace.serverSideEmit}, resolving with the other nodes' answers. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<EmitWithAckResult<DecorateAcknowledgementsWithMultipleResponses<ServerSideEvents>, Ev>> {
    type Responses = EmitWithAckResult<DecorateAcknowledgementsWithMultipleResponses<ServerSideEvents>, Ev>;
    return new Promise((resolve, reject) => {
      (this as Namespace).serverSideEmit(event, ...args, (err: Error | null, responses: Responses) =>
        err ? reject(err) : resolve(responses),
      );
    });
  }

  /** Sets whether the next broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().compress(compress);
  }

  /** Drops the next broadcast for clients that cannot take it right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().volatile;
  }

  /** Targets this node's sockets only. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().local;
  }

  /** Sets the acknowledgement timeout of the next broadcast. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().timeout(ms);
  }

  /** Describes the namespace's sockets, on every node. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.operator().fetchSockets();
  }

  /**
   * The ids of the namespace's sockets (see {@link BroadcastOperator.allSockets}).
   * @deprecated as in the official server: use {@link Namespace.fetchSockets}.
   */
  allSockets(): Promise<Set<SocketId>> {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated alias delegates to its twin.
    return this.operator().allSockets();
  }

  /** Makes every socket join rooms. */
  socketsJoin(room: Room | Room[]): void {
    this.operator().socketsJoin(room);
  }

  /** Makes every socket leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    this.operator().socketsLeave(room);
  }

  /** Disconnects every socket (and their connections with `close`). */
  disconnectSockets(close = false): void {
    this.operator().disconnectSockets(close);
  }

  /**
   * @internal Adds a client to the namespace: restores its session when it asks for recovery,
   * runs the middlewares (skipped for a recovered session when configured), then connects it.
   * Settles once the socket is let in, refused, or its middlewares failed: until then the client
   * counts the namespace as one it is joining.
   */
  async add(client: Client, auth: Record<string, unknown>, onConnected: (socket: Socket) => void): Promise<void> {
    const socket = await this.createSocket(client, auth);
    if (this.server.recoveryOptions?.skipMiddlewares === true && socket.recovered) {
      this.admit(socket, client, onConnected);
      return;
    }
    await new Promise<void>((decided) => {
      this.runMiddlewares(
        socket,
        (err) => {
          this.admit(socket, client, onConnected, err);
          decided();
        },
        (thrown, afterDecision) => {
          this.middlewareFailed(socket, thrown, afterDecision);
          decided();
        },
      );
    });
  }

  /** @internal Removes a socket that left. */
  remove(socket: Socket): void {
    if (this.sockets.get(socket.id) === socket) this.sockets.delete(socket.id);
    if (this.parent && this.sockets.size === 0 && this.server.cleanupEmptyChildNamespaces) {
      this.server.removeChildNamespace(this);
    }
  }

  /** The connection middlewares in the order they run: the parent's first, for a child namespace. */
  protected middlewareChain(): ConnectionMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] {
    return this.parent ? [...this.parent.middlewareChain(), ...this.fns] : this.fns;
  }

  private async createSocket(
    client: Client,
    auth: Record<string, unknown>,
  ): Promise<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
    const pid = auth.pid;
    const offset = auth.offset;
    // The official client sends no offset when it never received one; '' asks the adapter to work it out.
    if (this.recovery && typeof pid === 'string' && (typeof offset === 'string' || offset === undefined)) {
      // An adapter that fails to restore is reported, and the client starts a new session. The
      // socket.io-adapter base class answers `null` without a promise, or may throw.
      const restoring = new Promise<Session | null>((resolve) =>
        resolve(this.adapter.restoreSession(pid, offset ?? '')),
      );
      const session = await restoring.catch((err: unknown) => {
        this.contain(err);
        return null;
      });
      if (session) return new Socket(this, client, auth, session);
    }
    return new Socket(this, client, auth);
  }

  /**
   * Runs the connection middlewares, then `done`. A middleware refuses a socket with `next(err)`;
   * one that throws or rejects has failed instead, and `failed` is called (once; the chain stops),
   * told whether `done` had been called already (a middleware that failed after calling `next`).
   */
  private runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    done: (err?: ConnectionError) => void,
    failed: (thrown: unknown, afterDecision: boolean) => void,
  ): void {
    const fns = this.middlewareChain();
    let index = 0;
    let stopped = false;
    let decided = false;
    const fail = (thrown: unknown): void => {
      if (stopped) return;
      stopped = true;
      failed(thrown, decided);
    };
    const next = (err?: ConnectionError): void => {
      if (stopped) return;
      const fn = err ? undefined : fns[index++];
      if (fn === undefined) {
        decided = true;
        done(err);
        return;
      }
      let called = false;
      const step = (stepErr?: ConnectionError): void => {
        if (called) return;
        called = true;
        next(stepErr);
      };
      try {
        const result = fn(socket, step);
        if (isThenable(result)) result.then(undefined, fail);
      } catch (thrown) {
        fail(thrown);
      }
    };
    next();
  }

  /**
   * A connection middleware threw or rejected. That is a failure of the server, not a refusal: the
   * error is reported, and the client gets a CONNECT_ERROR that says only "server error" (the
   * message may hold internals) and keeps its other namespaces, as after `next(err)`. A failure
   * after the chain decided is only reported when the socket was refused (it was told already);
   * a socket let in is connected by now, and leaves with its client, as for any failure while
   * serving a connected socket.
   */
  private middlewareFailed(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    thrown: unknown,
    afterDecision: boolean,
  ): void {
    if (socket.connected) {
      socket.contain(thrown);
      return;
    }
    this.server.reportError(thrown, socket);
    if (afterDecision) return;
    socket.cleanup();
    socket.refuse(MIDDLEWARE_FAILURE);
  }

  private operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, this);
  }

  /**
   * Lets a socket in once its middlewares agreed, or refuses it. A middleware may call `next`
   * from a callback of its own, so what this raises (a `connection` listener that throws, an
   * adapter that fails) is contained here rather than thrown at that caller.
   */
  private admit(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    onConnected: (socket: Socket) => void,
    err?: ConnectionError,
  ): void {
    try {
      if (!client.isOpen) {
        socket.cleanup();
        return;
      }
      if (err) {
        socket.cleanup();
        socket.refuse(err);
        return;
      }
      this.sockets.set(socket.id, socket);
      // The client knows the socket before anything can fail, so that a failure takes it along.
      onConnected(socket);
      socket.onConnect();
      super.emit('connect', socket);
      super.emit('connection', socket);
    } catch (thrown) {
      socket.contain(thrown);
    }
  }
}

/**
 * Builds a namespace's adapter with `new`, as the official server does (the factories of the
 * official adapters are plain functions returning the adapter, which `new` accepts); an arrow
 * function, which `new` refuses, is called plainly.
 */
function constructAdapter(kind: AdapterConstructor, nsp: AdapterNamespace): Adapter {
  if (kind.prototype === undefined) return (kind as (nsp: AdapterNamespace) => Adapter)(nsp);
  return new (kind as new (nsp: AdapterNamespace) => Adapter)(nsp);
}
