import { PacketType, RESERVED_EVENTS, type Packet } from '../protocol/socket-io/index.js';
import { callSafely } from './call-safely.js';
import { Emitter } from './emitter.js';
import { NOT_COMPRESSED } from './engine/transport.js';
import type { Manager, OutgoingPacket } from './manager.js';
import { packetBytes } from './offline-buffer.js';
import {
  DEFAULT_OFFLINE_MAX_BYTES,
  DEFAULT_OFFLINE_MAX_PACKETS,
  NO_OPTIONS,
  checkSocketOptions,
  type AuthOption,
  type SocketOptions,
} from './options.js';
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

/** Per-emit modifiers (`volatile`, `compress`, `timeout`), reset after each emit. */
interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
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
  readonly flags: Readonly<Flags>;
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

/** The typed listener methods; the implementations are the {@link Emitter}'s. */
export interface Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the class's type parameters, which a merged declaration must repeat.
  EmitEvents extends EventsMap = ListenEvents,
> {
  /** Adds a listener for an event from the server, or for `connect`, `connect_error`, `disconnect`. */
  on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  /** Adds a listener for the next `ev` only. */
  once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  /** Removes a listener; without one, every listener of `ev`; without arguments, every listener. */
  off<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  /** The listeners of `ev`, in call order. */
  listeners<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>[];
  /** Whether `ev` has a listener. */
  hasListeners(ev: ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>): boolean;
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
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface above only types the inherited listener methods.
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed by the interface above.
> extends Emitter<Record<string, any[]>> {
  // `declare` (io, auth, nsp): the constructor sets them, so the bundle needs no field definitions.
  /** The manager (connection) this socket uses. */
  declare readonly io: Manager<ListenEvents, EmitEvents>;
  /** The session id the namespace gave, while connected. */
  id: string | undefined;
  /** Whether the namespace accepted the connection and it is still up. */
  connected = false;
  /** Whether the last connection restored the previous session (connection state recovery). */
  recovered = false;
  /** What the CONNECT packet carries: an object, or a function that hands one over. */
  declare auth: AuthOption | undefined;
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
  declare readonly nsp: string;

  /** The options as given: read where used, never copied. */
  readonly #opts: Partial<SocketOptions>;
  /** Whether the socket follows its manager's connection (between `connect()` and `disconnect()`). */
  #active = false;
  #ids = 0;
  // Made when first needed: an idle socket has no acknowledgement, flag, queue or catch-all listener.
  #acks: Map<number, AckEntry> | undefined;
  #flags: Flags | undefined;
  #queue: QueuedEmit[] | undefined;
  #any: AnyListener[] | undefined;
  #anyOutgoing: AnyListener[] | undefined;
  /** Bytes of `sendBuffer` and of `#queue`, kept as they change, for the offline buffer's bounds. */
  #sendBytes = 0;
  #queueBytes = 0;
  /** The `sendBuffer` array and length `#sendBytes` counts: the application may replace or empty it. */
  #counted: OutgoingPacket[] | undefined;
  #countedLength = 0;
  /** Connection state recovery: the private session id and the offset of the last event received. */
  #pid: string | undefined;
  #lastOffset: string | undefined;

  constructor(io: Manager<ListenEvents, EmitEvents>, nsp: string, opts: Partial<SocketOptions> = NO_OPTIONS) {
    super();
    checkSocketOptions(opts);
    this.#opts = opts;
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    if (io.opts.autoConnect !== false) this.open();
  }

  /** Whether the socket is not connected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket is connected or trying to (it follows its manager's reconnections). */
  get active(): boolean {
    return this.#active;
  }

  /** Connects (or reconnects after `disconnect()`). */
  connect(): this {
    if (this.connected) return this;
    this.#active = true;
    this.io._addSocketListeners();
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === 'open') this._onOpen();
    return this;
  }

  /** Same as {@link connect}. */
  open(): this {
    return this.connect();
  }

  /** Disconnects from the namespace; the connection closes when no other namespace uses it. No reconnection follows. */
  disconnect(): this {
    if (this.connected) this.io._packet({ type: PacketType.Disconnect, nsp: this.nsp });
    this.#destroy();
    if (this.connected) this._onClose('io client disconnect');
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
    (this.#flags ??= {}).compress = compress;
    return this;
  }

  /** Makes the next emit volatile: dropped when it cannot be sent at once instead of buffered. */
  get volatile(): this {
    (this.#flags ??= {}).volatile = true;
    return this;
  }

  /** Gives the next emit's acknowledgement `timeout` ms; its callback then takes an error first. */
  // eslint-disable-next-line @typescript-eslint/prefer-return-this-type -- the same socket, seen with error-first acknowledgements.
  timeout(timeout: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    (this.#flags ??= {}).timeout = timeout;
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
    return this.off(ev);
  }

  /** Adds a listener called with the name and arguments of every event from the server. */
  onAny(listener: AnyListener): this {
    (this.#any ??= []).push(listener);
    return this;
  }

  /** Like {@link onAny}, called before the listeners already there. */
  prependAny(listener: AnyListener): this {
    (this.#any ??= []).unshift(listener);
    return this;
  }

  /** Removes an `onAny` listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.#any = without(this.#any, listener);
    return this;
  }

  /** The `onAny` listeners. */
  listenersAny(): AnyListener[] {
    return [...(this.#any ?? [])];
  }

  /** Adds a listener called with the name and arguments of every event sent to the server. */
  onAnyOutgoing(listener: AnyListener): this {
    (this.#anyOutgoing ??= []).push(listener);
    return this;
  }

  /** Like {@link onAnyOutgoing}, called before the listeners already there. */
  prependAnyOutgoing(listener: AnyListener): this {
    (this.#anyOutgoing ??= []).unshift(listener);
    return this;
  }

  /** Removes an `onAnyOutgoing` listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoing = without(this.#anyOutgoing, listener);
    return this;
  }

  /** The `onAnyOutgoing` listeners. */
  listenersAnyOutgoing(): AnyListener[] {
    return [...(this.#anyOutgoing ?? [])];
  }

  /** @internal The connection opened: asks the namespace to connect. */
  _onOpen(): void {
    const auth = this.auth;
    if (typeof auth === 'function') auth((data) => this.#sendConnect(data));
    else this.#sendConnect(auth);
  }

  /** @internal The connection failed. */
  _onError(error: Error): void {
    if (!this.connected) this.emitEvent('connect_error', error);
  }

  /** @internal A packet of this namespace arrived. */
  _onPacket(packet: Packet): void {
    const data = packet.data as { sid?: unknown; pid?: unknown; message?: unknown; data?: unknown };
    switch (packet.type) {
      case PacketType.Connect:
        if (typeof data?.sid === 'string')
          this.#onConnect(data.sid, typeof data.pid === 'string' ? data.pid : undefined);
        else this.emitEvent('connect_error', new Error('no session id: not a Socket.IO v5 server'));
        return;
      case PacketType.Event:
      case PacketType.BinaryEvent: {
        const args = [...(data as unknown as unknown[])];
        if (packet.id !== undefined) args.push(this.#makeAck(packet.id));
        if (this.connected) this.#emitEvent(args);
        else this.receiveBuffer.push(args);
        return;
      }
      case PacketType.Ack:
      case PacketType.BinaryAck:
        // An answer to an emit that timed out, or an id the server made up, finds nothing waiting.
        this.#answerAck(packet.id!, data as unknown as unknown[]);
        return;
      case PacketType.Disconnect:
        this.#destroy();
        this._onClose('io server disconnect');
        return;
      case PacketType.ConnectError:
        this.#destroy();
        this.emitEvent(
          'connect_error',
          typeof data === 'string'
            ? new Error(data)
            : Object.assign(new Error(typeof data.message === 'string' ? data.message : ''), { data: data.data }),
        );
    }
  }

  /** @internal The connection closed, or the namespace disconnected. */
  _onClose(reason: SocketDisconnectReason, description?: DisconnectDescription): void {
    this.connected = false;
    this.id = undefined;
    this.emitEvent('disconnect', reason, description);
    // Callbacks of packets still waiting in sendBuffer keep waiting: they go out on the next connection.
    for (const [id, entry] of this.#acks ?? []) {
      if (!this.sendBuffer.some((packet) => packet.id === id)) {
        this.#answerAck(id, entry.withError ? new Error('socket has been disconnected') : undefined);
      }
    }
  }

  /** Emits `ev`; `args` is a new array of the caller's, which the retries queue may keep. */
  #emit(ev: string, args: unknown[]): void {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const flags: Readonly<Flags> = this.#flags ?? NO_OPTIONS;
    this.#flags = undefined;
    // No `retries` option (undefined) is not more than 0.
    if (this.#opts.retries! > 0 && !flags.volatile) this.#enqueue(ev, args, flags);
    else this.#sendEvent(ev, args, flags);
  }

  /** Sends (or buffers while disconnected) one event, with its flags; a volatile one only if it can go now. */
  #sendEvent(ev: string, args: readonly unknown[], flags: Readonly<Flags>): void {
    const data: unknown[] = [ev, ...args];
    const packet: OutgoingPacket = { type: PacketType.Event, nsp: this.nsp, data };
    if (flags.compress === false) packet.options = NOT_COMPRESSED;
    const last = data[data.length - 1];
    if (typeof last === 'function') {
      data.pop();
      packet.id = this.#registerAck(last as Callback, flags.timeout ?? this.#opts.ackTimeout);
    }
    if (flags.volatile && !(this.connected && this.io.engine.writable)) return;
    if (this.connected) this.#send(packet);
    else this.#buffer(packet);
  }

  /** Sends an event packet, after telling the `onAnyOutgoing` listeners. */
  #send(packet: OutgoingPacket): void {
    const listeners = this.#anyOutgoing;
    // A copy: a listener may add or remove listeners. None at all, the common case, costs no array.
    if (listeners) for (const listener of [...listeners]) callSafely(listener, this, packet.data as unknown[]);
    this.io._packet(packet);
  }

  /** Registers an acknowledgement callback; returns its id. */
  #registerAck(callback: Callback, timeout: number | undefined): number {
    const id = this.#ids++;
    const entry: AckEntry = { callback, withError: timeout !== undefined || errorFirst.has(callback) };
    if (timeout !== undefined) {
      entry.timer = setTimeout(() => {
        const index = this.sendBuffer.findIndex((packet) => packet.id === id);
        if (index !== -1) this.sendBuffer.splice(index, 1);
        this.#answerAck(id, new Error('operation has timed out'));
      }, timeout);
    }
    (this.#acks ??= new Map()).set(id, entry);
    return id;
  }

  /**
   * Answers acknowledgement `id` once and forgets it: with the server's values (after `null` for an
   * error-first callback), with an error, or — `undefined` — not at all.
   */
  #answerAck(id: number, answer: readonly unknown[] | Error | undefined): void {
    const entry = this.#acks?.get(id);
    if (entry === undefined) return;
    this.#acks!.delete(id);
    clearTimeout(entry.timer);
    if (answer === undefined) return;
    callSafely(entry.callback, this, answer instanceof Error ? [answer] : entry.withError ? [null, ...answer] : answer);
  }

  /**
   * Adds `incoming` to `items` (`bytes` bytes in all, each item's `bytesOf`) within the offline buffer's
   * bounds (this socket's, else its manager's): the oldest evictable items make room for it,
   * counted in `droppedPackets`. Returns the new total of bytes, or -1 when dropping every
   * evictable item would not be enough: then nothing is dropped, and an emit with a callback is
   * answered with an error (`answer`), one without is counted as dropped.
   */
  #admit<T>(
    items: T[],
    bytes: number,
    incoming: T,
    bytesOf: (item: T) => number,
    evictable: (item: T) => boolean,
    answer: ((error: Error) => void) | undefined,
  ): number {
    const given = this.#opts.offlineBuffer ?? this.io.opts.offlineBuffer;
    const maxPackets = given?.maxPackets ?? DEFAULT_OFFLINE_MAX_PACKETS;
    const maxBytes = given?.maxBytes ?? DEFAULT_OFFLINE_MAX_BYTES;
    let count = items.length + 1;
    let total = bytes + bytesOf(incoming);
    const dropped: T[] = [];
    for (const item of items) {
      if (count <= maxPackets && total <= maxBytes) break;
      if (!evictable(item)) continue;
      dropped.push(item);
      count--;
      total -= bytesOf(item);
    }
    if (count > maxPackets || total > maxBytes) {
      if (answer) answer(new Error(`offline buffer full (${maxPackets} packets, ${maxBytes} bytes)`));
      else this.droppedPackets++;
      return -1;
    }
    this.droppedPackets += dropped.length;
    for (const item of dropped) items.splice(items.indexOf(item), 1);
    items.push(incoming);
    return total;
  }

  /** Keeps a packet for the next connection, within the offline buffer's bounds. */
  #buffer(packet: OutgoingPacket): void {
    const buffer = this.sendBuffer;
    // The application replaced or changed sendBuffer (or an emit in it timed out): count it again.
    if (buffer !== this.#counted || buffer.length !== this.#countedLength) {
      this.#sendBytes = buffer.reduce((total, item) => total + packetBytes(item), 0);
    }
    const id = packet.id;
    const total = this.#admit(
      buffer,
      this.#sendBytes,
      packet,
      packetBytes,
      (item) => item.id === undefined,
      id === undefined ? undefined : (error) => this.#answerAck(id, error),
    );
    if (total >= 0) this.#sendBytes = total;
    this.#counted = buffer;
    this.#countedLength = buffer.length;
  }

  /** The `retries` queue: one emit in flight at a time, sent again until acknowledged or out of tries. */
  #enqueue(event: string, args: unknown[], flags: Readonly<Flags>): void {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (args.pop() as Callback) : undefined;
    const entry: QueuedEmit = {
      event,
      args,
      flags,
      ack,
      bytes: packetBytes({ type: PacketType.Event, nsp: this.nsp, data: [event, ...args] }),
      tryCount: 0,
      pending: false,
    };
    const done = (err: unknown, ...response: unknown[]): void => {
      // A late answer to an entry that already left the queue.
      if (entry !== this.#queue![0]) return;
      if (err === null || entry.tryCount > this.#opts.retries!) {
        this.#queue!.shift();
        this.#queueBytes -= entry.bytes;
        // An error comes alone: (null, ...values) or (error).
        if (ack) callSafely(ack, this, [err, ...response]);
      }
      entry.pending = false;
      this.#drainQueue();
    };
    errorFirst.add(done);
    args.push(done);
    const total = this.#admit(
      (this.#queue ??= []),
      this.#queueBytes,
      entry,
      (queued) => queued.bytes,
      (queued) => queued.ack === undefined && !queued.pending,
      ack && ((error) => callSafely(ack, this, [error])),
    );
    if (total < 0) return;
    this.#queueBytes = total;
    this.#drainQueue();
  }

  #drainQueue(force = false): void {
    const entry = this.#queue?.[0];
    if (!this.connected || entry === undefined || (entry.pending && !force)) return;
    entry.pending = true;
    entry.tryCount++;
    this.#sendEvent(entry.event, entry.args, entry.flags);
  }

  #destroy(): void {
    this.#active = false;
    this.io._destroy();
  }

  #sendConnect(data: object | undefined): void {
    // Connection state recovery: the session to restore and the last event seen (Socket.IO protocol v5, CONNECT).
    const payload = this.#pid === undefined ? data : { pid: this.#pid, offset: this.#lastOffset, ...data };
    this.io._packet({ type: PacketType.Connect, nsp: this.nsp, data: payload });
  }

  #emitEvent(args: readonly unknown[]): void {
    const listeners = this.#any;
    if (listeners) for (const listener of [...listeners]) callSafely(listener, this, args);
    this.emitEvent(String(args[0]), ...args.slice(1));
    // With connection state recovery the server appends each event's offset as its last argument.
    const last = args[args.length - 1];
    if (this.#pid !== undefined && typeof last === 'string') this.#lastOffset = last;
  }

  #makeAck(id: number): Callback {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.io._packet({ type: PacketType.Ack, nsp: this.nsp, id, data: args });
    };
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    const received = this.receiveBuffer;
    this.receiveBuffer = [];
    for (const args of received) this.#emitEvent(args);
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const packet of buffered) this.#send(packet);
    this.#drainQueue(true);
    this.emitEvent('connect');
  }
}

/**
 * `listeners` without the first `listener`, removed in place (they are called from a copy); none
 * without a listener, or once the last one is gone.
 */
function without(listeners: AnyListener[] | undefined, listener: AnyListener | undefined): AnyListener[] | undefined {
  const index = listeners?.indexOf(listener!) ?? -1;
  if (index !== -1) listeners!.splice(index, 1);
  return listener && listeners?.length ? listeners : undefined;
}
