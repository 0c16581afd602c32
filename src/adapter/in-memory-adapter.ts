import { EventEmitter } from 'node:events';
import { PacketType, type Packet } from '../protocol/socket-io/index.js';
import type {
  AckCallback,
  Adapter,
  AdapterNamespace,
  AdapterSocket,
  BroadcastOptions,
  PrivateSessionId,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
} from './types.js';
import { toWireChunks } from './wire.js';

interface StoredSession extends SessionToPersist {
  disconnectedAt: number;
  /** Sequence number of the last packet logged before the socket's rooms last changed. */
  roomsSettledAt: number;
}

interface StoredPacket {
  seq: number;
  offset: string;
  emittedAt: number;
  rooms: Room[];
  except: Room[];
  data: unknown[];
}

/**
 * The default adapter: rooms and delivery for one namespace on one node, plus the session store
 * and packet log of connection state recovery when the server enables it.
 *
 * Every broadcast is encoded once; all recipients are handed the same string and buffers.
 *
 * @example
 * const io = new Server(httpServer, { adapter: InMemoryAdapter }); // the default anyway
 */
export class InMemoryAdapter extends EventEmitter implements Adapter {
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();
  readonly nsp: AdapterNamespace;
  private readonly sessions = new Map<PrivateSessionId, StoredSession>();
  private packets: StoredPacket[] = [];
  private offsetCounter = 0;
  private seq = 0;
  /** With recovery on: for each socket, the packet sequence number when its rooms last changed. */
  private readonly roomsChangedAt = new Map<SocketId, number>();
  private readonly offsetPrefix = Date.now().toString(36);
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** For {@link markingWalk}: the mark of the last walk over several rooms that met each socket. */
  private readonly walkedBy = new Map<SocketId, object>();
  /** Whether a walk over several rooms is under way (see {@link apply}). */
  private walking = false;

  constructor(nsp: AdapterNamespace) {
    super();
    this.nsp = nsp;
    const recovery = nsp.recovery;
    if (recovery) {
      // Expired sessions and packets are dropped in the background so an idle server frees them too.
      this.sweepTimer = setInterval(
        () => this.sweep(),
        Math.max(1000, Math.min(recovery.maxDisconnectionDuration, 60_000)),
      );
      this.sweepTimer.unref();
    }
  }

  // The port's return types, not `void`: a subclass (a cluster adapter) may make these async.
  init(): Promise<void> | void {}

