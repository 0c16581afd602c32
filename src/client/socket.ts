import { PacketType, RESERVED_EVENTS, type Packet } from '../protocol/socket-io/index.js';
import { callSafely } from './call-safely.js';
import { Emitter } from './emitter.js';
import type { Manager, OutgoingPacket } from './manager.js';
import { admit, packetBytes } from './offline-buffer.js';
import { resolveSocketOptions, type AuthOption, type ResolvedSocketOptions, type SocketOptions } from './options.js';
import type {
  AllButLast,
  AnyListener,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  FirstArg,
  Last,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from './typed-events.js';

/** Why a socket disconnected: the reasons socket.io-client reports. */
type SocketDisconnectReason =
  | 'io server disconnect'
  | 'io client disconnect'
  | 'ping timeout'
  | 'transport close'
  | 'transport error'
  | 'parse error';
export type { SocketDisconnectReason as DisconnectReason };

/** What the lower layer said about a disconnection: the error, or the close event's details. */
export type DisconnectDescription = Error | { description: string; context?: unknown };

/** The error of `connect_error`: a middleware's refusal carries its `data`. */
export interface ExtendedError extends Error {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the server's middleware attached, as the official typings.
  data?: any;
}

/** The events a {@link Socket} emits itself. */
export interface SocketReservedEvents {
  /** The namespace accepted the connection (again, after a reconnection). */
  connect: () => void;
  /** The connection failed or the namespace refused it (`err.message` and `err.data` from its middleware). */
  connect_error: (err: ExtendedError) => void;
  /** The socket disconnected; it reconnects unless the reason is `io server disconnect` or `io client disconnect`. */
  disconnect: (reason: SocketDisconnectReason, description?: DisconnectDescription) => void;
}

// eslint-disable-next-line @typescript-eslint/no-namespace -- `Socket.DisconnectReason`, as socket.io-client's typings name it.
export declare namespace Socket {
  /** Why a socket disconnected. */
  type DisconnectReason = SocketDisconnectReason;
}

type Callback = (...args: unknown[]) => void;
type UntypedListener = (...args: unknown[]) => void;

/** Per-emit modifiers (`volatile`, `compress`, `timeout`), reset after each emit. */
interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
  /** The emit comes from the retry queue, not from the application. */
  fromQueue?: boolean;
}

/** A registered acknowledgement callback. */
interface AckEntry {
  readonly callback: Callback;
  /** Whether the callback takes an error first (after `timeout()`, for `emitWithAck`, for the retry queue). */
  readonly withError: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** An emit waiting in the retry queue (`retries` option). */
interface QueuedEmit {
  readonly event: string;
  /** The arguments, ending with the queue's own acknowledgement callback. */
  readonly args: unknown[];
  readonly flags: Flags;
  /** The application's callback, error first. */
  readonly ack: Callback | undefined;
  /** Encoded size, for the offline buffer's bounds. */
  readonly bytes: number;
  tryCount: number;
  /** Sent and waiting for its acknowledgement. */
  pending: boolean;
}

/** Callbacks that take an error first whatever the flags say. */
const errorFirst = new WeakSet();

const TIMEOUT_MESSAGE = 'operation has timed out';
const DISCONNECTED_MESSAGE = 'socket has been disconnected';

/** The emitter behind a socket's `on`/`off`: the socket's own `emit` sends to the server instead. */
class EventBus extends Emitter<Record<string, unknown[]>> {
  fire(event: string, args: readonly unknown[]): void {
    this.emitEvent(event, ...args);
  }
}

/**
 * One namespace of a server, over the connection of its {@link Manager}: emits events to the
 * server and receives its events, with acknowledgements.
 *
 * While disconnected, emits wait in `sendBuffer` (bounded: see `offlineBuffer`) and are sent
 * once the socket connects again; `volatile` emits are dropped instead.
 *
 * @example
 * const socket = io('https://example.com/chat', { auth: { token } });
 * socket.on('message', (from, text) => show(from, text));
 * const saved = await socket.timeout(5000).emitWithAck('save', draft);
 */
export class Socket<ListenEvents extends EventsMap = DefaultEventsMap, EmitEvents extends EventsMap = ListenEvents> {
  /** The manager (connection) this socket uses. */
  readonly io: Manager<ListenEvents, EmitEvents>;
  /** The session id the namespace gave, while connected. */
  id: string | undefined;
  /** Whether the namespace accepted the connection and it is still up. */
  connected = false;
  /** Whether the last connection restored the previous session (connection state recovery). */
  recovered = false;
  /** What the CONNECT packet carries: an object, or a function that hands one over. */
  auth: AuthOption | undefined;
  /** Events received before `connect` was emitted, delivered just before it. */
  receiveBuffer: (readonly unknown[])[] = [];
  /** Packets emitted while disconnected, sent on the next connection. */
  sendBuffer: OutgoingPacket[] = [];
  /**
   * Packets dropped because the offline buffer was full (emits without an acknowledgement
   * callback; those with one are answered with an error instead).
   */
  droppedPackets = 0;
  /** @internal The namespace. */
  readonly nsp: string;

