import { Buffer } from 'node:buffer';
import {
  ClusterMessageType,
  serializeOptions,
  type AdapterNamespace,
  type BroadcastOptions,
  type ClusterMessage,
  type ClusterResponse,
  type DistributiveOmit,
  type PrivateSessionId,
  type Room,
  type SerializedBroadcastOptions,
  type Session,
  type SessionToPersist,
  type SocketId,
} from '../adapter/index.js';
import { PacketType, type Packet } from '../protocol/socket-io/index.js';
import { isClusterResponse, isFields, isRoomList, readClusterMessage } from './cluster-wire.js';
import { resolveStreamsOptions, type StreamsAdapterOptions } from './options.js';
import { MSGPACK_PARSER, encodeWith } from './parser.js';
import { toError } from './publisher.js';
import { RedisAdapterBase } from './redis-adapter-base.js';
import { canDuplicate, checkClient, type RedisClient } from './redis-client.js';
import { compareIds, decodeEntry, encodeEntry, isEntryId, rangeEntries } from './stream-entries.js';
import type { StreamReader } from './stream-reader.js';
import { StreamsHub } from './streams-hub.js';

/** A session as it is kept in Redis: the official fields, plus where its rooms last changed. */
interface StoredSession extends SessionToPersist {
  /** The last stream entry read when the socket's rooms last changed (for a client that got no offset). */
  settledAt?: string;
}

function isStoredSession(value: unknown): value is StoredSession {
  const session = value as Partial<StoredSession> | null;
  return (
    typeof session === 'object' &&
    session !== null &&
    typeof session.sid === 'string' &&
    typeof session.pid === 'string' &&
    Array.isArray(session.rooms)
  );
}

/** Whether a socket in `rooms` was a recipient of a broadcast to `targets` except `except`. */
function reaches(rooms: readonly Room[], targets: readonly Room[], except: readonly Room[]): boolean {
  const included = targets.length === 0 || rooms.some((room) => targets.includes(room));
  return included && !rooms.some((room) => except.includes(room));
}

/** The settings of one adapter, checked. */
type StreamsSettings = Required<StreamsAdapterOptions>;

/**
 * The Redis adapter over Redis Streams, compatible with `@socket.io/redis-streams-adapter`:
 * broadcasts, joins, leaves and disconnections are appended to one stream (one XADD each, trimmed
 * with `MAXLEN ~ maxLen`) that every node reads; requests and their responses, which are not
 * worth keeping, go over pub/sub. With connection state recovery on, offsets are stream ids and
 * sessions are kept in Redis (`SET … PX maxDisconnectionDuration`), so a client recovers on any
 * node.
 *
 * Every node, this one included, delivers the stream's entries to its sockets in stream order:
 * a client's packets come in the order of their offsets, so what it missed is exactly what
 * follows its last offset. When Redis is unreachable, a broadcast is delivered to this node's
 * clients at once, without an offset, and counted as a publish failure.
 */
// Not `implements StreamsHubMember`: the members the hub calls are internal, stripped from the
// published declarations, which would then claim an interface they no longer show.
export class StreamsRedisAdapter extends RedisAdapterBase {
  private readonly settings: StreamsSettings;
  private readonly hub: StreamsHub;
  private readonly channel: string;
  private readonly ownChannel: string;
  private reader: StreamReader | undefined;
  /** With recovery on: for each socket, the last entry read when its rooms last changed. */
  private readonly lastRoomsChange = new Map<SocketId, string>();
  private readonly onPubSub = (message: Buffer): void => this.handlePubSub(message);

  /** @internal Made by {@link createStreamsAdapter}. */
  constructor(nsp: AdapterNamespace, pubClient: RedisClient, hub: StreamsHub, settings: StreamsSettings) {
    super(nsp, pubClient, hub.subscriberClient, {
      requestsTimeout: settings.requestsTimeout,
      parser: MSGPACK_PARSER,
    });
    this.settings = settings;
    this.hub = hub;
    this.channel = `${settings.channelPrefix}#${nsp.name}#`;
    this.ownChannel = `${this.channel}${this.uid}#`;
  }

  /** @internal The namespace's name, for the hub. */
  get nspName(): string {
    return this.nsp.name;
  }

