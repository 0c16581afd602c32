import type {
  AckCallback,
  Adapter,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  Handshake,
  RecoverySettings,
  Room,
  SocketId,
  WireChunks,
} from '../../src/adapter/index.js';
import type { Packet } from '../../src/protocol/socket-io/index.js';

/** What a {@link RecordingSocket} was handed. */
export interface Delivery {
  packet: Packet;
  chunks: WireChunks;
  flags: BroadcastFlags;
}

function handshake(id: string): Handshake {
  return {
    headers: {},
    time: new Date(0).toString(),
    address: '127.0.0.1',
    xdomain: false,
    secure: false,
    issued: 0,
    url: `/socket.io/?id=${id}`,
    query: {},
    auth: {},
  };
}

/** An adapter socket that records deliveries and keeps its rooms in the adapter, as the server's Socket does. */
export class RecordingSocket implements AdapterSocket {
  readonly deliveries: Delivery[] = [];
  readonly acks = new Map<number, AckCallback>();
  readonly handshake: Handshake;
  data: unknown = {};
  disconnectedWith: boolean | undefined;

  constructor(
    readonly id: SocketId,
    private readonly nsp: RecordingNamespace,
  ) {
    this.handshake = handshake(id);
  }

  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id) ?? []);
  }

  join(rooms: Room | Room[]): void {
    void this.nsp.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  leave(room: Room): void {
    void this.nsp.adapter.del(this.id, room);
  }

  disconnect(close = false): void {
    this.disconnectedWith = close;
    this.nsp.adapter.delAll(this.id);
    this.nsp.sockets.delete(this.id);
  }

  deliver(packet: Packet, chunks: WireChunks, flags: BroadcastFlags): void {
    this.deliveries.push({ packet, chunks, flags });
  }

  registerAck(id: number, ack: AckCallback): void {
    this.acks.set(id, ack);
  }

  clearAck(id: number): void {
    this.acks.delete(id);
  }

  /** Texts of the packets delivered so far. */
  texts(): string[] {
    return this.deliveries.map((delivery) => delivery.chunks[0] as string);
  }
}

/** A namespace for adapter tests: holds recording sockets and counts what the adapter asks of it. */
export class RecordingNamespace implements AdapterNamespace {
  readonly sockets = new Map<SocketId, RecordingSocket>();
  readonly serverSideEvents: unknown[][] = [];
  adapter!: Adapter;
  private ackIds = 0;

  constructor(
    readonly name: string,
    readonly recovery: RecoverySettings | undefined = undefined,
  ) {}

  nextAckId(): number {
    return this.ackIds++;
  }

  onServerSideEmit(args: unknown[]): void {
    this.serverSideEvents.push(args);
  }

  /** Adds a socket, in its own room and `rooms`. */
  connect(id: SocketId, rooms: Room[] = []): RecordingSocket {
    const socket = new RecordingSocket(id, this);
    this.sockets.set(id, socket);
    void this.adapter.addAll(id, new Set([id, ...rooms]));
    return socket;
  }
}
