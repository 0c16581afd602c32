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

/** A response sent to the one node that asked. */
export type ClusterResponse = { uid: string; nsp: string } & (
  | { type: typeof ClusterMessageType.FetchSocketsResponse; data: { requestId: string; sockets: SerializedSocket[] } }
  | { type: typeof ClusterMessageType.ServerSideEmitResponse; data: { requestId: string; packet: unknown[] } }
  | { type: typeof ClusterMessageType.BroadcastClientCount; data: { requestId: string; clientCount: number } }
  | { type: typeof ClusterMessageType.BroadcastAck; data: { requestId: string; packet: unknown[] } }
);

/** Timing of a cluster adapter. */
export interface ClusterAdapterOptions {
  /**
   * How often this node announces it is alive, in ms.
   * @default 5000
   */
  heartbeatInterval?: number;
  /**
   * After how long without a heartbeat a node is considered gone, in ms.
   * @default 10000
   */
  heartbeatTimeout?: number;
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

function serializeOptions(opts: BroadcastOptions): SerializedBroadcastOptions {
  return { rooms: [...opts.rooms], except: opts.except ? [...opts.except] : [], flags: { ...opts.flags } };
}

function deserializeOptions(opts: SerializedBroadcastOptions): BroadcastOptions {
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags: opts.flags };
}

/**
 * The cross-node half of every adapter operation: message vocabulary, request/response matching,
 * timeouts and node liveness. A concrete adapter only moves messages: it implements
 * {@link ClusterAdapter.doPublish} and {@link ClusterAdapter.doPublishResponse}, and hands what it
 * receives to {@link ClusterAdapter.onMessage} and {@link ClusterAdapter.onResponse}.
 *
 * Messages are plain objects holding packets (which may contain Buffers); the transport chooses
 * how to serialize them. Connection state recovery stays node-local (each node logs the packets
 * its own sockets get); an adapter with shared storage overrides `persistSession` and
 * `restoreSession` to recover sessions on any node.
 *
 * @example
 * class BusAdapter extends ClusterAdapter {
 *   constructor(nsp: AdapterNamespace) { super(nsp); bus.subscribe(nsp.name, (m) => this.onMessage(m)); }
 *   protected doPublish(message: ClusterMessage) { return bus.publish(message); }
 *   protected doPublishResponse(uid: string, response: ClusterResponse) { return bus.reply(uid, response); }
 * }
 */
export abstract class ClusterAdapter extends InMemoryAdapter {
  /** This node's id, unique across the cluster. */
  readonly uid = randomBytes(8).toString('hex');
  private readonly heartbeatInterval: number;
  private readonly heartbeatTimeout: number;
  private readonly requestsTimeout: number;
  private readonly nodes = new Map<string, number>();
  private readonly requests = new Map<string, PendingRequest>();
  private readonly ackRequests = new Map<string, AckRequest>();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(nsp: AdapterNamespace, options: ClusterAdapterOptions = {}) {
    super(nsp);
    this.heartbeatInterval = options.heartbeatInterval ?? 5000;
    this.heartbeatTimeout = options.heartbeatTimeout ?? 10_000;
    this.requestsTimeout = options.requestsTimeout ?? 5000;
    if (this.heartbeatTimeout <= this.heartbeatInterval) {
      throw new TypeError('heartbeatTimeout must be longer than heartbeatInterval');
    }
  }

  /** Sends a message to every node of the namespace (this one may receive it too; it is ignored). */
  protected abstract doPublish(message: ClusterMessage): Promise<void>;

  /** Sends a response to the node `requesterUid` only. */
  protected abstract doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void>;

  override async init(): Promise<void> {
    await this.publish({ type: ClusterMessageType.InitialHeartbeat });
    this.heartbeatTimer = setInterval(() => {
      void this.publish({ type: ClusterMessageType.Heartbeat });
      this.dropSilentNodes();
    }, this.heartbeatInterval);
    this.heartbeatTimer.unref();
  }

