import { EventEmitter } from 'node:events';
import type {
  AckCallback,
  Adapter,
  BroadcastOptions,
  PrivateSessionId,
  Room,
  Session,
  SocketDetails,
  SocketId,
} from '../adapter/index.js';
import type { Packet } from '../protocol/socket-io/index.js';
import { containRejection } from './containment.js';
import { Namespace } from './namespace.js';
import type { Socket } from './socket.js';
import type { Server } from './server.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';

/**
 * Decides whether a namespace name belongs to a dynamic group: call `next(null, true)` to accept.
 * `auth` is the CONNECT payload of the client asking for it.
 */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, allow: boolean) => void,
) => void;

let parentCount = 0;

/**
 * The namespace returned by `io.of(regex)` or `io.of(matcher)`: it has no clients itself but
 * creates a child namespace for each matching name a client asks for. Listeners and middlewares
 * of the parent apply to every child; an emit on the parent reaches every child's sockets.
 *
 * @example
 * io.of(/^\/team-\d+$/).on('connection', (socket) => socket.nsp.emit('joined', socket.id));
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The namespaces created so far. */
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  /** @internal Use `io.of(regex)`. */
  constructor(server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) {
    super(server, `/_${parentCount++}`);
  }

  protected override createAdapter(): Adapter {
    return new ParentAdapter(this);
  }

  /** @internal Creates the namespace `name`, inheriting middlewares, connection and error listeners. */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace(this.server, name, this);
    for (const event of ['connect', 'connection', 'error'] as const) {
      for (const listener of this.listeners(event))
        child.on(event, listener as (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void);
    }
    this.children.add(child);
    return child;
  }
}

/** Fans the parent's broadcasts and queries out to the children's adapters. */
class ParentAdapter extends EventEmitter implements Adapter {
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();
  private readonly parent: ParentNamespace;

  constructor(parent: ParentNamespace) {
    super();
    this.parent = parent;
  }

  init(): void {}
  close(): void {}

  serverCount(): Promise<number> {
    const [first] = this.parent.children;
    return first ? first.adapter.serverCount() : Promise.resolve(1);
  }

  addAll(): void {}
  del(): void {}
  delAll(): void {}

  broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.parent.children) containRejection(child.adapter.broadcast({ ...packet }, opts), child);
  }

  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: AckCallback,
  ): void {
    // Every child reports its own count; summed into one so the caller sees one node's worth.
    let total = 0;
    let pending = this.parent.children.size;
    if (pending === 0) {
      clientCountCallback(0);
      return;
    }
    for (const child of this.parent.children) {
      const sent = child.adapter.broadcastWithAck(
        { ...packet },
        opts,
        (count) => {
          total += count;
          if (--pending === 0) clientCountCallback(total);
        },
        ack,
      );
      containRejection(sent, child);
    }
  }

  async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    for (const child of this.parent.children) for (const id of await child.adapter.sockets(rooms)) ids.add(id);
    return ids;
  }

  socketRooms(): Set<Room> | undefined {
    return undefined;
  }

  async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all([...this.parent.children].map((child) => child.adapter.fetchSockets(opts)));
    return all.flat();
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.parent.children) containRejection(child.adapter.addSockets(opts, rooms), child);
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.parent.children) containRejection(child.adapter.delSockets(opts, rooms), child);
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of [...this.parent.children]) {
      containRejection(child.adapter.disconnectSockets(opts, close), child);
    }
  }

  serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last === 'function') (last as (err: Error | null, responses: unknown[]) => void)(null, []);
  }

  persistSession(): void {}

  restoreSession(_pid: PrivateSessionId, _offset: string): Promise<Session | null> {
    return Promise.resolve(null);
  }
}
