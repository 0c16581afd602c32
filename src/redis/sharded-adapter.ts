import type { Buffer } from 'node:buffer';
import {
  ClusterMessageType,
  type AdapterNamespace,
  type ClusterMessage,
  type ClusterResponse,
  type Room,
} from '../adapter/index.js';
import { hasBinary } from '../protocol/socket-io/index.js';
import { resolveShardedOptions, type ShardedRedisAdapterOptions, type SubscriptionMode } from './options.js';
import { MSGPACK_PARSER, decodeMessage, encodeWith } from './parser.js';
import { isClusterResponse, readClusterMessage } from './cluster-wire.js';
import { toError } from './publisher.js';
import { RedisAdapterBase } from './redis-adapter-base.js';
import { checkClient, type RedisClient } from './redis-client.js';

/** Socket ids are 20 characters: rooms named like one are not given their own channel in `dynamic` mode. */
function looksLikeSocketId(room: Room): boolean {
  return typeof room === 'string' && room.length === 20;
}

/**
 * The Redis adapter over sharded pub/sub (SSUBSCRIBE and SPUBLISH, Redis 7), speaking the
 * channels and messages of the official `createShardedAdapter`. Messages are the cluster
 * adapter's, as JSON, or as MessagePack when they carry binary data.
 */
export class ShardedRedisAdapter extends RedisAdapterBase {
  private readonly channel: string;
  private readonly responseChannel: string;
  private readonly mode: SubscriptionMode;
  private readonly onShardMessage = (message: Buffer): void => this.handle(message);

  constructor(
    nsp: AdapterNamespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    options?: ShardedRedisAdapterOptions,
  ) {
    const settings = resolveShardedOptions(options);
    super(nsp, pubClient, subClient, { requestsTimeout: settings.requestsTimeout, parser: MSGPACK_PARSER });
    this.channel = `${settings.channelPrefix}#${nsp.name}#`;
    this.responseChannel = `${this.channel}${this.uid}#`;
    this.mode = settings.subscriptionMode;
    if (this.mode !== 'static') {
      this.on('create-room', (room: Room) => {
        if (this.hasOwnChannel(room)) this.subscribeTo([this.roomChannel(room)]);
      });
      this.on('delete-room', (room: Room) => {
        if (this.hasOwnChannel(room))
          this.sub.unsubscribe('shard', [this.roomChannel(room)], this.onShardMessage).catch(() => undefined);
      });
    }
  }

  protected async subscribeAll(): Promise<void> {
    await this.sub.subscribe('shard', [this.channel, this.responseChannel], this.onShardMessage);
  }

  protected async unsubscribeAll(): Promise<void> {
    const channels = [this.channel, this.responseChannel];
    for (const room of this.rooms.keys()) if (this.hasOwnChannel(room)) channels.push(this.roomChannel(room));
    await this.sub.unsubscribe('shard', channels, this.onShardMessage);
  }

  protected countNodes(): Promise<number> {
    return this.pub.subscriberCount(this.channel, true);
  }

  protected encode(body: unknown): Buffer | string {
    return hasBinary(body) ? encodeWith(this.parser, body) : JSON.stringify(body);
  }

  protected doPublish(message: ClusterMessage): Promise<void> {
    if (message.type !== ClusterMessageType.Broadcast) return this.send(this.channel, message, true);
    const { opts, requestId } = message.data;
    // With an ack, every node must answer (they are counted on the main channel): no room channel.
    const room = opts.rooms.length === 1 && requestId === undefined ? opts.rooms[0]! : undefined;
    const dynamic =
      room !== undefined && (this.mode === 'dynamic-private' || (this.mode === 'dynamic' && !looksLikeSocketId(room)));
    return this.send(dynamic ? this.roomChannel(room) : this.channel, message, true);
  }

  protected doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    return this.send(`${this.channel}${requesterUid}#`, response, true);
  }

  /** Whether `room` has its own shard channel here (the public rooms in `dynamic` mode, all in `dynamic-private`). */
  private hasOwnChannel(room: Room): boolean {
    return this.mode === 'dynamic-private' || (this.mode === 'dynamic' && !this.sids.has(String(room)));
  }

  private roomChannel(room: Room): string {
    return `${this.channel}${room}#`;
  }

  private subscribeTo(channels: string[]): void {
    this.sub
      .subscribe('shard', channels, this.onShardMessage)
      .catch((err: unknown) => this.emit('redis-error', toError(err)));
  }

  // Responses come on this node's own channel, but are told apart by their type, as official nodes do.
  private handle(message: Buffer): void {
    this.receive(() => {
      const body = readClusterMessage(decodeMessage(this.parser, message));
      if (isClusterResponse(body)) this.onResponse(body);
      else this.onMessage(body);
    });
  }
}

/**
 * Returns what builds a {@link ShardedRedisAdapter} for each namespace (Redis 7 or later).
 *
 * @example
 * import { createClient } from 'redis';
 * import { createShardedAdapter } from 'switchboard/redis';
 * const pubClient = createClient({ url: 'redis://localhost:6379' });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * io.adapter(createShardedAdapter(pubClient, subClient, { subscriptionMode: 'dynamic' }));
 */
export function createShardedAdapter(
  pubClient: RedisClient,
  subClient: RedisClient,
  options?: ShardedRedisAdapterOptions,
): (nsp: AdapterNamespace) => ShardedRedisAdapter {
  resolveShardedOptions(options);
  checkClient(pubClient, 'pubClient');
  checkClient(subClient, 'subClient');
  return (nsp) => new ShardedRedisAdapter(nsp, pubClient, subClient, options);
}