  override async init(): Promise<void> {
    this.reader = await this.hub.start(this, this.pub);
    await super.init();
  }

  override async close(): Promise<void> {
    await super.close();
    this.hub.leave(this);
    this.lastRoomsChange.clear();
  }

  protected async subscribeAll(): Promise<void> {
    await this.sub.subscribe(this.subscriptionKind(), [this.channel, this.ownChannel], this.onPubSub);
  }

  protected async unsubscribeAll(): Promise<void> {
    await this.sub.unsubscribe(this.subscriptionKind(), [this.channel, this.ownChannel], this.onPubSub);
  }

  protected countNodes(): Promise<number> {
    return this.pub.subscriberCount(this.channel, this.settings.useShardedPubSub);
  }

  protected encode(body: unknown): Buffer | string {
    return encodeWith(this.parser, body);
  }

  // Requests go over pub/sub; what changes the sockets' state goes through the stream.
  protected async doPublish(message: ClusterMessage): Promise<void> {
    if (this.isEphemeral(message)) await this.send(this.channel, message, this.settings.useShardedPubSub);
    else await this.append(message);
  }

  protected doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    return this.send(`${this.channel}${requesterUid}#`, response, this.settings.useShardedPubSub);
  }

  /**
   * Appends the broadcast to the stream; every node, this one too, delivers it when it reads it,
   * with its id as the offset. A broadcast with `local` is delivered here at once, without one.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (opts.flags?.local) {
      this.broadcastLocally(packet, opts);
      return;
    }
    const data = { packet: { ...packet, nsp: this.nsp.name }, opts: serializeOptions(opts) };
    this.appendOrApply({ type: ClusterMessageType.Broadcast, data }, () => this.broadcastLocally(packet, opts));
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.throughStream(
      opts,
      (serialized) => ({ type: ClusterMessageType.SocketsJoin, data: { opts: serialized, rooms } }),
      (local) => super.addSockets(local, rooms),
    );
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.throughStream(
      opts,
      (serialized) => ({ type: ClusterMessageType.SocketsLeave, data: { opts: serialized, rooms } }),
      (local) => super.delSockets(local, rooms),
    );
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.throughStream(
      opts,
      (serialized) => ({ type: ClusterMessageType.DisconnectSockets, data: { opts: serialized, close } }),
      (local) => super.disconnectSockets(local, close),
    );
  }

  override addAll(id: SocketId, rooms: Set<Room>): void {
    this.noteRoomsChange(id);
    super.addAll(id, rooms);
  }

  override del(id: SocketId, room: Room): void {
    if (this.sids.has(id)) this.noteRoomsChange(id);
    super.del(id, room);
  }

  override delAll(id: SocketId): void {
    this.lastRoomsChange.delete(id);
    super.delAll(id);
  }

  /** Keeps the session in Redis for `maxDisconnectionDuration`, under `sessionKeyPrefix` + its private id. */
  override persistSession(session: SessionToPersist): void {
    const recovery = this.nsp.recovery;
    if (!recovery) return;
    const stored: StoredSession = { ...session, rooms: [...session.rooms] };
    const settledAt = this.lastRoomsChange.get(session.sid) ?? this.reader?.lastId;
    if (settledAt !== undefined) stored.settledAt = settledAt;
    const value = Buffer.from(MSGPACK_PARSER.encode(stored)).toString('base64');
    const key = this.settings.sessionKeyPrefix + session.pid;
    const ttl = String(recovery.maxDisconnectionDuration);
    void this.attempt('a session', () => this.pub.command(['SET', key, value, 'PX', ttl]));
  }

  /**
   * Takes the session out of Redis and reads the stream after `offset` for the packets it missed,
   * up to the last entry this node has read (the later ones reach it live). `null` when the
   * session expired, the offset is unknown or was trimmed away (more than `maxLen` entries ago),
   * or the stream could not be read through: a partial replay is never passed off as a recovery.
   */
  override async restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    const reader = this.reader;
    if (!this.nsp.recovery || !reader || (offset !== '' && !isEntryId(offset))) return null;
    const raw = await this.pub.command(['GETDEL', this.settings.sessionKeyPrefix + pid]);
    if (typeof raw !== 'string') return null;
    const stored = MSGPACK_PARSER.decode(Buffer.from(raw, 'base64'));
    if (!isStoredSession(stored) || stored.pid !== pid) return null;
    // A client that never got an offset missed everything after its rooms last changed.
    const from = offset === '' ? stored.settledAt : offset;
    if (from === undefined || !isEntryId(from)) return null;
    if (from !== '0-0' && rangeEntries(await this.range(from, from, 1)).length === 0) return null;
    // Another node may have read further than this one: what the client got is then still to come here.
    if (!(await reader.whenRead(from, this.requestsTimeout))) return null;
    const missedPackets = await this.missedSince(from, stored.rooms, reader);
    if (!missedPackets) return null;
    return { sid: stored.sid, pid: stored.pid, rooms: stored.rooms, data: stored.data, missedPackets };
  }

  /** @internal Handles an entry of the stream for this namespace (called by the hub, in stream order). */
  onEntry(id: string, fields: readonly string[]): void {
    this.receive(() => {
      const message = decodeEntry(fields);
      // This node's own entries are delivered here too, in their place in the stream.
      if (message.uid === this.uid) this.applyMessage(message, id);
      else this.onMessage(message, id);
    });
  }

  /** @internal Reports an error of the hub's connections. */
  onRedisError(error: Error): void {
    this.emit('redis-error', error);
  }

  /**
   * The replayable packets for a socket in `rooms` after entry `from`, up to what `reader` has
   * read when it returns, each with its entry id as offset; `undefined` when that cannot be told.
   */
  private async missedSince(from: string, rooms: Room[], reader: StreamReader): Promise<unknown[][] | undefined> {
    const { readCount, maxLen } = this.settings;
    const missed: unknown[][] = [];
    let cursor = from;
    // Entries may keep coming while the pages are read: bounded, as the stream is.
    for (let pages = Math.ceil(maxLen / readCount) + 2; pages > 0; pages--) {
      const end = reader.lastId;
      if (compareIds(cursor, end) >= 0) return missed;
      const entries = rangeEntries(await this.range(`(${cursor}`, end, readCount));
      // The reader has read past `cursor`: an empty page means the entries were trimmed away.
      if (entries.length === 0) return undefined;
      for (const [id, fields] of entries) {
        cursor = id;
        const data = this.replayableEntry(fields, rooms);
        if (data) missed.push([...data, id]);
      }
    }
    return undefined;
  }

  /**
   * The arguments of an entry's broadcast that a socket in `rooms` got and may get again. An entry
   * that cannot be read (a foreign or broken producer) is reported as an `invalid-message` and
   * skipped, as it is when read live: the other entries are still worth replaying.
   */
  private replayableEntry(fields: readonly string[], rooms: Room[]): unknown[] | undefined {
    try {
      return this.replayable(decodeEntry(fields), rooms);
    } catch (err) {
      this.emit('invalid-message', toError(err));
      return undefined;
    }
  }

  /**
   * The arguments of a broadcast of this namespace that a socket in `rooms` got and may get again;
   * throws on a broadcast without a packet or rooms (the cluster adapter checks no further).
   */
  private replayable(message: ClusterMessage, rooms: Room[]): unknown[] | undefined {
    if (message.type !== ClusterMessageType.Broadcast || message.nsp !== this.nsp.name) return undefined;
    // Typed as our nodes write it; read as anything, since any producer may have written it.
    const data: unknown = message.data;
    if (!isFields(data) || !isFields(data.packet) || !isFields(data.opts)) {
      throw new Error('a broadcast without a packet or options');
    }
    const { packet, opts } = data;
    const except = opts.except ?? [];
    if (!isRoomList(opts.rooms) || !isRoomList(except)) throw new Error('a broadcast without a list of rooms');
    if (data.requestId !== undefined || packet.type !== PacketType.Event || packet.id !== undefined) return undefined;
    const volatile = isFields(opts.flags) && opts.flags.volatile === true;
    if (volatile || !Array.isArray(packet.data) || !reaches(rooms, opts.rooms, except)) return undefined;
    return packet.data as unknown[];
  }

  private range(start: string, end: string, count: number): Promise<unknown> {
    return this.pub.command(['XRANGE', this.settings.streamName, start, end, 'COUNT', String(count)]);
  }

  /** Appends a message to the stream; resolves with its id, or `undefined` when Redis did not take it. */
  private append(message: ClusterMessage): Promise<string | undefined> {
    const { streamName, maxLen, onlyPlaintext } = this.settings;
    const fields = encodeEntry(message, onlyPlaintext);
    return this.attempt(`an entry of ${streamName}`, () =>
      this.pub.command(['XADD', streamName, 'MAXLEN', '~', String(maxLen), '*', ...fields]),
    ).then((id) => (typeof id === 'string' ? id : undefined));
  }

  /**
   * Appends a message of this node, which acts on it when it reads it back; when Redis does not
   * take it, acts on it here at once with `fallback` (the other nodes never get it).
   */
  private appendOrApply(body: DistributiveOmit<ClusterMessage, 'uid' | 'nsp'>, fallback: () => void): void {
    const message = { ...body, uid: this.uid, nsp: this.nsp.name };
    this.append(message)
      .then((id) => {
        if (id === undefined) fallback();
      })
      .catch((err: unknown) => process.emitWarning(`streams adapter could not act on its own message: ${String(err)}`));
  }

  /**
   * Runs an operation on sockets through the stream: appended, and acted on by every node when it
   * reads it back. Flagged `local`, or when Redis does not take it, `act` runs here at once, with
   * options flagged `local` so that the cluster adapter does not publish it again.
   */
  private throughStream(
    opts: BroadcastOptions,
    message: (serialized: SerializedBroadcastOptions) => DistributiveOmit<ClusterMessage, 'uid' | 'nsp'>,
    act: (localOpts: BroadcastOptions) => void,
  ): void {
    if (opts.flags?.local) {
      act(opts);
      return;
    }
    this.appendOrApply(message(serializeOptions(opts)), () => act(localOnly(opts)));
  }

  private isEphemeral(message: ClusterMessage): boolean {
    switch (message.type) {
      case ClusterMessageType.Broadcast:
        return message.data.requestId !== undefined;
      case ClusterMessageType.ServerSideEmit:
      case ClusterMessageType.FetchSockets:
        return true;
      default:
        return false;
    }
  }

  private subscriptionKind(): 'channel' | 'shard' {
    return this.settings.useShardedPubSub ? 'shard' : 'channel';
  }

  private noteRoomsChange(id: SocketId): void {
    if (this.nsp.recovery && this.reader) this.lastRoomsChange.set(id, this.reader.lastId);
  }

  private handlePubSub(message: Buffer): void {
    this.receive(() => {
      const body = readClusterMessage(this.parser.decode(message));
      if (isClusterResponse(body)) this.onResponse(body);
      else this.onMessage(body);
    });
  }
}