  readonly #options: ResolvedSocketOptions;
  readonly #events = new EventBus();
  /** Stops listening to the manager; set while the socket is active. */
  #unsubscribe: (() => void) | undefined;
  #ids = 0;
  readonly #acks = new Map<number, AckEntry>();
  #flags: Flags = {};
  #queue: QueuedEmit[] = [];
  /** Connection state recovery: the private session id and the offset of the last event received. */
  #pid: string | undefined;
  #lastOffset: string | undefined;
  #anyListeners: AnyListener[] = [];
  #anyOutgoingListeners: AnyListener[] = [];

  constructor(io: Manager<ListenEvents, EmitEvents>, nsp: string, opts: Partial<SocketOptions> = {}) {
    this.#options = resolveSocketOptions(opts, io._options.offlineBuffer);
    this.io = io;
    this.nsp = nsp;
    this.auth = this.#options.auth;
    if (io._autoConnect) this.open();
  }

  /** Whether the socket is not connected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket is connected or trying to (it follows its manager's reconnections). */
  get active(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /** Connects (or reconnects after `disconnect()`). */
  connect(): this {
    if (this.connected) return this;
    this.#subscribe();
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === 'open') this.#onOpen();
    return this;
  }

  /** Same as {@link connect}. */
  open(): this {
    return this.connect();
  }

  /** Disconnects from the namespace; the connection closes when no other namespace uses it. No reconnection follows. */
  disconnect(): this {
    if (this.connected) this.#packet({ type: PacketType.Disconnect, nsp: this.nsp });
    this.#destroy();
    if (this.connected) this.#onClose('io client disconnect');
    return this;
  }

  /** Same as {@link disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Emits a `message` event. */
  send(...args: unknown[]): this {
    this.#emit('message', args);
    return this;
  }

  /**
   * Emits an event to the server. A function as last argument is the acknowledgement callback
   * (error first after `timeout()` or with `ackTimeout`). Throws for the reserved event names.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): this {
    this.#emit(ev, args);
    return this;
  }

  /**
   * Emits an event and resolves with the server's acknowledgement; rejects when it times out
   * (`timeout()` or `ackTimeout`) or the socket disconnects first.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      // Called with null or an Error first: `errorFirst` marks it so.
      const callback = (err: Error | null, response: FirstArg<Last<EventParams<EmitEvents, Ev>>>): void => {
        if (err) reject(err);
        else resolve(response);
      };
      errorFirst.add(callback);
      this.#emit(ev, [...(args as unknown[]), callback]);
    });
  }

  /** Sets whether the next emit is compressed (default true). */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /** Makes the next emit volatile: dropped when it cannot be sent at once instead of buffered. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /** Gives the next emit's acknowledgement `timeout` ms; its callback then takes an error first. */
  // eslint-disable-next-line @typescript-eslint/prefer-return-this-type -- the same socket, seen with error-first acknowledgements.
  timeout(timeout: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags.timeout = timeout;
    return this;
  }

