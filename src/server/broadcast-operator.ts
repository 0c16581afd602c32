import type {
  Adapter,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  Room,
  SocketDetails,
  SocketId,
} from '../adapter/index.js';
import { PacketType, RESERVED_EVENTS, type Packet } from '../protocol/socket-io/index.js';
import { ACK_TIMEOUT_MESSAGE } from './ack-errors.js';
import { containRejection, type ErrorOwner } from './containment.js';
import type {
  AllButLast,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithSingleResponse,
  DefaultEventsMap,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
} from './typed-events.js';

/**
 * What `emitWithAck()` of a broadcast rejects with when its timeout passes: the acknowledgements
 * that did arrive are in `responses` (for a `RemoteSocket`, `null`).
 */
export interface AckTimeoutError extends Error {
  responses: unknown;
}

/** The callback of a broadcast with acknowledgements: an error after the timeout, and every response received. */
export type BroadcastAckCallback = (err: Error | null, responses: unknown[]) => void;

/** The events of a map as a broadcast emits them: acknowledgements collect every response. */
type Broadcast<Map extends EventsMap> = DecorateAcknowledgementsWithMultipleResponses<Map>;

function asSet(room: Room | Room[]): Room[] {
  return Array.isArray(room) ? room : [room];
}

/**
 * A target for an emission: rooms to include (all sockets when none), rooms to exclude, and flags.
 * Each call returns a new operator, so a partly built target can be reused.
 *
 * `EmitEvents` are the events it may emit (a broadcast calls an acknowledgement callback with an
 * error, then every recipient's response); `SocketData` is the type of `socket.data`, which
 * `fetchSockets()` returns.
 *
 * @example
 * io.to('room1').to('room2').except('banned').emit('news', item);
 * const answers = await io.timeout(1000).emitWithAck('status?');
 */
export class BroadcastOperator<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> {
  private readonly adapter: Adapter;
  /** Who answers for what fails later: an adapter's rejected promise, an acknowledgement callback that throws. */
  private readonly owner: ErrorOwner;
  private readonly rooms: Set<Room>;
  private readonly exceptRooms: Set<Room>;
  private readonly flags: BroadcastFlags;

  /** @internal Created by `Server`, `Namespace` and `Socket`, which are the `owner`. */
  constructor(
    adapter: Adapter,
    owner: ErrorOwner,
    rooms = new Set<Room>(),
    exceptRooms = new Set<Room>(),
    flags: BroadcastFlags = {},
  ) {
    this.adapter = adapter;
    this.owner = owner;
    this.rooms = rooms;
    this.exceptRooms = exceptRooms;
    this.flags = flags;
  }

