import type { Packet } from '../protocol/socket-io/index.js';

/** The id of a Socket.IO socket (the `sid` of the CONNECT reply). */
export type SocketId = string;
/** The private id of a session, known only to its client, used to recover it. */
export type PrivateSessionId = string;
/** A room name. Every socket is in the room named after its own id. */
export type Room = string | number;

/** Modifiers of one emission. */
export interface BroadcastFlags {
  /** Drop the packet for recipients whose transport cannot take it right now. */
  volatile?: boolean;
  /** Ask the transport to compress (per-message deflate, HTTP compression). */
  compress?: boolean;
  /** Only this node's sockets, even with a cluster adapter. */
  local?: boolean;
  /** Milliseconds to wait for acknowledgements. */
  timeout?: number;
  /** The ack callback takes one response, not an array (socket-level emits with a timeout). */
  expectSingleResponse?: boolean;
}

/** Who receives an emission: sockets in any of `rooms` (everyone when empty), minus those in any of `except`. */
export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** What the server learns about a client when it connects (wire-compatible with the official `socket.handshake`). */
export interface Handshake {
  /** Request headers of the first HTTP request of the connection. */
  headers: Record<string, string | string[] | undefined>;
  /** Creation date, as `Date#toString()`. */
  time: string;
  /** Remote IP address. */
  address: string;
  /** Whether the request came from another origin (it carried an `Origin` header). */
  xdomain: boolean;
  /** Whether the connection is over TLS. */
  secure: boolean;
  /** Creation time, in milliseconds since the epoch. */
  issued: number;
  /** Request URL (path and query). */
  url: string;
  /** Query parameters of the request URL. */
  query: Record<string, string | string[] | undefined>;
  /** The CONNECT packet's payload (`auth` option of the client). */
  auth: Record<string, unknown>;
}

/** A socket as any node of a cluster can describe it: what `fetchSockets()` returns. */
export interface SocketDetails {
  id: SocketId;
  handshake: Handshake;
  rooms: Set<Room>;
  data: unknown;
}

/** The wire form of a packet: text first, then attachments; every recipient gets these same objects. */
export type WireChunks = readonly (string | Buffer)[];

/** An acknowledgement callback, called with the arguments the peer answered with. */
export type AckCallback = (...args: unknown[]) => void;

/**
 * A connected socket as the adapter drives it. Implemented by the server's `Socket`; the adapter
 * never reaches further into the server than this.
 */
export interface AdapterSocket extends SocketDetails {
  /** Joins rooms (the adapter records the membership). */
  join(rooms: Room | Room[]): unknown;
  /** Leaves a room. */
  leave(room: Room): unknown;
  /** Disconnects the socket from its namespace, and the whole connection when `close` is true. */
  disconnect(close?: boolean): unknown;
  /**
   * Delivers a packet already encoded for the wire: notifies outgoing listeners with `packet`,
   * then writes `chunks` unchanged. Pass the same `chunks` to every recipient of a broadcast (the
   * server then builds its frames once), and do not change them afterwards.
   */
  deliver(packet: Packet, chunks: WireChunks, flags: BroadcastFlags): void;
  /** Registers the callback that an ACK with `id` from this socket's client resolves. */
  registerAck(id: number, ack: AckCallback): void;
  /** Forgets the callback registered for `id` (its broadcast timed out). */
  clearAck(id: number): void;
}

/** Connection state recovery settings, as the adapter needs them. */
export interface RecoverySettings {
  /** How long a session (and the packets it may miss) is kept after a disconnection, in ms. */
  maxDisconnectionDuration: number;
}

/**
 * A namespace as the adapter sees it. Implemented by the server's `Namespace`.
 */
export interface AdapterNamespace {
  /** Namespace name, e.g. `/` or `/chat`. */
  readonly name: string;
  /** Sockets connected to this namespace on this node, by id. */
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Recovery settings when connection state recovery is on, else `undefined`. */
  readonly recovery: RecoverySettings | undefined;
  /** Allocates an ack id (shared by direct emits and broadcasts of the namespace). */
  nextAckId(): number;
  /** Emits an event sent by another node with `serverSideEmit` to local listeners. */
  onServerSideEmit(args: unknown[]): void;
}

