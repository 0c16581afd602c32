import { randomBytes } from 'node:crypto';
import type { Packet } from '../protocol/socket-io/index.js';
import { InMemoryAdapter } from './in-memory-adapter.js';
import type {
  AckCallback,
  AdapterNamespace,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  Room,
  SocketDetails,
} from './types.js';

/** Kinds of messages nodes exchange. Values are part of the cluster wire format: never renumber. */
export const ClusterMessageType = {
  InitialHeartbeat: 1,
  Heartbeat: 2,
  Broadcast: 3,
  SocketsJoin: 4,
  SocketsLeave: 5,
  DisconnectSockets: 6,
  FetchSockets: 7,
  FetchSocketsResponse: 8,
  ServerSideEmit: 9,
  ServerSideEmitResponse: 10,
  BroadcastClientCount: 11,
  BroadcastAck: 12,
  AdapterClose: 13,
} as const;

/** One of the cluster message kinds. */
export type ClusterMessageType = (typeof ClusterMessageType)[keyof typeof ClusterMessageType];

/** Broadcast options in a form that survives serialization (sets become arrays). */
export interface SerializedBroadcastOptions {
  rooms: Room[];
  except: Room[];
  flags: BroadcastFlags;
}

/** A socket described by another node. */
export interface SerializedSocket {
  id: string;
  handshake: Handshake;
  rooms: Room[];
  data: unknown;
}

/** A message published to every node of the namespace. */
export type ClusterMessage = { uid: string; nsp: string } & (
  | {
      type:
        | typeof ClusterMessageType.InitialHeartbeat
        | typeof ClusterMessageType.Heartbeat
        | typeof ClusterMessageType.AdapterClose;
    }
  | {
      type: typeof ClusterMessageType.Broadcast;
      data: { packet: Packet; opts: SerializedBroadcastOptions; requestId?: string };
    }
  | {
      type: typeof ClusterMessageType.SocketsJoin | typeof ClusterMessageType.SocketsLeave;
      data: { opts: SerializedBroadcastOptions; rooms: Room[] };
    }
  | { type: typeof ClusterMessageType.DisconnectSockets; data: { opts: SerializedBroadcastOptions; close: boolean } }
  | { type: typeof ClusterMessageType.FetchSockets; data: { opts: SerializedBroadcastOptions; requestId: string } }
  | { type: typeof ClusterMessageType.ServerSideEmit; data: { packet: unknown[]; requestId?: string } }
);

/**
 * A response sent to the one node that asked. An acknowledgement carries one value, the first
 * argument the client or node answered with (`packet`), as the official cluster adapter sends it.
 */
export type ClusterResponse = { uid: string; nsp: string } & (
  | { type: typeof ClusterMessageType.FetchSocketsResponse; data: { requestId: string; sockets: SerializedSocket[] } }
  | { type: typeof ClusterMessageType.ServerSideEmitResponse; data: { requestId: string; packet: unknown } }
  | { type: typeof ClusterMessageType.BroadcastClientCount; data: { requestId: string; clientCount: number } }
  | { type: typeof ClusterMessageType.BroadcastAck; data: { requestId: string; packet: unknown } }
);

/** Timing of a cluster adapter. */
export interface ClusterAdapterOptions {
  /**
   * How long requests (`fetchSockets`, `serverSideEmit` with an ack) wait for every node, in ms.
   * @default 5000
   */
  requestsTimeout?: number;
}

interface PendingRequest {
  expected: number;
  received: number;
  timer: ReturnType<typeof setTimeout>;
  onResponse(response: ClusterResponse): void;
  done(): void;
}

interface AckRequest {
  clientCountCallback: (clientCount: number) => void;
  ack: AckCallback;
}

/** Broadcast options in their serializable form (sets become arrays). */
export function serializeOptions(opts: BroadcastOptions): SerializedBroadcastOptions {
  return { rooms: [...opts.rooms], except: opts.except ? [...opts.except] : [], flags: { ...opts.flags } };
}

