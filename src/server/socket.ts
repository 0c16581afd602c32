import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type {
  AckCallback,
  Adapter,
  AdapterSocket,
  BroadcastFlags,
  Handshake,
  PrivateSessionId,
  Room,
  Session,
  SocketId,
  WireChunks,
} from '../adapter/index.js';
import { toWireChunks } from '../adapter/index.js';
import { PacketType, RESERVED_EVENTS, type Packet } from '../protocol/socket-io/index.js';
import { ACK_TIMEOUT_MESSAGE, DISCONNECTED_MESSAGE } from './ack-errors.js';
import { BroadcastOperator } from './broadcast-operator.js';
import type { Client } from './client.js';
import { CAPTURE_REJECTIONS, containRejection, rejectionForCaller, type ErrorOwner } from './containment.js';
import { DisconnectReason, RECOVERABLE_DISCONNECT_REASONS } from './disconnect-reason.js';
import type { EngineConnection } from './engine-port.js';
import type { Namespace } from './namespace.js';
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from './typed-events.js';
import { createDebugLog } from '../diagnostics/debug.js';

const debug = createDebugLog('server');

/** A listener of every incoming (or outgoing) event: the event name, then its arguments. */
export type AnyListener = (event: string, ...args: unknown[]) => void;

/**
 * Per-socket middleware, run for every incoming event before its listeners. Call `next()` to go on,
 * `next(err)` to drop the event and emit `error` on the socket. One that throws or rejects
 * disconnects the client with `"server error"`.
 */
export type EventMiddleware = (event: [string, ...unknown[]], next: (err?: Error) => void) => void;

function newSocketId(): SocketId {
  return randomBytes(15).toString('base64url');
}

/** The events a socket raises itself, beside the client's. */
export interface SocketReservedEvents {
  /** The socket is leaving its namespace; its rooms are still joined. */
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  /** The socket left its namespace. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  /** A malformed packet arrived, or an event middleware refused an event. */
  error: (err: Error) => void;
}

/** No flags: what an emit without `timeout`, `volatile` or `compress` uses. */
const NO_FLAGS: BroadcastFlags = Object.freeze({});

function buildHandshake(conn: EngineConnection, auth: Record<string, unknown>, issued: number): Handshake {
  const request = conn.request;
  const url = request.url ?? '/';
  const queryIndex = url.indexOf('?');
  const query = queryIndex === -1 ? {} : parseQuery(url.slice(queryIndex + 1));
  const tlsSocket = request.socket as { encrypted?: boolean } | undefined;
  return {
    headers: request.headers,
    time: new Date(issued).toString(),
    address: conn.remoteAddress ?? request.socket?.remoteAddress ?? '',
    xdomain: request.headers.origin !== undefined,
    secure: tlsSocket?.encrypted === true,
    issued,
    url,
    query: { ...query },
    auth,
  };
}