/** Session state kept when a socket disconnects in a way it may come back from. */
export interface SessionToPersist {
  sid: SocketId;
  pid: PrivateSessionId;
  rooms: Room[];
  data: unknown;
}

/** A restored session: the persisted state plus the EVENT payloads the client missed, in order. */
export interface Session extends SessionToPersist {
  missedPackets: unknown[][];
}

/** Events of an adapter about room membership. */
export interface AdapterEvents {
  'create-room': [room: Room];
  'delete-room': [room: Room];
  'join-room': [room: Room, id: SocketId];
  'leave-room': [room: Room, id: SocketId];
}

/**
 * The adapter port: room membership and delivery for one namespace. The in-memory adapter is the
 * default; a cluster adapter fans the same operations out to other nodes.
 *
 * The server calls every adapter through these methods, which are those of the official
 * `socket.io-adapter` classes. Our adapters reach back into the server only through
 * {@link AdapterNamespace} and {@link AdapterSocket}; adapters built on `socket.io-adapter` (the
 * official Redis, PostgreSQL and cluster adapters) reach further (`nsp.server.encoder`, `nsp._ids`,
 * `socket.client.writeToEngine`, `socket.acks`, ...), and the server's objects expose those members
 * too, over the same code paths, so both kinds work unchanged.
 */
export interface Adapter {
  /** Rooms and their members, on this node. */
  readonly rooms: Map<Room, Set<SocketId>>;
  /** Sockets and their rooms, on this node. */
  readonly sids: Map<SocketId, Set<Room>>;
  /** Starts the adapter (subscriptions, timers). */
  init(): Promise<void> | void;
  /** Stops the adapter and frees its resources. */
  close(): Promise<void> | void;
  /** Number of nodes in the cluster (1 for the in-memory adapter). */
  serverCount(): Promise<number>;
  /** Adds a socket to rooms. */
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void;
  /** Removes a socket from a room. */
  del(id: SocketId, room: Room): Promise<void> | void;
  /** Removes a socket from every room. */
  delAll(id: SocketId): void;
  /** Sends a packet to every matching socket, encoding it once. */
  broadcast(packet: Packet, opts: BroadcastOptions): void | Promise<void>;
  /**
   * Sends a packet expecting an ack from every recipient: `clientCountCallback` is told how many
   * sockets got it (once per node), `ack` is called with each response.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: AckCallback,
  ): void | Promise<void>;
  /** Ids of the sockets in any of `rooms` (all sockets when empty). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>>;
  /** Rooms of a socket, or `undefined` for an unknown socket. */
  socketRooms(id: SocketId): Set<Room> | undefined;
  /** Describes the matching sockets, on every node unless `flags.local`. */
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  /** Makes the matching sockets join rooms. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): Promise<void> | void;
  /** Makes the matching sockets leave rooms. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): Promise<void> | void;
  /** Disconnects the matching sockets. */
  disconnectSockets(opts: BroadcastOptions, close: boolean): Promise<void> | void;
  /** Emits an event to the other nodes' namespaces; a function as last element collects their answers. */
  serverSideEmit(packet: unknown[]): void;
  /** Keeps a disconnected socket's session for recovery. */
  persistSession(session: SessionToPersist): void | Promise<void>;
  /**
   * Returns the session and the packets it missed since `offset`, or `null` (or a promise of it)
   * when it cannot be recovered. An empty `offset` means the client never received an offset (no broadcast reached
   * it before the drop): the adapter then decides from its own records what the client missed.
   */
  restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> | null;
  on<E extends keyof AdapterEvents>(event: E, listener: (...args: AdapterEvents[E]) => void): this;
  off<E extends keyof AdapterEvents>(event: E, listener: (...args: AdapterEvents[E]) => void): this;
}

/**
 * Builds the adapter of a namespace: the `adapter` server option and the argument of
 * `io.adapter()`. Either an adapter class, or a function returning the adapter, such as what
 * `createAdapter()` of the official adapters (`@socket.io/redis-adapter`, ...) returns. The server
 * calls it with `new`, as the official server does; a function without a prototype (an arrow
 * function) cannot be, and is called plainly.
 */
export type AdapterConstructor = (new (nsp: AdapterNamespace) => Adapter) | ((nsp: AdapterNamespace) => Adapter);