  /** Adds a listener for an event from the server, or for `connect`, `connect_error`, `disconnect`. */
  on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#events.on(ev, listener as UntypedListener);
    return this;
  }

  /** Adds a listener for the next `ev` only. */
  once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#events.once(ev, listener as UntypedListener);
    return this;
  }

  /** Removes a listener; without one, every listener of `ev`; without arguments, every listener. */
  off<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#events.off(ev, listener as UntypedListener | undefined);
    return this;
  }

  /** Same as {@link off}. */
  removeListener<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.off(ev, listener);
  }

  /** Removes every listener of `ev`, or every listener. */
  removeAllListeners(ev?: ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>): this {
    this.#events.off(ev);
    return this;
  }

  /** The listeners of `ev`, in call order. */
  listeners<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>[] {
    return this.#events.listeners(ev) as ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>[];
  }

  /** Whether `ev` has a listener. */
  hasListeners(ev: ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>): boolean {
    return this.#events.hasListeners(ev);
  }

  /** Adds a listener called with the name and arguments of every event from the server. */
  onAny(listener: AnyListener): this {
    this.#anyListeners.push(listener);
    return this;
  }

  /** Like {@link onAny}, called before the listeners already there. */
  prependAny(listener: AnyListener): this {
    this.#anyListeners.unshift(listener);
    return this;
  }

  /** Removes an `onAny` listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.#anyListeners = removeListener(this.#anyListeners, listener);
    return this;
  }

  /** The `onAny` listeners. */
  listenersAny(): AnyListener[] {
    return [...this.#anyListeners];
  }

  /** Adds a listener called with the name and arguments of every event sent to the server. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.push(listener);
    return this;
  }

  /** Like {@link onAnyOutgoing}, called before the listeners already there. */
  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.unshift(listener);
    return this;
  }

  /** Removes an `onAnyOutgoing` listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoingListeners = removeListener(this.#anyOutgoingListeners, listener);
    return this;
  }

  /** The `onAnyOutgoing` listeners. */
  listenersAnyOutgoing(): AnyListener[] {
    return [...this.#anyOutgoingListeners];
  }

  #emit(ev: string, args: readonly unknown[]): void {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const flags = this.#flags;
    this.#flags = {};
    if (this.#options.retries > 0 && !flags.fromQueue && !flags.volatile) {
      this.#enqueue(ev, [...args], flags);
      return;
    }
    const data: unknown[] = [ev, ...args];
    const packet: OutgoingPacket = {
      type: PacketType.Event,
      nsp: this.nsp,
      data,
      options: { compress: flags.compress !== false },
    };
    const last = data[data.length - 1];
    if (typeof last === 'function') {
      data.pop();
      packet.id = this.#ids++;
      this.#registerAck(packet.id, last as Callback, flags.timeout ?? this.#options.ackTimeout);
    }
    if (flags.volatile && !(this.connected && this.io._readyState === 'open' && this.io.engine.writable)) return;
    if (this.connected) {
      this.#notifyOutgoing(data);
      this.#packet(packet);
    } else {
      this.#buffer(packet);
    }
  }

  #registerAck(id: number, callback: Callback, timeout: number | undefined): void {
    const entry: AckEntry = { callback, withError: timeout !== undefined || errorFirst.has(callback) };
    if (timeout !== undefined) {
      entry.timer = setTimeout(() => {
        this.sendBuffer = this.sendBuffer.filter((packet) => packet.id !== id);
        this.#answerAck(id, new Error(TIMEOUT_MESSAGE));
      }, timeout);
    }
    this.#acks.set(id, entry);
  }

  /**
   * Answers acknowledgement `id` once and forgets it: with the server's values (after `null` for an
   * error-first callback), with an error, or — `undefined` — not at all.
   */
  #answerAck(id: number, answer: readonly unknown[] | Error | undefined): void {
    const entry = this.#acks.get(id);
    if (entry === undefined) return;
    this.#acks.delete(id);
    clearTimeout(entry.timer);
    if (answer === undefined) return;
    callSafely(entry.callback, this, answer instanceof Error ? [answer] : entry.withError ? [null, ...answer] : answer);
  }

  #bufferFullError(): Error {
    const { maxPackets, maxBytes } = this.#options.offlineBuffer;
    return new Error(`offline buffer full (${maxPackets} packets, ${maxBytes} bytes): the emit was not kept`);
  }

  /**
   * `items` with `incoming` added within the offline buffer's bounds, the packets dropped to make
   * room counted; `undefined` when it cannot be kept.
   */
  #admit<T>(items: T[], incoming: T, bytesOf: (item: T) => number, evictable: (item: T) => boolean): T[] | undefined {
    const kept = admit(items, incoming, this.#options.offlineBuffer, bytesOf, evictable);
    if (kept) this.droppedPackets += items.length + 1 - kept.length;
    return kept;
  }

  /** Keeps a packet for the next connection, within the offline buffer's bounds. */
  #buffer(packet: OutgoingPacket): void {
    const kept = this.#admit(this.sendBuffer, packet, packetBytes, (item) => item.id === undefined);
    if (kept) this.sendBuffer = kept;
    else if (packet.id === undefined) this.droppedPackets++;
    else this.#answerAck(packet.id, this.#bufferFullError());
  }

  /** The `retries` queue: one emit in flight at a time, sent again until acknowledged or out of tries. */
  #enqueue(event: string, args: unknown[], flags: Flags): void {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (args.pop() as Callback) : undefined;
    const entry: QueuedEmit = {
      event,
      args,
      flags: { ...flags, fromQueue: true },
      ack,
      bytes: packetBytes({ type: PacketType.Event, nsp: this.nsp, data: [event, ...args] }),
      tryCount: 0,
      pending: false,
    };
    const done = (err: unknown, ...response: unknown[]): void => {
      // A late answer to an entry that already left the queue.
      if (entry !== this.#queue[0]) return;
      if (err === null) {
        this.#queue.shift();
        if (ack) callSafely(ack, this, [null, ...response]);
      } else if (entry.tryCount > this.#options.retries) {
        this.#queue.shift();
        if (ack) callSafely(ack, this, [err]);
      }
      entry.pending = false;
      this.#drainQueue();
    };
    errorFirst.add(done);
    args.push(done);
    const kept = this.#admit(
      this.#queue,
      entry,
      (queued) => queued.bytes,
      (queued) => queued.ack === undefined && !queued.pending,
    );
    if (kept) {
      this.#queue = kept;
      this.#drainQueue();
    } else if (ack === undefined) {
      this.droppedPackets++;
    } else {
      callSafely(ack, this, [this.#bufferFullError()]);
    }
  }

  #drainQueue(force = false): void {
    const entry = this.#queue[0];
    if (!this.connected || entry === undefined || (entry.pending && !force)) return;
    entry.pending = true;
    entry.tryCount++;
    this.#flags = entry.flags;
    this.#emit(entry.event, entry.args);
  }

  #packet(packet: OutgoingPacket): void {
    this.io._packet(packet);
  }

  #notifyOutgoing(data: readonly unknown[]): void {
    for (const listener of [...this.#anyOutgoingListeners]) callSafely(listener, this, data);
  }

  #subscribe(): void {
    if (this.#unsubscribe !== undefined) return;
    const io = this.io;
    const onOpen = (): void => this.#onOpen();
    const onPacket = (packet: Packet): void => this.#onPacket(packet);
    const onError = (error: Error): void => {
      if (!this.connected) this.#emitReserved('connect_error', error);
    };
    const onClose = (reason: string, description?: DisconnectDescription): void =>
      this.#onClose(reason as SocketDisconnectReason, description);
    io.on('open', onOpen).on('packet', onPacket).on('error', onError).on('close', onClose);
    this.#unsubscribe = () =>
      io.off('open', onOpen).off('packet', onPacket).off('error', onError).off('close', onClose);
  }

  #destroy(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.io._destroy(this);
  }

  #onOpen(): void {
    const auth = this.auth;
    if (typeof auth === 'function') auth((data) => this.#sendConnect(data));
    else this.#sendConnect(auth);
  }

  #sendConnect(data: object | undefined): void {
    // Connection state recovery: the session to restore and the last event seen (Socket.IO protocol v5, CONNECT).
    const payload = this.#pid === undefined ? data : { pid: this.#pid, offset: this.#lastOffset, ...data };
    this.#packet({ type: PacketType.Connect, nsp: this.nsp, data: payload });
  }

  #onPacket(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case PacketType.Connect: {
        const data = packet.data as { sid?: unknown; pid?: unknown } | undefined;
        if (typeof data?.sid === 'string') {
          this.#onConnect(data.sid, typeof data.pid === 'string' ? data.pid : undefined);
        } else {
          this.#emitReserved(
            'connect_error',
            new Error('the server accepted the connection without a session id: it does not speak Socket.IO v5'),
          );
        }
        return;
      }
      case PacketType.Event:
      case PacketType.BinaryEvent:
        this.#onEvent(packet);
        return;
      case PacketType.Ack:
      case PacketType.BinaryAck:
        // An answer to an emit that timed out, or an id the server made up, finds nothing waiting.
        this.#answerAck(packet.id!, packet.data as unknown[]);
        return;
      case PacketType.Disconnect:
        this.#destroy();
        this.#onClose('io server disconnect');
        return;
      case PacketType.ConnectError: {
        this.#destroy();
        const data = packet.data as string | { message?: unknown; data?: unknown };
        const error: ExtendedError =
          typeof data === 'string'
            ? new Error(data)
            : Object.assign(new Error(typeof data.message === 'string' ? data.message : ''), { data: data.data });
        this.#emitReserved('connect_error', error);
        return;
      }
    }
  }

  #onEvent(packet: Packet): void {
    const args = [...(packet.data as unknown[])];
    if (packet.id !== undefined) args.push(this.#makeAck(packet.id));
    if (this.connected) this.#emitEvent(args);
    else this.receiveBuffer.push(Object.freeze(args));
  }

  #emitEvent(args: readonly unknown[]): void {
    for (const listener of [...this.#anyListeners]) callSafely(listener, this, args);
    this.#events.fire(String(args[0]), args.slice(1));
    // With connection state recovery the server appends each event's offset as its last argument.
    const last = args[args.length - 1];
    if (this.#pid !== undefined && typeof last === 'string') this.#lastOffset = last;
  }

  #makeAck(id: number): Callback {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: PacketType.Ack, nsp: this.nsp, id, data: args });
    };
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    for (const args of this.receiveBuffer) this.#emitEvent(args);
    this.receiveBuffer = [];
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) {
      this.#notifyOutgoing(packet.data as unknown[]);
      this.#packet(packet);
    }
    this.#drainQueue(true);
    this.#emitReserved('connect');
  }

  #onClose(reason: SocketDisconnectReason, description?: DisconnectDescription): void {
    this.connected = false;
    this.id = undefined;
    this.#emitReserved('disconnect', reason, description);
    // Callbacks of packets still waiting in sendBuffer keep waiting: they go out on the next connection.
    for (const [id, entry] of this.#acks) {
      if (!this.sendBuffer.some((packet) => packet.id === id)) {
        this.#answerAck(id, entry.withError ? new Error(DISCONNECTED_MESSAGE) : undefined);
      }
    }
  }

  #emitReserved<Ev extends keyof SocketReservedEvents>(ev: Ev, ...args: Parameters<SocketReservedEvents[Ev]>): void {
    this.#events.fire(ev, args);
  }
}

function removeListener(listeners: AnyListener[], listener: AnyListener | undefined): AnyListener[] {
  if (listener === undefined) return [];
  const index = listeners.indexOf(listener);
  return index === -1 ? listeners : listeners.filter((_, i) => i !== index);
}