  override async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const request of this.requests.values()) clearTimeout(request.timer);
    this.requests.clear();
    this.ackRequests.clear();
    await super.close();
    await this.publish({ type: ClusterMessageType.AdapterClose });
  }

  override serverCount(): Promise<number> {
    this.dropSilentNodes();
    return Promise.resolve(this.nodes.size + 1);
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
    const callback = last as (err: Error | null, responses: unknown[]) => void;
    const args = packet.slice(0, -1);
    void this.serverCount().then((count) => {
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
          if (response.type === ClusterMessageType.ServerSideEmitResponse) responses.push(response.data.packet[0]);
        },
      );
      void this.publish({ type: ClusterMessageType.ServerSideEmit, data: { packet: args, requestId } });
    });
  }

  /**
   * Handles a message published by any node. Call it from the subscription; messages from this
   * node and for other namespaces are ignored.
   */
  onMessage(message: ClusterMessage): void {
    if (typeof message !== 'object' || message === null || typeof message.uid !== 'string') return;
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    try {
      this.handleMessage(message);
    } catch (err) {
      // A message this node cannot act on (a peer running another version) must not take it down.
      process.emitWarning(
        `cluster adapter ignored a message of type ${String(message.type)}: ${(err as Error).message}`,
      );
    }
  }

  private handleMessage(message: ClusterMessage): void {
    if (message.type !== ClusterMessageType.AdapterClose) this.nodes.set(message.uid, Date.now());
    switch (message.type) {
      case ClusterMessageType.InitialHeartbeat:
        // Answered at once, so that a node just started counts this one before the next interval.
        void this.publish({ type: ClusterMessageType.Heartbeat });
        return;
      case ClusterMessageType.Heartbeat:
        return;
      case ClusterMessageType.AdapterClose:
        this.nodes.delete(message.uid);
        return;
      case ClusterMessageType.Broadcast:
        this.onRemoteBroadcast(message);
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

  /** Delivers another node's broadcast to the sockets here; with an ack, counts and acks go back to it. */
  private onRemoteBroadcast(message: ClusterMessageOf<typeof ClusterMessageType.Broadcast>): void {
    const { uid: requester, data } = message;
    const opts = deserializeOptions(data.opts);
    const requestId = data.requestId;
    if (requestId === undefined) {
      super.broadcast(data.packet, opts);
      return;
    }
    super.broadcastWithAck(
      data.packet,
      opts,
      (clientCount) => {
        const type = ClusterMessageType.BroadcastClientCount;
        void this.publishResponse(requester, { type, data: { requestId, clientCount } });
      },
      (...args) => {
        const type = ClusterMessageType.BroadcastAck;
        void this.publishResponse(requester, { type, data: { requestId, packet: args } });
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
      (...args: unknown[]) => {
        if (answered) return;
        answered = true;
        const type = ClusterMessageType.ServerSideEmitResponse;
        void this.publishResponse(requester, { type, data: { requestId, packet: args } });
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
      this.ackRequests.get(requestId)?.ack(...response.data.packet);
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

  private publish(body: DistributiveOmit<ClusterMessage, 'uid' | 'nsp'>): Promise<void> {
    const message: ClusterMessage = { ...body, uid: this.uid, nsp: this.nsp.name };
    return this.doPublish(message).catch(() => undefined);
  }

  private publishResponse(requesterUid: string, body: DistributiveOmit<ClusterResponse, 'uid' | 'nsp'>): Promise<void> {
    const response: ClusterResponse = { ...body, uid: this.uid, nsp: this.nsp.name };
    return this.doPublishResponse(requesterUid, response).catch(() => undefined);
  }

  private dropSilentNodes(): void {
    const oldest = Date.now() - this.heartbeatTimeout;
    for (const [uid, lastSeen] of this.nodes) if (lastSeen < oldest) this.nodes.delete(uid);
  }

  private newRequestId(): string {
    return randomBytes(8).toString('hex');
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The cluster message of kind `T`. */
type ClusterMessageOf<T extends ClusterMessageType> = Extract<ClusterMessage, { type: T }>;