function deserializeOptions(opts: SerializedBroadcastOptions): BroadcastOptions {
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags: opts.flags };
}

/**
 * The cross-node half of every adapter operation: message vocabulary, request/response matching
 * and timeouts. A concrete adapter moves messages and counts nodes: it implements
 * {@link ClusterAdapter.doPublish}, {@link ClusterAdapter.doPublishResponse} and `serverCount`
 * (from its transport's own view, such as Redis subscriber counts; see
 * {@link ClusterAdapterWithHeartbeat} for nodes that announce themselves), and hands what it
 * receives to {@link ClusterAdapter.onMessage} and {@link ClusterAdapter.onResponse}.
 *
 * Messages are plain objects holding packets (which may contain Buffers); the transport chooses
 * how to serialize them. Connection state recovery stays node-local (each node logs the packets
 * its own sockets get); an adapter with a log every node reads passes each message's offset in
 * that log to `onMessage`, and overrides `persistSession` and `restoreSession` to recover
 * sessions on any node.
 *
 * @example
 * class BusAdapter extends ClusterAdapter {
 *   constructor(nsp: AdapterNamespace) { super(nsp); bus.subscribe(nsp.name, (m) => this.onMessage(m)); }
 *   protected doPublish(message: ClusterMessage) { return bus.publish(message); }
 *   protected doPublishResponse(uid: string, response: ClusterResponse) { return bus.reply(uid, response); }
 *   override serverCount() { return bus.countNodes(this.nsp.name); }
 * }
 */
export abstract class ClusterAdapter extends InMemoryAdapter {
  /** This node's id, unique across the cluster. */
  readonly uid = randomBytes(8).toString('hex');
  /** How long requests wait for every node, in ms. */
  protected readonly requestsTimeout: number;
  private readonly requests = new Map<string, PendingRequest>();
  private readonly ackRequests = new Map<string, AckRequest>();

  constructor(nsp: AdapterNamespace, options: ClusterAdapterOptions = {}) {
    super(nsp);
    this.requestsTimeout = options.requestsTimeout ?? 5000;
  }

  /** Sends a message to every node of the namespace (this one may receive it too; it is ignored). */
  protected abstract doPublish(message: ClusterMessage): Promise<void>;

  /** Sends a response to the node `requesterUid` only. */
  protected abstract doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void>;

  /** Number of nodes serving this namespace, this one included, as the transport sees them. */
  abstract override serverCount(): Promise<number>;