/**
 * A client's connection to one namespace: the object `io.on('connection', (socket) => ...)` gets.
 *
 * `emit` sends an event to this client; listeners added with `on` receive the client's events.
 * A function as last argument of `emit` asks the client for an acknowledgement, and a function
 * as last argument of an incoming event answers the client's.
 *
 * The type parameters, all optional, declare the application's events so that every `on` and
 * `emit` is checked: `ListenEvents` from the client, `EmitEvents` to it, `ServerSideEvents`
 * between the nodes of a cluster, and `SocketData` for {@link Socket.data}.
 *
 * @example
 * io.on('connection', (socket) => {
 *   socket.join('lobby');
 *   socket.on('chat', (text: string, ack: (ok: boolean) => void) => {
 *     socket.to('lobby').emit('chat', socket.id, text);
 *     ack(true);
 *   });
 *   socket.timeout(1000).emit('ping', (err: Error | null, answer: unknown) => {});
 * });
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
>
  extends EventEmitter
  implements AdapterSocket, ErrorOwner
{
  /** Session id, also the name of the room the socket is always in. */
  readonly id: SocketId;
  /** The namespace the socket belongs to. */
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connection (shared by the client's sockets in every namespace). */
  readonly client: Client;
  /** Whether the socket is connected to its namespace. */
  connected = false;
  /** Whether the socket's state (id, rooms, data, missed packets) was restored from a previous session. */
  readonly recovered: boolean;
  /** Private session id, sent to the client to recover the session; `undefined` without recovery. */
  readonly pid: PrivateSessionId | undefined;
  /** Acknowledgements awaited from the client, by packet id; created with the first (most sockets never wait for one). */
  private ackCallbacks: Map<number, AckCallback> | undefined;
  /*
   * What most sockets never use is created on first use, so an idle client costs little memory:
   * event middlewares, flags of the next emit, `data`, and the handshake (built from the request
   * and the CONNECT payload kept here).
   */
  private fns: EventMiddleware[] | undefined;
  private flags: BroadcastFlags | undefined;
  private ownData: Record<string, unknown> | undefined;
  private builtHandshake: Handshake | undefined;
  private readonly auth: Record<string, unknown>;
  private readonly issued = Date.now();
  private anyListeners: AnyListener[] | undefined;
  private anyOutgoingListeners: AnyListener[] | undefined;
  private readonly pendingPackets: unknown[][] | undefined;
  /** Set as the socket starts leaving (or is refused), before any listener runs. */
  private left = false;

  /** @internal Created by the namespace when a client connects. */
  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    previousSession?: Session,
  ) {
    super(CAPTURE_REJECTIONS);
    this.nsp = nsp;
    this.client = client;
    this.auth = auth;
    if (previousSession) {
      this.id = previousSession.sid;
      this.pid = previousSession.pid;
      containRejection(this.adapter.addAll(this.id, new Set(previousSession.rooms)), this);
      this.ownData = previousSession.data as Record<string, unknown> | undefined;
      this.pendingPackets = previousSession.missedPackets;
      this.recovered = true;
    } else {
      this.id = newSocketId();
      this.pid = nsp.recovery ? randomBytes(15).toString('base64url') : undefined;
      this.recovered = false;
    }
  }

  /** Details of the connection request and of the CONNECT packet. */
  get handshake(): Handshake {
    return (this.builtHandshake ??= buildHandshake(this.client.conn, this.auth, this.issued));
  }

  /** Free-form data, kept across a recovered disconnection and visible through `fetchSockets()`. */
  get data(): SocketData {
    return (this.ownData ??= {}) as SocketData;
  }

  set data(value: SocketData) {
    this.ownData = value as Record<string, unknown>;
  }

  /** The namespace's adapter. */
  get adapter(): Adapter {
    return this.nsp.adapter;
  }

  /** The underlying Engine.IO connection. */
  get conn(): EngineConnection {
    return this.client.conn;
  }

  /**
   * The HTTP request that opened the connection: the `IncomingMessage` itself when the engine has
   * middlewares (`io.engine.use()`, so a session or user they attached is there), else a lighter
   * copy with its method, URL, headers, socket and the properties the application added.
   */
  get request(): IncomingMessage {
    return this.client.conn.request;
  }

  /**
   * Acknowledgement callbacks awaited from the client, by packet id. Public for socket.io-adapter
   * compatibility (its broadcasts register theirs with `socket.acks.set(id, ack)`); the map is made
   * on first use, so a socket that never waits for an answer carries none.
   */
  get acks(): Map<number, AckCallback> {
    return (this.ackCallbacks ??= new Map());
  }

  /** Rooms the socket is in (its own id included). A copy: changing it changes nothing. */
  get rooms(): Set<Room> {
    return new Set(this.adapter.socketRooms(this.id) ?? []);
  }

  /** Whether the socket has left its namespace. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /**
   * Sends an event to the client. A function as last argument is called with the client's
   * acknowledgement (preceded by an error argument after {@link Socket.timeout}).
   *
   * @example
   * socket.emit('hello', 'world', { binary: Buffer.from([1, 2, 3]) });
   * socket.emit('question', (answer: string) => console.log(answer));
   */
  override emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    const packet: Packet = { type: PacketType.Event, nsp: this.nsp.name, data };
    const last = data[data.length - 1];
    if (typeof last === 'function') {
      data.pop();
      const id = this.nsp.nextAckId();
      this.registerAckCallback(id, last as AckCallback);
      packet.id = id;
    }
    const flags = this.flags ?? NO_FLAGS;
    this.flags = undefined;
    if (this.nsp.recovery) {
      // Through the adapter, so the packet gets an offset and is logged for replay after a drop.
      containRejection(this.adapter.broadcast(packet, { rooms: new Set([this.id]), except: new Set(), flags }), this);
    } else {
      this.notifyOutgoingListeners(packet);
      this.writePacket(packet, flags);
    }
    return true;
  }

  /**
   * Emits an event and resolves with the client's acknowledgement; rejects after
   * {@link Socket.timeout} when the client does not answer in time.
   *
   * @example
   * const answer = await socket.timeout(2000).emitWithAck('question', 42);
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<EmitWithAckResult<EmitEvents, Ev>> {
    const withError = this.flags?.timeout !== undefined;
    return new Promise((resolve, reject) => {
      type Response = EmitWithAckResult<EmitEvents, Ev>;
      const ack = withError
        ? (err: Error | null, response: Response) => (err ? reject(err) : resolve(response))
        : (response: Response) => resolve(response);
      (this as Socket).emit(event, ...args, ack);
    });
  }

  /** Sends a `message` event. */
  send(...args: unknown[]): this {
    (this as Socket).emit('message', ...args);
    return this;
  }

  /** Same as {@link Socket.send}. */
  write(...args: unknown[]): this {
    return this.send(...args);
  }

  /** Sets a timeout for the acknowledgement of the next emit; its callback then takes an error first. */
  // eslint-disable-next-line @typescript-eslint/prefer-return-this-type -- the emit events change: not `this`'s type.
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    (this.flags ??= {}).timeout = ms;
    return this;
  }

  /** Marks the next emit as volatile: dropped if the connection cannot take it right now. */
  get volatile(): this {
    (this.flags ??= {}).volatile = true;
    return this;
  }

  /** Sets whether the next emit is compressed. */
  compress(compress: boolean): this {
    (this.flags ??= {}).compress = compress;
    return this;
  }

  /** Targets every other socket of the namespace with the next emit. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator();
  }

  /** Targets this node only with the next broadcast. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().local;
  }

  /** Targets the sockets in `room` (this one excepted). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().to(room);
  }

  /** Same as {@link Socket.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().in(room);
  }

  /** Targets every other socket except those in `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.newBroadcastOperator().except(room);
  }

  /**
   * Joins one or more rooms (also from a connection middleware). Does nothing once the socket has
   * started leaving. With an adapter that answers with a promise, a rejection is the caller's if
   * it awaits the promise or attaches a handler in the same turn (the client stays); one nobody
   * handles disconnects the client with `"server error"` and is reported, as any failure.
   *
   * @example
   * try {
   *   await socket.join(room);
   * } catch (err) {
   *   socket.emit('join failed', room); // the client stays connected
   * }
   */
  join(rooms: Room | Room[]): Promise<void> | void {
    // A socket that left must not reappear in the adapter, where nothing would ever remove it.
    if (this.left) return;
    return rejectionForCaller(this.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms])), this);
  }

  /** Leaves a room; a rejection of the adapter's promise is handled as for {@link Socket.join}. */
  leave(room: Room): Promise<void> | void {
    return rejectionForCaller(this.adapter.del(this.id, room), this);
  }

  /**
   * Disconnects from the namespace (the client is told, with reason `"io server disconnect"`),
   * or, with `close`, closes the whole connection and every namespace on it.
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.disconnectAll();
    } else {
      this.writePacket({ type: PacketType.Disconnect, nsp: this.nsp.name }, {});
      this.onClose(DisconnectReason.ServerNamespaceDisconnect);
    }
    return this;
  }

  /**
   * Listens to one of the client's events, or to `disconnecting`, `disconnect` or `error`.
   *
   * @example
   * socket.on('chat', (text, ack) => ack(text.length > 0));
   * socket.on('disconnect', (reason) => console.log(socket.id, reason));
   */
  override on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    event: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(event, listener);
  }

  /** Listens to one of the client's events, or to a reserved one, once. */
  override once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    event: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(event, listener);
  }

  /** Removes a listener. */
  override off<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    event: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.off(event, listener);
  }

  /** Adds a middleware run for every incoming event of this socket. */
  use(fn: EventMiddleware): this {
    (this.fns ??= []).push(fn);
    return this;
  }

  /** Adds a listener called for every incoming event. */
  onAny(listener: AnyListener): this {
    (this.anyListeners ??= []).push(listener);
    return this;
  }

  /** Adds a listener called for every incoming event, before the others. */
  prependAny(listener: AnyListener): this {
    (this.anyListeners ??= []).unshift(listener);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.anyListeners = removeListener(this.anyListeners, listener);
    return this;
  }

  /** Catch-all listeners of incoming events. */
  listenersAny(): AnyListener[] {
    return [...(this.anyListeners ?? [])];
  }

  /** Adds a listener called for every outgoing event. */
  onAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).push(listener);
    return this;
  }

  /** Adds a listener called for every outgoing event, before the others. */
  prependAnyOutgoing(listener: AnyListener): this {
    (this.anyOutgoingListeners ??= []).unshift(listener);
    return this;
  }

  /** Removes one catch-all outgoing listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.anyOutgoingListeners = removeListener(this.anyOutgoingListeners, listener);
    return this;
  }

  /** Catch-all listeners of outgoing events. */
  listenersAnyOutgoing(): AnyListener[] {
    return [...(this.anyOutgoingListeners ?? [])];
  }

  /**
   * Adapter port ({@link AdapterSocket}, which adapters call, so it is public): writes a packet
   * the adapter encoded once for every recipient.
   */
  deliver(packet: Packet, chunks: WireChunks, flags: BroadcastFlags): void {
    this.notifyOutgoingListeners(packet);
    this.client.deliverToEngine(chunks, flags);
  }

  /** Adapter port ({@link AdapterSocket}): a broadcast with ack expects an ACK with `id` from this client. */
  registerAck(id: number, ack: AckCallback): void {
    this.acks.set(id, ack);
  }

  /** Adapter port ({@link AdapterSocket}): the broadcast waiting for ACK `id` timed out. */
  clearAck(id: number): void {
    this.ackCallbacks?.delete(id);
  }

  /** @internal Called by the namespace once the middlewares let the socket in. */
  onConnect(): void {
    this.connected = true;
    containRejection(this.adapter.addAll(this.id, new Set([this.id])), this);
    const reply: Record<string, string> = { sid: this.id };
    if (this.pid !== undefined) reply.pid = this.pid;
    debug('socket %s connected to %s over session %s', this.id, this.nsp.name, this.conn.id);
    // A recovered session's missed packets go before the CONNECT, as the official server sends them:
    // its client holds them until the CONNECT and hands them to the application before 'connect'.
    if (this.pendingPackets) {
      for (const data of this.pendingPackets)
        this.writePacket({ type: PacketType.Event, nsp: this.nsp.name, data }, {});
    }
    this.writePacket({ type: PacketType.Connect, nsp: this.nsp.name, data: reply }, {});
  }

  /** @internal Handles a packet for this namespace. */
  onPacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.Event:
      case PacketType.BinaryEvent:
        this.onEvent(packet);
        return;
      case PacketType.Ack:
      case PacketType.BinaryAck:
        this.onAck(packet);
        return;
      case PacketType.Disconnect:
        this.onClose(DisconnectReason.ClientNamespaceDisconnect);
        return;
    }
  }

  /** @internal Reports a connection-level error (a malformed packet) to `error` listeners, if any. */
  onError(err: Error): void {
    if (this.listenerCount('error') > 0) super.emit('error', err);
  }

  /**
   * @internal Leaves the namespace: emits `disconnecting` (rooms still joined), keeps the session
   * for recovery when the reason allows, then emits `disconnect`. A listener or adapter that fails
   * on the way is contained (the client is closed with "server error" if it is still open) and
   * the socket leaves all the same, once: the failure does not start its leaving over.
   */
  onClose(reason: string, description?: unknown): void {
    if (!this.connected || this.left) return;
    this.left = true;
    this.runContained(() => super.emit('disconnecting', reason, description));
    if (this.nsp.recovery && this.pid !== undefined && RECOVERABLE_DISCONNECT_REASONS.has(reason)) {
      const pid = this.pid;
      this.runContained(() =>
        this.adapter.persistSession({ sid: this.id, pid, rooms: [...this.rooms], data: this.data }),
      );
    }
    this.cleanup();
    this.client.remove(this);
    this.connected = false;
    debug('socket %s left %s: %s', this.id, this.nsp.name, reason);
    this.runContained(() => super.emit('disconnect', reason, description));
  }

  /** @internal Drops room memberships and the namespace's reference (also for a rejected socket). */
  cleanup(): void {
    this.left = true;
    this.runContained(() => this.adapter.delAll(this.id));
    this.nsp.remove(this);
    // Acks waiting with a timeout fail now rather than at their deadline; the others are dropped.
    const acks = this.ackCallbacks;
    this.ackCallbacks = undefined;
    if (acks !== undefined) {
      for (const ack of acks.values()) {
        const notifyDisconnected = timedAcks.get(ack);
        if (notifyDisconnected !== undefined) this.runContained(notifyDisconnected);
      }
    }
  }

  /** @internal Disconnects the client with "server error" and reports `err`: something failed on this socket's behalf. */
  contain(err: unknown): void {
    this.client.fail(err, this);
  }

  /** @internal An async listener of this socket rejected. */
  override [EventEmitter.captureRejectionSymbol](err: Error): void {
    this.contain(err);
  }

  /** @internal Sends a CONNECT_ERROR for a socket refused by a middleware (or one whose middleware failed). */
  refuse(err: { readonly message: string; readonly data?: unknown }): void {
    const payload: Record<string, unknown> = { message: err.message };
    if (err.data !== undefined) payload.data = err.data;
    debug('connection to %s over session %s refused: %s', this.nsp.name, this.conn.id, err.message);
    this.writePacket({ type: PacketType.ConnectError, nsp: this.nsp.name, data: payload }, {});
  }

  private writePacket(packet: Packet, flags: BroadcastFlags): void {
    this.client.writeToEngine(toWireChunks(packet), flags);
  }

  /**
   * Runs application code (a listener, a callback) or an adapter call from a path of the server's
   * own, a timer or a disconnection: what it throws or rejects is contained, never thrown back.
   */
  private runContained(fn: () => unknown): void {
    try {
      containRejection(fn(), this);
    } catch (err) {
      this.contain(err);
    }
  }

  private newBroadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    const flags = this.flags ?? {};
    this.flags = undefined;
    return new BroadcastOperator(this.adapter, this, new Set(), new Set([this.id]), flags);
  }

  private registerAckCallback(id: number, ack: AckCallback): void {
    const timeout = this.flags?.timeout;
    const acks = this.acks;
    if (timeout === undefined) {
      acks.set(id, ack);
      return;
    }
    const timer = setTimeout(() => {
      this.ackCallbacks?.delete(id);
      this.runContained(() => ack(new Error(ACK_TIMEOUT_MESSAGE)));
    }, timeout);
    // Both pass on what the callback returns, so that the rejection of an async one is caught.
    const wrapped: AckCallback = (...args) => {
      clearTimeout(timer);
      return ack(null, ...args);
    };
    timedAcks.set(wrapped, () => {
      clearTimeout(timer);
      return ack(new Error(DISCONNECTED_MESSAGE));
    });
    acks.set(id, wrapped);
  }

  private onEvent(packet: Packet): void {
    const args = packet.data as unknown[];
    if (packet.id !== undefined) args.push(this.makeAck(packet.id));
    if (this.anyListeners?.length) {
      for (const listener of [...this.anyListeners])
        containRejection(listener(...(args as [string, ...unknown[]])), this);
    }
    this.dispatch(args as [string, ...unknown[]]);
  }

  private dispatch(event: [string, ...unknown[]]): void {
    const fns = this.fns;
    if (fns === undefined) {
      this.emitToListeners(event);
      return;
    }
    let index = 0;
    // A middleware may call `next` from a callback of its own, so each step contains what it raises.
    const next = (err?: Error): void => {
      if (!this.connected) return;
      try {
        if (err) {
          this.onError(err);
          return;
        }
        const fn = fns[index++];
        if (fn) containRejection(fn(event, once(next)), this);
        else this.emitToListeners(event);
      } catch (thrown) {
        this.contain(thrown);
      }
    };
    next();
  }

  private emitToListeners(event: [string, ...unknown[]]): void {
    // An `error` event sent by the client must not throw for want of a listener.
    if (event[0] === 'error' && this.listenerCount('error') === 0) return;
    super.emit(...event);
  }

  private makeAck(id: number): AckCallback {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      sent = true;
      this.writePacket({ type: PacketType.Ack, nsp: this.nsp.name, id, data: args }, {});
    };
  }

  private onAck(packet: Packet): void {
    const id = packet.id!;
    const acks = this.ackCallbacks;
    const ack = acks?.get(id);
    if (!ack) return;
    acks!.delete(id);
    containRejection(ack(...(packet.data as unknown[])), this);
  }

  /**
   * Runs the `onAnyOutgoing` listeners for a packet being sent: from the application's `emit`, or
   * from a broadcast, once per recipient. A listener that fails is this socket's failure alone,
   * never the sender's nor the other recipients'. Public for socket.io-adapter compatibility: its
   * broadcasts call it before writing to each recipient.
   */
  notifyOutgoingListeners(packet: Packet): void {
    if (!this.anyOutgoingListeners?.length || !Array.isArray(packet.data)) return;
    try {
      for (const listener of [...this.anyOutgoingListeners]) {
        containRejection(listener(...(packet.data as [string, ...unknown[]])), this);
      }
    } catch (err) {
      this.contain(err);
    }
  }
}

/** For each acknowledgement callback waiting with a timeout, what tells it the socket disconnected first. */
const timedAcks = new WeakMap<AckCallback, () => unknown>();

function once(fn: (err?: Error) => void): (err?: Error) => void {
  let called = false;
  return (err) => {
    if (called) return;
    called = true;
    fn(err);
  };
}

function removeListener(list: AnyListener[] | undefined, listener: AnyListener | undefined): AnyListener[] | undefined {
  if (!list || !listener) return undefined;
  const index = list.indexOf(listener);
  if (index !== -1) list.splice(index, 1);
  return list;
}
