import { EventEmitter } from 'node:events';
import type { Adapter, AdapterNamespace, RecoverySettings, Room, SocketId } from '../adapter/index.js';
import { RESERVED_EVENTS } from '../protocol/socket-io/index.js';
import { BroadcastOperator, type RemoteSocket } from './broadcast-operator.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { Socket } from './socket.js';

/** An Error a connection middleware may pass to `next`: `data` reaches the client's `connect_error`. */
export interface ConnectionError extends Error {
  data?: unknown;
}

/**
 * Connection middleware: runs when a client asks to join the namespace, before `connection`.
 * `next()` lets it in; `next(err)` refuses it with a CONNECT_ERROR `{ message, data }`.
 */
export type ConnectionMiddleware = (socket: Socket, next: (err?: ConnectionError) => void) => void | Promise<void>;

const NAMESPACE_RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connection', 'new_namespace']);

/**
 * A communication channel multiplexed over each client connection: its own sockets, rooms,
 * middlewares and adapter. `io.of('/chat')` returns one; `io.sockets` is the main namespace `/`.
 *
 * @example
 * const admin = io.of('/admin');
 * admin.use((socket, next) => (socket.handshake.auth.token === secret ? next() : next(new Error('forbidden'))));
 * admin.on('connection', (socket) => socket.emit('welcome'));
 * admin.to('ops').emit('alert', 'disk full');
 */
export class Namespace extends EventEmitter implements AdapterNamespace {
  /** The namespace name, e.g. `/chat`. */
  readonly name: string;
  /** The server the namespace belongs to. */
  readonly server: Server;
  /** Sockets connected to this namespace on this node. */
  readonly sockets = new Map<SocketId, Socket>();
  /** Room membership and delivery. */
  adapter: Adapter;
  /** @internal The parent of a dynamically created namespace. */
  readonly parent: Namespace | undefined;
  protected readonly fns: ConnectionMiddleware[] = [];
  private ackIds = 0;

  /** @internal Use `io.of(name)`. */
  constructor(server: Server, name: string, parent?: Namespace) {
    super();
    this.server = server;
    this.name = name;
    this.parent = parent;
    this.adapter = this.createAdapter();
  }