  override async close(): Promise<void> {
    for (const request of this.requests.values()) clearTimeout(request.timer);
    this.requests.clear();
    this.ackRequests.clear();
    await super.close();
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!opts.flags?.local) {
      // Published before the local delivery appends a recovery offset: each node logs its own.
      void this.publish({
        type: ClusterMessageType.Broadcast,
        data: { packet: { ...packet }, opts: serializeOptions(opts) },
      });
    }
    super.broadcast(packet, opts);
  }

  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: AckCallback,
  ): void {
    if (!opts.flags?.local) {
      const requestId = this.newRequestId();
      this.ackRequests.set(requestId, { clientCountCallback, ack });
      void this.publish({
        type: ClusterMessageType.Broadcast,
        data: { packet: { ...packet }, opts: serializeOptions(opts), requestId },
      });
      // Acks from other nodes may trickle in until the caller's own timeout; drop the entry after it.
      const timer = setTimeout(() => this.ackRequests.delete(requestId), opts.flags?.timeout ?? this.requestsTimeout);
      timer.unref();
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    const expected = (await this.serverCount()) - 1;
    if (opts.flags?.local || expected <= 0) return local;
    const requestId = this.newRequestId();
    const remote: SocketDetails[] = [];
    await new Promise<void>((resolve, reject) => {
      this.addRequest(requestId, expected, opts.flags?.timeout, resolve, reject, (response) => {
        if (response.type !== ClusterMessageType.FetchSocketsResponse) return;
        for (const socket of response.data.sockets) remote.push({ ...socket, rooms: new Set(socket.rooms) });
      });
      void this.publish({ type: ClusterMessageType.FetchSockets, data: { opts: serializeOptions(opts), requestId } });
    });
    return [...local, ...remote];
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
    if (!opts.flags?.local) {
      void this.publish({ type: ClusterMessageType.SocketsJoin, data: { opts: serializeOptions(opts), rooms } });
    }
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local) {
      void this.publish({ type: ClusterMessageType.SocketsLeave, data: { opts: serializeOptions(opts), rooms } });
    }
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) {
      void this.publish({ type: ClusterMessageType.DisconnectSockets, data: { opts: serializeOptions(opts), close } });
    }
  }

  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== 'function') {
      void this.publish({ type: ClusterMessageType.ServerSideEmit, data: { packet } });
      return;
    }
    const callback = last as (err: unknown, responses: unknown[]) => void;
    const args = packet.slice(0, -1);
    this.serverCount().then(
      (count) => {
        const expected = count - 1;
        if (expected <= 0) {
          callback(null, []);
          return;
        }
        const requestId = this.newRequestId();
        const responses: unknown[] = [];
        this.addRequest(
          requestId,
          expected,
          undefined,
          () => callback(null, responses),
          (err) => callback(err, responses),
          (response) => {
            if (response.type === ClusterMessageType.ServerSideEmitResponse) responses.push(response.data.packet);
          },
        );
        void this.publish({ type: ClusterMessageType.ServerSideEmit, data: { packet: args, requestId } });
      },
      // The nodes cannot be counted (the transport is down): nobody can be waited for.
      (err: unknown) => callback(err, []),
    );
  }

  /**
   * Handles a message published by any node. Call it from the subscription, with the message's
   * `offset` when it comes from a log every node reads; messages from this node and for other
   * namespaces are ignored.
   */
  onMessage(message: ClusterMessage, offset?: string): void {
    if (typeof message !== 'object' || message === null || typeof message.uid !== 'string') return;
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    this.applyMessage(message, offset);
  }

  /**
   * Acts on a message of this namespace on this node's sockets, whoever sent it: an adapter that
   * delivers its own messages in the order of a shared log calls it for those.
   */
  protected applyMessage(message: ClusterMessage, offset?: string): void {
    try {
      this.handleMessage(message, offset);
    } catch (err) {
      // A message this node cannot act on (a peer running another version) must not take it down.
      process.emitWarning(
        `cluster adapter ignored a message of type ${String(message.type)}: ${(err as Error).message}`,
      );
    }
  }

  private handleMessage(message: ClusterMessage, offset: string | undefined): void {
    switch (message.type) {
      case ClusterMessageType.Broadcast:
        this.onRemoteBroadcast(message, offset);
        return;
      case ClusterMessageType.SocketsJoin:
        super.addSockets(deserializeOptions(message.data.opts), message.data.rooms);
        return;
      case ClusterMessageType.SocketsLeave:
        super.delSockets(deserializeOptions(message.data.opts), message.data.rooms);
        return;
      case ClusterMessageType.DisconnectSockets:
        super.disconnectSockets(deserializeOptions(message.data.opts), message.data.close);
        return;
      case ClusterMessageType.FetchSockets:
        this.onRemoteFetchSockets(message);
        return;
      case ClusterMessageType.ServerSideEmit:
        this.onRemoteServerSideEmit(message);
        return;
    }
  }

  /**
   * Delivers another node's broadcast to the sockets here, with its offset in the shared log when
   * there is one (else this node logs it); with an ack, counts and acks go back to the sender.
   */
  private onRemoteBroadcast(
    message: ClusterMessageOf<typeof ClusterMessageType.Broadcast>,
    offset: string | undefined,
  ): void {
    const { uid: requester, data } = message;
    const opts = deserializeOptions(data.opts);
    const requestId = data.requestId;
    if (requestId === undefined) {
      if (offset === undefined) super.broadcast(data.packet, opts);
      else this.broadcastWithOffset(data.packet, opts, offset);
      return;
    }
    super.broadcastWithAck(
      data.packet,
      opts,
      (clientCount) => {
        const type = ClusterMessageType.BroadcastClientCount;
        void this.publishResponse(requester, { type, data: { requestId, clientCount } });
      },
      (arg) => {
        const type = ClusterMessageType.BroadcastAck;
        void this.publishResponse(requester, { type, data: { requestId, packet: arg } });
      },
    );
  }

  /** Answers another node's `fetchSockets` with the matching sockets of this one. */
  private onRemoteFetchSockets(message: ClusterMessageOf<typeof ClusterMessageType.FetchSockets>): void {
    const { uid: requester, data } = message;
    const requestId = data.requestId;
    void super.fetchSockets(deserializeOptions(data.opts)).then((found) => {
      const sockets = found.map((socket) => ({
        id: socket.id,
        handshake: socket.handshake,
        rooms: [...socket.rooms],
        data: socket.data,
      }));
      const type = ClusterMessageType.FetchSocketsResponse;
      return this.publishResponse(requester, { type, data: { requestId, sockets } });
    });
  }

  /** Hands another node's `serverSideEmit` to the namespace; with an ack, the first answer goes back. */
  private onRemoteServerSideEmit(message: ClusterMessageOf<typeof ClusterMessageType.ServerSideEmit>): void {
    const { uid: requester, data } = message;
    const requestId = data.requestId;
    if (requestId === undefined) {
      this.nsp.onServerSideEmit(data.packet);
      return;
    }
    let answered = false;
    this.nsp.onServerSideEmit([
      ...data.packet,
      (arg: unknown) => {
        if (answered) return;
        answered = true;
        const type = ClusterMessageType.ServerSideEmitResponse;
        void this.publishResponse(requester, { type, data: { requestId, packet: arg } });
      },
    ]);
  }

  /** Handles a response addressed to this node. Call it from the response subscription. */
  onResponse(response: ClusterResponse): void {
    if (response.nsp !== this.nsp.name) return;
    const requestId = response.data.requestId;
    if (response.type === ClusterMessageType.BroadcastClientCount) {
      this.ackRequests.get(requestId)?.clientCountCallback(response.data.clientCount);
      return;
    }
    if (response.type === ClusterMessageType.BroadcastAck) {
      this.ackRequests.get(requestId)?.ack(response.data.packet);
      return;
    }
    const request = this.requests.get(requestId);
    if (!request) return;
    request.onResponse(response);
    request.received++;
    if (request.received >= request.expected) {
      clearTimeout(request.timer);
      this.requests.delete(requestId);
      request.done();
    }
  }

  private addRequest(
    requestId: string,
    expected: number,
    timeout: number | undefined,
    done: () => void,
    fail: (err: Error) => void,
    onResponse: (response: ClusterResponse) => void,
  ): void {
    const timer = setTimeout(() => {
      if (this.requests.delete(requestId)) fail(new Error('timeout reached: only some nodes answered'));
    }, timeout ?? this.requestsTimeout);
    this.requests.set(requestId, { expected, received: 0, timer, onResponse, done });
  }

  /** Publishes a message of this node and namespace; never rejects (a transport reports its own failures). */
  protected publish(body: DistributiveOmit<ClusterMessage, 'uid' | 'nsp'>): Promise<void> {
    const message: ClusterMessage = { ...body, uid: this.uid, nsp: this.nsp.name };
    return this.doPublish(message).catch(() => undefined);
  }

  private publishResponse(requesterUid: string, body: DistributiveOmit<ClusterResponse, 'uid' | 'nsp'>): Promise<void> {
    const response: ClusterResponse = { ...body, uid: this.uid, nsp: this.nsp.name };
    return this.doPublishResponse(requesterUid, response).catch(() => undefined);
  }

  private newRequestId(): string {
    return randomBytes(8).toString('hex');
  }
}

/** `Omit` applied to each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The cluster message of kind `T`. */
type ClusterMessageOf<T extends ClusterMessageType> = Extract<ClusterMessage, { type: T }>;