function localOnly(opts: BroadcastOptions): BroadcastOptions {
  return { ...opts, flags: { ...opts.flags, local: true } };
}

/**
 * Returns what builds a {@link StreamsRedisAdapter} for each namespace, all sharing the stream
 * and two connections of their own made from `client` (one subscribed, one reading the stream).
 * Needs Redis 6.2 or later (GETDEL, exclusive XRANGE).
 *
 * @example
 * import { createClient } from 'redis';
 * import { createStreamsAdapter } from 'switchboard/redis';
 * const client = createClient({ url: 'redis://localhost:6379' });
 * await client.connect();
 * const io = new Server(httpServer, {
 *   adapter: createStreamsAdapter(client, { maxLen: 10_000 }),
 *   connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000 },
 * });
 */
export function createStreamsAdapter(
  client: RedisClient,
  options?: StreamsAdapterOptions,
): (nsp: AdapterNamespace) => StreamsRedisAdapter {
  const settings = resolveStreamsOptions(options);
  checkClient(client, 'client');
  if (!canDuplicate(client))
    throw new TypeError('client must have a duplicate() method, as the clients of "redis" and "ioredis" have');
  const hub = new StreamsHub(client, {
    stream: settings.streamName,
    readCount: settings.readCount,
    blockTime: settings.blockTimeInMs,
  });
  return (nsp) => new StreamsRedisAdapter(nsp, client, hub, settings);
}