  close(): Promise<void> | void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Set<Room>): void {
    if (this.nsp.recovery) this.roomsChangedAt.set(id, this.seq);
    let own = this.sids.get(id);
    if (!own) {
      own = new Set();
      this.sids.set(id, own);
    }
    for (const room of rooms) {
      own.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        members = new Set();
        this.rooms.set(room, members);
        this.emit('create-room', room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit('join-room', room, id);
      }
    }
  }

  del(id: SocketId, room: Room): void {
    if (this.nsp.recovery && this.sids.has(id)) this.roomsChangedAt.set(id, this.seq);
    this.sids.get(id)?.delete(room);
    this.removeFromRoom(room, id);
  }

  delAll(id: SocketId): void {
    this.roomsChangedAt.delete(id);
    this.walkedBy.delete(id);
    const own = this.sids.get(id);
    if (!own) return;
    for (const room of own) this.removeFromRoom(room, id);
    this.sids.delete(id);
  }

  private removeFromRoom(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members?.delete(id)) return;
    this.emit('leave-room', room, id);
    if (members.size === 0 && this.rooms.delete(room)) this.emit('delete-room', room);
  }

  broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.storeForRecovery(packet, opts);
    this.broadcastLocally(packet, opts);
  }

  /** Delivers a packet to this node's matching sockets, encoded once, without any recovery bookkeeping. */
  protected broadcastLocally(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags ?? {};
    const out: Packet = { ...packet, nsp: this.nsp.name };
    const chunks = toWireChunks(out);
    this.apply(opts, (socket) => socket.deliver(out, chunks, flags));
  }

  /**
   * Delivers a packet whose offset comes from a log every node shares (a Redis stream id): a
   * replayable packet carries it as its last argument, as a node-local offset would.
   */
  protected broadcastWithOffset(packet: Packet, opts: BroadcastOptions, offset: string): void {
    if (this.isReplayable(packet, opts)) packet.data = [...(packet.data as unknown[]), offset];
    this.broadcastLocally(packet, opts);
  }

  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: AckCallback,
  ): void {
    const flags = opts.flags ?? {};
    const out: Packet = { ...packet, nsp: this.nsp.name, id: this.nsp.nextAckId() };
    const chunks = toWireChunks(out);
    const id = out.id!;
    const recipients: AdapterSocket[] = [];
    this.apply(opts, (socket) => {
      recipients.push(socket);
      socket.registerAck(id, ack);
      socket.deliver(out, chunks, flags);
    });
    // Once the caller has given up, answers are useless: one timer per broadcast frees every
    // recipient's entry, so clients that never answer do not pile up callbacks.
    if (flags.timeout !== undefined && recipients.length > 0) {
      setTimeout(() => {
        for (const socket of recipients) socket.clearAck(id);
      }, flags.timeout).unref();
    }
    clientCountCallback(recipients.length);
  }

  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found: SocketDetails[] = [];
    this.apply(opts, (socket) => found.push(socket));
    return Promise.resolve(found);
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => socket.join(rooms));
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.apply(opts, (socket) => {
      for (const room of rooms) socket.leave(room);
    });
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.apply(opts, (socket) => socket.disconnect(close));
  }

  /** A single node has nobody to tell; a cluster adapter overrides this. */
  serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    // Nobody else will answer: an ack is resolved right away with no responses, as the official server does.
    if (typeof last === 'function') (last as (err: Error | null, responses: unknown[]) => void)(null, []);
  }

  persistSession(session: SessionToPersist): void {
    if (!this.nsp.recovery) return;
    this.sessions.set(session.pid, {
      ...session,
      rooms: [...session.rooms],
      disconnectedAt: Date.now(),
      roomsSettledAt: this.roomsChangedAt.get(session.sid) ?? this.seq,
    });
  }

  restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    const recovery = this.nsp.recovery;
    const session = this.sessions.get(pid);
    if (!recovery || !session) return Promise.resolve(null);
    // A session is used at most once, whatever the outcome.
    this.sessions.delete(pid);
    if (session.disconnectedAt + recovery.maxDisconnectionDuration < Date.now()) return Promise.resolve(null);
    let index: number;
    if (offset === '') {
      // The client received no offset, so no logged packet reached it. Its rooms were the same
      // from `roomsSettledAt` on, so every later packet for those rooms is one it missed; earlier
      // ones may have targeted rooms it was not in yet and are left out.
      index = this.packets.findIndex((stored) => stored.seq > session.roomsSettledAt) - 1;
      if (index === -2) index = this.packets.length - 1;
    } else {
      index = this.packets.findIndex((stored) => stored.offset === offset);
      if (index === -1) return Promise.resolve(null);
    }
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.packets.length; i++) {
      const stored = this.packets[i]!;
      if (shouldReceive(session.rooms, stored)) missedPackets.push(stored.data);
    }
    const { disconnectedAt: _disconnectedAt, roomsSettledAt: _roomsSettledAt, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  /**
   * Appends a fresh offset to every replayable packet (see {@link InMemoryAdapter.isReplayable})
   * and logs it.
   */
  protected storeForRecovery(packet: Packet, opts: BroadcastOptions): void {
    if (!this.isReplayable(packet, opts)) return;
    const offset = this.nextOffset();
    // A new array so the caller's arguments are left alone; the client pops the offset off again.
    const data = [...(packet.data as unknown[]), offset];
    packet.data = data;
    this.packets.push({
      seq: ++this.seq,
      offset,
      emittedAt: Date.now(),
      rooms: [...opts.rooms],
      except: opts.except ? [...opts.except] : [],
      data,
    });
  }

  /**
   * Whether a packet gets an offset and may be replayed after a drop: with recovery on, an EVENT
   * that expects no ack and is not volatile, as in the official server.
   */
  protected isReplayable(packet: Packet, opts: BroadcastOptions): boolean {
    if (!this.nsp.recovery || packet.type !== PacketType.Event) return false;
    return packet.id === undefined && opts.flags?.volatile !== true && Array.isArray(packet.data);
  }

  /** Returns a new, never repeated offset. */
  protected nextOffset(): string {
    this.offsetCounter++;
    return `${this.offsetPrefix}-${this.offsetCounter.toString(36)}`;
  }

  private sweep(): void {
    const recovery = this.nsp.recovery;
    if (!recovery) return;
    const oldest = Date.now() - recovery.maxDisconnectionDuration;
    for (const [pid, session] of this.sessions) if (session.disconnectedAt < oldest) this.sessions.delete(pid);
    const firstKept = this.packets.findIndex((stored) => stored.emittedAt >= oldest);
    if (firstKept === -1) this.packets = [];
    else if (firstKept > 0) this.packets = this.packets.slice(firstKept);
  }

  /** Calls `fn` for every local socket matching `opts`, each once. */
  protected apply(opts: BroadcastOptions, fn: (socket: AdapterSocket) => void): void {
    const exceptIds = this.computeExceptSids(opts.except);
    const sockets = this.nsp.sockets;
    if (opts.rooms.size === 1) {
      // One room: its members are distinct already, no need to remember who was served.
      const [room] = opts.rooms;
      const members = this.rooms.get(room!);
      if (!members) return;
      for (const id of members) {
        if (exceptIds?.has(id)) continue;
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
      return;
    }
    if (opts.rooms.size > 1) {
      // A walk from within another (a socket's listener broadcasting in turn) leaves its marks alone.
      const nested = this.walking;
      const firstVisit = nested ? firstVisitIn(new Set()) : this.markingWalk();
      this.walking = true;
      try {
        for (const room of opts.rooms) {
          const members = this.rooms.get(room);
          if (!members) continue;
          for (const id of members) {
            if (exceptIds?.has(id) || !firstVisit(id)) continue;
            const socket = sockets.get(id);
            if (socket) fn(socket);
          }
        }
      } finally {
        this.walking = nested;
      }
      return;
    }
    if (exceptIds === undefined) {
      for (const socket of sockets.values()) fn(socket);
      return;
    }
    for (const [id, socket] of sockets) {
      if (!exceptIds.has(id)) fn(socket);
    }
  }

  /**
   * Starts a walk over several rooms and returns whether each socket is met for the first time in
   * it. The walk marks the sockets it meets with a mark of its own in {@link walkedBy}, which keeps
   * one entry per socket from one walk to the next: a broadcast to several rooms then allocates
   * nothing per recipient (a set of the ids seen would, growing with them, and make the garbage
   * collector run more often, delaying the broadcasts it interrupts).
   */
  private markingWalk(): (id: SocketId) => boolean {
    // Unlike the mark of any other walk, so marks left by earlier walks never match it.
    const mark = {};
    const walkedBy = this.walkedBy;
    return (id) => {
      if (walkedBy.get(id) === mark) return false;
      walkedBy.set(id, mark);
      return true;
    };
  }

  /** Ids of the sockets in any of the `except` rooms, or `undefined` when nobody is excluded. */
  private computeExceptSids(except: Set<Room> | undefined): Set<SocketId> | undefined {
    if (!except || except.size === 0) return undefined;
    const ids = new Set<SocketId>();
    for (const room of except) {
      const members = this.rooms.get(room);
      if (members) for (const id of members) ids.add(id);
    }
    return ids;
  }
}

/** Whether each socket is met for the first time, remembering them in `seen`. */
function firstVisitIn(seen: Set<SocketId>): (id: SocketId) => boolean {
  return (id) => {
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
}

function shouldReceive(sessionRooms: Room[], stored: StoredPacket): boolean {
  const included = stored.rooms.length === 0 || sessionRooms.some((room) => stored.rooms.includes(room));
  const excluded = sessionRooms.some((room) => stored.except.includes(room));
  return included && !excluded;
}