  /** Adds rooms to the target (a union: a socket in any of them receives the event once). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.rooms);
    for (const r of asSet(room)) rooms.add(r);
    return new BroadcastOperator(this.adapter, this.owner, rooms, this.exceptRooms, this.flags);
  }

  /** Same as {@link BroadcastOperator.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Excludes the sockets in these rooms. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const exceptRooms = new Set(this.exceptRooms);
    for (const r of asSet(room)) exceptRooms.add(r);
    return new BroadcastOperator(this.adapter, this.owner, this.rooms, exceptRooms, this.flags);
  }

  /** Sets whether the event is compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ compress });
  }

  /** Drops the event for clients whose connection cannot take it right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ volatile: true });
  }

  /** Targets this node's sockets only. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ local: true });
  }

  /** Waits at most `ms` for acknowledgements; the callback then gets an error and the responses so far. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ timeout: ms });
  }

  /**
   * Emits an event to every targeted socket. A function as last argument collects one
   * acknowledgement per recipient: `callback(err, responses)`, `err` set when the timeout passed
   * before every recipient answered.
   */
  emit<Ev extends EventNames<EmitEvents>>(event: Ev, ...args: EventParams<Broadcast<EmitEvents>, Ev>): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    const packet: Packet = { type: PacketType.Event, nsp: '/', data };
    const last = data[data.length - 1];
    const opts = this.options();
    if (typeof last !== 'function') {
      containRejection(this.adapter.broadcast(packet, opts), this.owner);
      return true;
    }
    data.pop();
    this.emitWithAckCallback(packet, opts, last as (err: Error | null, result: unknown) => void);
    return true;
  }

  /**
   * Emits an event and resolves with every recipient's acknowledgement. When the timeout passes
   * first, it rejects with an error whose `responses` holds the acknowledgements that did arrive,
   * as in the official server.
   *
   * @example
   * try {
   *   const responses = await io.to('workers').timeout(500).emitWithAck('job', payload);
   * } catch (err) {
   *   const answered = (err as Error & { responses: unknown[] }).responses; // some workers were silent
   * }
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<EmitWithAckResult<Broadcast<EmitEvents>, Ev>> {
    return new Promise((resolve, reject) => {
      (this as BroadcastOperator).emit(
        event,
        ...args,
        (err: Error | null, result: EmitWithAckResult<Broadcast<EmitEvents>, Ev>) => {
          if (err === null) {
            resolve(result);
            return;
          }
          (err as AckTimeoutError).responses = result;
          reject(err);
        },
      );
    });
  }

  /** Describes the targeted sockets, on every node. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const found = await this.adapter.fetchSockets(this.options());
    return found.map((details) => new RemoteSocket(this.adapter, this.owner, details));
  }

  /**
   * The ids of the targeted sockets, as the adapter lists them (the official server's adapters:
   * on every node); rooms excluded with `except` are not taken out, as in the official server.
   * @deprecated as in the official server: use {@link BroadcastOperator.fetchSockets}.
   */
  allSockets(): Promise<Set<SocketId>> {
    return this.adapter.sockets(this.rooms);
  }

  // A cluster adapter (socket.io-adapter's ClusterAdapter and those built on it) answers these
  // three with a promise; as they return nothing to the caller, its rejection is the owner's.

  /** Makes the targeted sockets join rooms. */
  socketsJoin(room: Room | Room[]): void {
    containRejection(this.adapter.addSockets(this.options(), asSet(room)), this.owner);
  }

  /** Makes the targeted sockets leave rooms. */
  socketsLeave(room: Room | Room[]): void {
    containRejection(this.adapter.delSockets(this.options(), asSet(room)), this.owner);
  }

  /** Disconnects the targeted sockets (and their whole connection with `close`). */
  disconnectSockets(close = false): void {
    containRejection(this.adapter.disconnectSockets(this.options(), close), this.owner);
  }

  // A RemoteSocket's emit targets one socket: its callback takes that socket's answer, not a list
  // (null when it timed out, as in the official server).
  private result(responses: unknown[], timedOut = false): unknown {
    if (!this.flags.expectSingleResponse) return responses;
    return timedOut ? null : responses[0];
  }

  private options(): BroadcastOptions {
    return { rooms: this.rooms, except: this.exceptRooms, flags: this.flags };
  }

  private withFlags(extra: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.adapter, this.owner, this.rooms, this.exceptRooms, { ...this.flags, ...extra });
  }

  private emitWithAckCallback(
    packet: Packet,
    opts: BroadcastOptions,
    callback: (err: Error | null, result: unknown) => void,
  ): void {
    // The callback runs from a timer or from whichever recipient answers last: what it raises is the owner's.
    const settle = (err: Error | null, result: unknown): void => {
      try {
        containRejection(callback(err, result), this.owner);
      } catch (thrown) {
        this.owner.contain(thrown);
      }
    };
    let finished = false;
    const responses: unknown[] = [];
    let expectedServerCount = -1;
    let actualServerCount = 0;
    let expectedClientCount = 0;
    const timeout = this.flags.timeout;
    // Without a timeout the callback waits for every recipient; a client that never answers holds it.
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            if (finished) return;
            finished = true;
            settle(new Error(ACK_TIMEOUT_MESSAGE), this.result(responses, true));
          }, timeout);
    const check = (): void => {
      if (finished || expectedServerCount !== actualServerCount || responses.length !== expectedClientCount) return;
      finished = true;
      if (timer) clearTimeout(timer);
      settle(null, this.result(responses));
    };
    const sent = this.adapter.broadcastWithAck(
      packet,
      opts,
      (clientCount) => {
        expectedClientCount += clientCount;
        actualServerCount++;
        check();
      },
      (response) => {
        responses.push(response);
        check();
      },
    );
    containRejection(sent, this.owner);
    const counted = this.adapter.serverCount().then((count) => {
      expectedServerCount = count;
      check();
    });
    containRejection(counted, this.owner);
  }
}

/**
 * A socket returned by `fetchSockets()`: its details, and the operations that work whether it is
 * connected to this node or another one.
 *
 * @example
 * for (const socket of await io.in('room').fetchSockets()) {
 *   if (socket.rooms.has('banned')) socket.disconnect(true);
 *   else socket.emit('notice', 'hello');
 * }
 */
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = any> implements SocketDetails {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  private readonly adapter: Adapter;
  private readonly owner: ErrorOwner;
  private readonly operator: BroadcastOperator;

  /** @internal */
  constructor(adapter: Adapter, owner: ErrorOwner, details: SocketDetails, timeout?: number) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
    this.adapter = adapter;
    this.owner = owner;
    const flags: BroadcastFlags =
      timeout === undefined ? { expectSingleResponse: true } : { expectSingleResponse: true, timeout };
    this.operator = new BroadcastOperator(adapter, owner, new Set([this.id]), new Set(), flags);
  }

  /**
   * Emits an event to this socket. A function as last argument gets its acknowledgement, after an
   * error argument (set when {@link RemoteSocket.timeout} passed first).
   */
  emit<Ev extends EventNames<EmitEvents>>(
    event: Ev,
    ...args: EventParams<DecorateAcknowledgementsWithSingleResponse<EmitEvents>, Ev>
  ): boolean {
    return this.operator.emit(event, ...args);
  }

  /** Emits an event and resolves with the socket's acknowledgement. */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    event: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<EmitWithAckResult<DecorateAcknowledgementsWithSingleResponse<EmitEvents>, Ev>> {
    return this.operator.emitWithAck(event, ...args);
  }

  /** The same socket, with a timeout for the acknowledgement of its emits. */
  timeout(ms: number): RemoteSocket<EmitEvents, SocketData> {
    return new RemoteSocket(this.adapter, this.owner, this, ms);
  }

  /** Joins rooms. */
  join(room: Room | Room[]): void {
    this.operator.socketsJoin(room);
  }

  /** Leaves rooms. */
  leave(room: Room | Room[]): void {
    this.operator.socketsLeave(room);
  }

  /** Disconnects this socket. */
  disconnect(close = false): this {
    this.operator.disconnectSockets(close);
    return this;
  }
}