  /** @internal Builds the adapter; overridden by parent namespaces. */
  protected createAdapter(): Adapter {
    const adapter = new this.server.adapterConstructor(this);
    // An adapter that cannot start (a broker that is down) must not crash the process; it is reported.
    const report = (err: unknown): void =>
      process.emitWarning(`adapter of namespace ${this.name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
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

  /** @internal Adapter port. */
  nextAckId(): number {
    return this.ackIds++;
  }

  /** @internal Emits to local listeners (`connection`, `new_namespace`), never to clients. */
  emitReserved(event: string, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }

  /** @internal Adapter port: an event another node sent with `serverSideEmit`. */
  onServerSideEmit(args: unknown[]): void {
    super.emit(...(args as [string, ...unknown[]]));
  }

  /** Adds a connection middleware. */
  use(fn: ConnectionMiddleware): this {
    this.fns.push(fn);
    return this;
  }

  /** Targets the sockets in `room`. */
  to(room: Room | Room[]): BroadcastOperator {
    return new BroadcastOperator(this.adapter).to(room);
  }

  /** Same as {@link Namespace.to}. */
  in(room: Room | Room[]): BroadcastOperator {
    return this.to(room);
  }

  /** Targets every socket except those in `room`. */
  except(room: Room | Room[]): BroadcastOperator {
    return new BroadcastOperator(this.adapter).except(room);
  }

  /** Emits an event to every socket of the namespace (a function as last argument collects acks). */
  override emit(event: string, ...args: unknown[]): boolean {
    return new BroadcastOperator(this.adapter).emit(event, ...args);
  }

  /** Emits to every socket and resolves with all acknowledgements. */
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown[]> {
    return new BroadcastOperator(this.adapter).emitWithAck(event, ...args);
  }

  /** Sends a `message` event to every socket. */
  send(...args: unknown[]): this {
    this.emit('message', ...args);
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
  serverSideEmit(event: string, ...args: unknown[]): boolean {
    if (NAMESPACE_RESERVED_EVENTS.has(event) || RESERVED_EVENTS.has(event)) {
      throw new Error(`"${event}" is a reserved event name`);
    }
    this.adapter.serverSideEmit([event, ...args]);
    return true;
  }

  /** Like {@link Namespace.serverSideEmit}, resolving with the other nodes' answers. */
  serverSideEmitWithAck(event: string, ...args: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(event, ...args, (err: Error | null, responses: unknown[]) =>
        err ? reject(err) : resolve(responses),
      );
    });
  }

  /** Sets whether the next broadcast is compressed. */
  compress(compress: boolean): BroadcastOperator {
    return new BroadcastOperator(this.adapter).compress(compress);
  }

  /** Drops the next broadcast for clients that cannot take it right now. */
  get volatile(): BroadcastOperator {
    return new BroadcastOperator(this.adapter).volatile;
  }

  /** Targets this node's sockets only. */
  get local(): BroadcastOperator {
    return new BroadcastOperator(this.adapter).local;
  }

  /** Sets the acknowledgement timeout of the next broadcast. */
  timeout(ms: number): BroadcastOperator {
    return new BroadcastOperator(this.adapter).timeout(ms);
  }

  /** Describes the namespace's sockets, on every node. */
  fetchSockets(): Promise<RemoteSocket[]> {
    return new BroadcastOperator(this.adapter).fetchSockets();
  }

  /** Makes every socket join rooms. */
  socketsJoin(room: Room | Room[]): void {
    new BroadcastOperator(this.adapter).socketsJoin(room);
  }

  /** Makes every socket leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    new BroadcastOperator(this.adapter).socketsLeave(room);
  }

  /** Disconnects every socket (and their connections with `close`). */
  disconnectSockets(close = false): void {
    new BroadcastOperator(this.adapter).disconnectSockets(close);
  }

  /**
   * @internal Adds a client to the namespace: restores its session when it asks for recovery,
   * runs the middlewares (skipped for a recovered session when configured), then connects it.
   */
  async add(client: Client, auth: Record<string, unknown>, onConnected: (socket: Socket) => void): Promise<void> {
    const socket = await this.createSocket(client, auth);
    const skip = this.server.recoveryOptions?.skipMiddlewares === true && socket.recovered;
    if (skip && client.isOpen) {
      this.doConnect(socket, onConnected);
      return;
    }
    this.runMiddlewares(socket, (err) => {
      if (!client.isOpen) {
        socket.cleanup();
        return;
      }
      if (err) {
        socket.cleanup();
        socket.refuse(err);
        return;
      }
      this.doConnect(socket, onConnected);
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
  protected middlewareChain(): ConnectionMiddleware[] {
    return this.parent ? [...this.parent.middlewareChain(), ...this.fns] : this.fns;
  }

  private async createSocket(client: Client, auth: Record<string, unknown>): Promise<Socket> {
    const pid = auth.pid;
    const offset = auth.offset;
    // The official client sends no offset when it never received one; '' asks the adapter to work it out.
    if (this.recovery && typeof pid === 'string' && (typeof offset === 'string' || offset === undefined)) {
      const session = await this.adapter.restoreSession(pid, offset ?? '').catch(() => null);
      if (session) return new Socket(this, client, auth, session);
    }
    return new Socket(this, client, auth);
  }

  private runMiddlewares(socket: Socket, done: (err?: ConnectionError) => void): void {
    const fns = this.middlewareChain();
    let index = 0;
    const next = (err?: ConnectionError): void => {
      if (err) {
        done(err);
        return;
      }
      const fn = fns[index++];
      if (!fn) {
        done();
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
        // A middleware written as an async function may reject instead of calling next(err).
        if (result instanceof Promise) result.catch((rejection: unknown) => step(toError(rejection)));
      } catch (thrown) {
        step(toError(thrown));
      }
    };
    next();
  }

  private doConnect(socket: Socket, onConnected: (socket: Socket) => void): void {
    this.sockets.set(socket.id, socket);
    socket.onConnect();
    onConnected(socket);
    super.emit('connect', socket);
    super.emit('connection', socket);
  }
}

function toError(value: unknown): ConnectionError {
  return value instanceof Error ? value : new Error(String(value));
}
