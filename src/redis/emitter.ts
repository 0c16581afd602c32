import type { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import {
  ClusterMessageType,
  type BroadcastFlags,
  type ClusterMessage,
  type Room,
  type SerializedBroadcastOptions,
} from '../adapter/index.js';
import { PacketType, RESERVED_EVENTS } from '../protocol/socket-io/index.js';
import { classicChannels, toClassic } from './classic-protocol.js';
import { resolveEmitterOptions, type EmitterOptions } from './options.js';
import { encodeWith } from './parser.js';
import { Publisher } from './publisher.js';
import { RedisConnection, type RedisClient } from './redis-client.js';

/** The uid official nodes know emitters by (they never count it as a node). */
const EMITTER_UID = 'emitter';

/** What an emitter and every view of it (`of`, `to`, ...) share. */
class EmitterState {
  readonly events = new EventEmitter();
  readonly key: string;
  readonly publisher: Publisher;

  constructor(
    readonly client: RedisClient,
    options: EmitterOptions | undefined,
  ) {
    const { key, parser } = resolveEmitterOptions(options);
    this.key = key;
    const connection = new RedisConnection(client, 'redisClient', (err) => void this.events.emit('redis-error', err));
    const encode = (body: unknown): Buffer | string => encodeWith(parser, body);
    this.publisher = new Publisher(connection, encode, (err) => void this.events.emit('publish-failure', err));
  }
}

/**
 * The state `Emitter.of()` hands to the view it is making, taken (and cleared) by that view's
 * constructor: the view shares it rather than making its own, and the public constructor keeps
 * taking only a client.
 */
let stateOfNextView: EmitterState | undefined;

/** An emitter for namespace `nsp` sharing `state` (its client, options, events and failure count). */
function viewOf(state: EmitterState, nsp: string): Emitter {
  stateOfNextView = state;
  return new Emitter(state.client, undefined, nsp);
}

/** Events of an {@link Emitter}: `publish-failure` and `redis-error`, as on the Redis adapters. */
export interface EmitterEvents {
  /** A message was dropped: Redis was unreachable, refused it, or it could not be encoded. */
  'publish-failure': [error: Error];
  /** The Redis client reported an error. */
  'redis-error': [error: Error];
}

function asList(rooms: Room | readonly Room[]): readonly Room[] {
  return typeof rooms === 'string' || typeof rooms === 'number' ? [rooms] : rooms;
}

/**
 * Targets of an emission from an {@link Emitter}: rooms, excluded rooms and flags. Each method
 * returns a new operator; the one it is called on is left unchanged.
 */
export class EmitterBroadcastOperator {
  /** @internal Made by an {@link Emitter} and its methods. */
  constructor(
    private readonly state: EmitterState,
    private readonly nsp: string,
    private readonly rooms: ReadonlySet<Room> = new Set(),
    private readonly exceptRooms: ReadonlySet<Room> = new Set(),
    private readonly flags: BroadcastFlags = {},
  ) {}

  /** Targets the sockets in `room` (in any of them, for several), on every node. */
  to(room: Room | readonly Room[]): EmitterBroadcastOperator {
    const rooms = new Set([...this.rooms, ...asList(room)]);
    return new EmitterBroadcastOperator(this.state, this.nsp, rooms, this.exceptRooms, this.flags);
  }

  /** Same as {@link EmitterBroadcastOperator.to}. */
  in(room: Room | readonly Room[]): EmitterBroadcastOperator {
    return this.to(room);
  }

  /** Leaves out the sockets in `room`. */
  except(room: Room | readonly Room[]): EmitterBroadcastOperator {
    const exceptRooms = new Set([...this.exceptRooms, ...asList(room)]);
    return new EmitterBroadcastOperator(this.state, this.nsp, this.rooms, exceptRooms, this.flags);
  }

  /** Asks the nodes to compress the packet (or not). */
  compress(compress: boolean): EmitterBroadcastOperator {
    return new EmitterBroadcastOperator(this.state, this.nsp, this.rooms, this.exceptRooms, {
      ...this.flags,
      compress,
    });
  }

  /** Lets the nodes drop the packet for clients that cannot take it right now. */
  get volatile(): EmitterBroadcastOperator {
    return new EmitterBroadcastOperator(this.state, this.nsp, this.rooms, this.exceptRooms, {
      ...this.flags,
      volatile: true,
    });
  }

  /**
   * Emits `event` to the targeted clients, on every node. Acknowledgements are not supported (an
   * emitter receives nothing). Returns `true` once handed to the publisher, as the official emitter.
   */
  emit(event: string, ...args: unknown[]): true {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${event}" is a reserved event name`);
    if (typeof args[args.length - 1] === 'function') {
      throw new Error('an emitter cannot receive acknowledgements: emit from a server to get them');
    }
    const packet = { type: PacketType.Event, nsp: this.nsp, data: [event, ...args] };
    this.publish({
      uid: EMITTER_UID,
      nsp: this.nsp,
      type: ClusterMessageType.Broadcast,
      data: { packet, opts: this.options() },
    });
    return true;
  }

  /** Makes the targeted sockets join `rooms`, on every node. */
  socketsJoin(rooms: Room | readonly Room[]): void {
    const data = { opts: this.options(), rooms: [...asList(rooms)] };
    this.publish({ uid: EMITTER_UID, nsp: this.nsp, type: ClusterMessageType.SocketsJoin, data });
  }

  /** Makes the targeted sockets leave `rooms`, on every node. */
  socketsLeave(rooms: Room | readonly Room[]): void {
    const data = { opts: this.options(), rooms: [...asList(rooms)] };
    this.publish({ uid: EMITTER_UID, nsp: this.nsp, type: ClusterMessageType.SocketsLeave, data });
  }

  /** Disconnects the targeted sockets, and their whole connection with `close`. */
  disconnectSockets(close = false): void {
    const data = { opts: this.options(), close };
    this.publish({ uid: EMITTER_UID, nsp: this.nsp, type: ClusterMessageType.DisconnectSockets, data });
  }

  /** Publishes a message in the classic format; a failure is counted and reported, never thrown. */
  protected publish(message: ClusterMessage): void {
    const outgoing = toClassic(message, classicChannels(this.state.key, this.nsp))!;
    void this.state.publisher.send(outgoing.channel, outgoing.body);
  }

  private options(): SerializedBroadcastOptions {
    return { rooms: [...this.rooms], except: [...this.exceptRooms], flags: this.flags };
  }
}

/**
 * Emits to the clients of a cluster from a process that serves none (a worker, a script),
 * through Redis, in the format of `@socket.io/redis-emitter`: nodes using {@link createAdapter}
 * here, or the official `@socket.io/redis-adapter`, deliver what it sends.
 *
 * @example
 * import { createClient } from 'redis';
 * import { Emitter } from 'switchboard/redis';
 * const client = createClient({ url: 'redis://localhost:6379' });
 * await client.connect();
 * const emitter = new Emitter(client);
 * emitter.to('room').emit('news', { title: 'hello' });
 * emitter.of('/admin').serverSideEmit('refresh');
 */
export class Emitter extends EmitterBroadcastOperator {
  private readonly shared: EmitterState;
  private readonly name: string;

  /**
   * @param redisClient - a `redis` or `ioredis` client; its `error` events are reported as this
   *   emitter's `redis-error` events
   * @param options - the `key` and `parser` of the adapters to reach
   * @param nsp - the namespace to emit to
   */
  constructor(redisClient: RedisClient, options?: EmitterOptions, nsp = '/') {
    const state = stateOfNextView ?? new EmitterState(redisClient, options);
    stateOfNextView = undefined;
    super(state, nsp);
    this.shared = state;
    this.name = nsp;
  }

  /** How many messages this emitter (and its views) could not publish. */
  get publishFailures(): number {
    return this.shared.publisher.failures;
  }

  /** An emitter for namespace `nsp`, sharing this one's client, options and events. */
  of(nsp: string): Emitter {
    return viewOf(this.shared, nsp.startsWith('/') ? nsp : `/${nsp}`);
  }

  /** Emits `event` to the listeners of `io.on(event)` on every node (no acknowledgements). */
  serverSideEmit(event: string, ...args: unknown[]): void {
    if (typeof args[args.length - 1] === 'function') {
      throw new Error('an emitter cannot receive acknowledgements: use serverSideEmit of a server to get them');
    }
    const data = { packet: [event, ...args] };
    this.publish({ uid: EMITTER_UID, nsp: this.name, type: ClusterMessageType.ServerSideEmit, data });
  }

  /** Listens to this emitter's {@link EmitterEvents} (shared with its views). */
  on<E extends keyof EmitterEvents>(event: E, listener: (...args: EmitterEvents[E]) => void): this {
    this.shared.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener added with {@link Emitter.on}. */
  off<E extends keyof EmitterEvents>(event: E, listener: (...args: EmitterEvents[E]) => void): this {
    this.shared.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
}
