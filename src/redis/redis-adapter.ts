import type { Buffer } from 'node:buffer';
import type { AdapterNamespace, ClusterMessage, ClusterResponse, Room } from '../adapter/index.js';
import {
  classicChannels,
  fromClassicBroadcast,
  fromClassicRequest,
  fromClassicResponse,
  toClassic,
  toClassicResponse,
  type ClassicChannels,
  type RoomQuery,
} from './classic-protocol.js';
import { resolveAdapterOptions, type RedisAdapterOptions } from './options.js';
import { decodeMessage, encodeWith } from './parser.js';
import { RedisAdapterBase } from './redis-adapter-base.js';
import { checkClient, type RedisClient } from './redis-client.js';

/**
 * The Redis adapter over plain pub/sub, speaking the channels and messages of the official
 * `@socket.io/redis-adapter` (its `createAdapter`): official nodes and ours on the same Redis
 * and key broadcast to each other's clients, share rooms and answer each other's requests.
 * Built with {@link createAdapter}; see {@link RedisAdapterBase} for faults.
 */
export class RedisAdapter extends RedisAdapterBase {
  private readonly channels: ClassicChannels;
  private readonly ownResponseChannel: string;
  private readonly publishOnSpecificResponseChannel: boolean;
  private readonly onBroadcast = (message: Buffer, channel: Buffer): void => this.handleBroadcast(message, channel);
  private readonly onRequest = (message: Buffer, channel: Buffer): void => this.handleRequest(message, channel);

  constructor(nsp: AdapterNamespace, pubClient: RedisClient, subClient: RedisClient, options?: RedisAdapterOptions) {
    const settings = resolveAdapterOptions(options);
    super(nsp, pubClient, subClient, settings);
    this.channels = classicChannels(settings.key, nsp.name);
    this.ownResponseChannel = `${this.channels.response}${this.uid}#`;
    this.publishOnSpecificResponseChannel = settings.publishOnSpecificResponseChannel;
  }

  protected async subscribeAll(): Promise<void> {
    const { broadcast, request, response } = this.channels;
    await Promise.all([
      this.sub.subscribe('pattern', [`${broadcast}*`], this.onBroadcast),
      this.sub.subscribe('channel', [request, response, this.ownResponseChannel], this.onRequest),
    ]);
  }

  protected async unsubscribeAll(): Promise<void> {
    const { broadcast, request, response } = this.channels;
    await Promise.all([
      this.sub.unsubscribe('pattern', [`${broadcast}*`], this.onBroadcast),
      this.sub.unsubscribe('channel', [request, response, this.ownResponseChannel], this.onRequest),
    ]);
  }

  // Every node subscribes to the request channel once per namespace.
  protected countNodes(): Promise<number> {
    return this.pub.subscriberCount(this.channels.request);
  }

  protected encode(body: unknown): Buffer | string {
    return encodeWith(this.parser, body);
  }

  protected doPublish(message: ClusterMessage): Promise<void> {
    const outgoing = toClassic(message, this.channels);
    return outgoing ? this.send(outgoing.channel, outgoing.body) : Promise.resolve();
  }

  protected doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    return this.send(this.responseChannelOf(requesterUid), toClassicResponse(response));
  }

  private responseChannelOf(requesterUid: string): string {
    return this.publishOnSpecificResponseChannel ? `${this.channels.response}${requesterUid}#` : this.channels.response;
  }

  private handleBroadcast(message: Buffer, channel: Buffer): void {
    const prefix = this.channels.broadcast;
    const name = channel.toString();
    if (!name.startsWith(prefix)) return;
    // A room's broadcast matters only to the nodes holding the room: the others skip decoding it.
    const room = name.slice(prefix.length, -1);
    if (room !== '' && !this.hasRoom(room)) return;
    this.receive(() => {
      const broadcast = fromClassicBroadcast(this.parser.decode(message), this.nsp.name);
      if (broadcast) this.onMessage(broadcast);
    });
  }

  /** Whether this node holds `room`, named as in a channel (numbers as their text). */
  private hasRoom(room: string): boolean {
    if (this.rooms.has(room)) return true;
    const number = Number(room);
    return room.trim() !== '' && Number.isFinite(number) && this.rooms.has(number);
  }

  private handleRequest(message: Buffer, channel: Buffer): void {
    const isRequest = channel.toString() === this.channels.request;
    this.receive(() => {
      const value = decodeMessage(this.parser, message);
      if (!isRequest) {
        const response = fromClassicResponse(value, this.nsp.name);
        if (response) this.onResponse(response);
        return;
      }
      const request = fromClassicRequest(value, this.nsp.name);
      if (request === undefined) return;
      if ('query' in request) this.answerQuery(request);
      else this.onMessage(request);
    });
  }

  /** Answers an official node's `allRooms()` or remote `sockets()` with what this node holds. */
  private answerQuery({ query, uid, requestId, rooms }: RoomQuery): void {
    if (uid === this.uid) return;
    const channel = this.responseChannelOf(uid);
    if (query === 'rooms') {
      void this.send(channel, { requestId, rooms: [...this.rooms.keys()] });
      return;
    }
    void this.sockets(new Set<Room>(rooms)).then((ids) => this.send(channel, { requestId, sockets: [...ids] }));
  }
}

/**
 * Returns what builds a {@link RedisAdapter} for each namespace: pass it to `io.adapter()` or the
 * `adapter` server option. Both clients come from the application, connected (`redis`) or
 * connecting (`ioredis`); `subClient` is put in subscriber mode, so it must be its own connection.
 *
 * @example
 * import { createClient } from 'redis';
 * import { createAdapter } from 'switchboard/redis';
 * const pubClient = createClient({ url: 'redis://localhost:6379' });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * io.adapter(createAdapter(pubClient, subClient));
 */
export function createAdapter(
  pubClient: RedisClient,
  subClient: RedisClient,
  options?: RedisAdapterOptions,
): (nsp: AdapterNamespace) => RedisAdapter {
  // Checked now, so a mistake shows where the adapter is set up rather than at a namespace's creation.
  resolveAdapterOptions(options);
  checkClient(pubClient, 'pubClient');
  checkClient(subClient, 'subClient');
  return (nsp) => new RedisAdapter(nsp, pubClient, subClient, options);
}
