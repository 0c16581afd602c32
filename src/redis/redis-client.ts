import type { Buffer } from 'node:buffer';
import { toError } from './publisher.js';

/** A pub/sub message handler: the payload and the channel it came on, both as bytes. */
export type MessageHandler = (message: Buffer, channel: Buffer) => void;

/**
 * What the adapters use of a `redis` (node-redis v4 or v5) client made with `createClient()` and
 * connected. Declared here so that neither client library is needed to compile against this package.
 */
export interface NodeRedisClient {
  readonly isReady: boolean;
  publish(channel: string, message: Buffer | string): Promise<unknown>;
  sPublish(channel: string, message: Buffer | string): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channels: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  unsubscribe(channels: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  pSubscribe(patterns: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  pUnsubscribe(patterns: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  sSubscribe(channels: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  sUnsubscribe(channels: string[], listener: MessageHandler, bufferMode: true): Promise<unknown>;
  on(event: 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'error', listener: (...args: unknown[]) => void): unknown;
  /** A new client with the same settings, not yet connected (the Streams adapter's own connections). */
  duplicate?(): NodeRedisClient;
  connect?(): Promise<unknown>;
  /** Closes the connection at once (v5; v4 has `disconnect`). */
  destroy?(): void;
  disconnect?(): Promise<unknown>;
}

/** What the adapters use of an `ioredis` client (`new Redis()`). */
export interface IoRedisClient {
  readonly status: string;
  publish(channel: string, message: Buffer | string): Promise<unknown>;
  spublish(channel: string, message: Buffer | string): Promise<unknown>;
  call(command: string, args: string[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  psubscribe(...patterns: string[]): Promise<unknown>;
  punsubscribe(...patterns: string[]): Promise<unknown>;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  /** A new client with the same settings, connecting unless they say `lazyConnect`. */
  duplicate?(): IoRedisClient;
  connect?(): Promise<unknown>;
  disconnect?(): void;
}

/** A Redis client of either library, as the application created it. */
export type RedisClient = NodeRedisClient | IoRedisClient;

/** The kinds of subscription Redis has: channels, patterns, and shard channels (Redis 7). */
type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** The ioredis events carrying the messages of each kind of subscription, as Buffers. */
const IOREDIS_EVENTS = { channel: 'messageBuffer', pattern: 'pmessageBuffer', shard: 'smessageBuffer' } as const;

/** Each library's methods that start and end each kind of subscription. */
const SUBSCRIBE = {
  nodeRedis: { channel: 'subscribe', pattern: 'pSubscribe', shard: 'sSubscribe' },
  ioredis: { channel: 'subscribe', pattern: 'psubscribe', shard: 'ssubscribe' },
} as const;
const UNSUBSCRIBE = {
  nodeRedis: { channel: 'unsubscribe', pattern: 'pUnsubscribe', shard: 'sUnsubscribe' },
  ioredis: { channel: 'unsubscribe', pattern: 'punsubscribe', shard: 'sunsubscribe' },
} as const;

function isNodeRedis(client: RedisClient): client is NodeRedisClient {
  return typeof (client as Partial<NodeRedisClient>).sSubscribe === 'function';
}

/** Checks that `client` is a standalone client of a supported library, or throws a `TypeError` naming `role`. */
export function checkClient(client: unknown, role: string): asserts client is RedisClient {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(`${role} must be a Redis client (from the "redis" or "ioredis" package)`);
  }
  const probe = client as Record<string, unknown>;
  if (Array.isArray(probe.masters) || probe.isCluster === true) {
    throw new TypeError(`${role} is a Redis Cluster client, which is not supported yet: pass a standalone client`);
  }
  if (typeof probe.sSubscribe !== 'function' && typeof probe.psubscribe !== 'function') {
    throw new TypeError(`${role} must be a client from the "redis" (v4 or v5) or "ioredis" (v5) package`);
  }
}

/**
 * How many {@link RedisConnection}s of one ioredis client hold each subscription (by kind and name).
 * ioredis keeps no listeners per channel, so an UNSUBSCRIBE sent for one wrapper would end the
 * subscription of every other (two servers of one process sharing their clients and key): it is
 * sent when the last holder lets go. node-redis counts its listeners per channel itself.
 */
const ioSubscriptions = new WeakMap<IoRedisClient, Map<string, number>>();

/**
 * One adapter's view of a Redis client, hiding how node-redis and ioredis differ: subscriptions
 * that deliver Buffers, publishing, subscriber counts and `error` events. Several adapters (one
 * per namespace) may share a client; each wraps it once and removes only what it added.
 */
export class RedisConnection {
  private readonly client: RedisClient;
  /** ioredis delivers every message to every listener: handlers by channel or pattern, per kind. */
  private readonly handlers = {
    channel: new Map<string, MessageHandler>(),
    pattern: new Map<string, MessageHandler>(),
    shard: new Map<string, MessageHandler>(),
  };
  private readonly ioListeners: { event: string; listener: (...args: unknown[]) => void }[] = [];
  private readonly errorListener: (...args: unknown[]) => void;

  /** Wraps `client`; its `error` events go to `onError` (so an error never goes unhandled) until {@link dispose}. */
  constructor(client: unknown, role: string, onError: (err: Error) => void) {
    checkClient(client, role);
    this.client = client;
    this.errorListener = (err) => onError(toError(err));
    client.on('error', this.errorListener);
  }

  /** Whether commands sent now go to Redis (rather than into the client's offline queue). */
  get isReady(): boolean {
    const client = this.client;
    return isNodeRedis(client) ? client.isReady : client.status === 'ready';
  }

  /** Publishes to a channel, or to a shard channel with `sharded` (SPUBLISH, Redis 7). */
  publish(channel: string, message: Buffer | string, sharded = false): Promise<unknown> {
    const client = this.client;
    if (isNodeRedis(client)) return sharded ? client.sPublish(channel, message) : client.publish(channel, message);
    return sharded ? client.spublish(channel, message) : client.publish(channel, message);
  }

  /** Sends any command; replies come as the client gives them (RESP2: arrays of strings). */
  command(args: string[]): Promise<unknown> {
    const client = this.client;
    return isNodeRedis(client) ? client.sendCommand(args) : client.call(args[0]!, args.slice(1));
  }

  /** How many clients subscribe to `channel` (PUBSUB NUMSUB), or to the shard channel with `sharded`. */
  async subscriberCount(channel: string, sharded = false): Promise<number> {
    const args = [sharded ? 'SHARDNUMSUB' : 'NUMSUB', channel];
    const client = this.client;
    const reply = isNodeRedis(client)
      ? await client.sendCommand(['PUBSUB', ...args])
      : await client.call('PUBSUB', args);
    // The reply is [channel, count], the count an integer (RESP2) or its text.
    const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (!Number.isInteger(count)) throw new Error(`unexpected reply to PUBSUB ${args[0]}: ${String(reply)}`);
    return count;
  }

  /** Subscribes `handler` to channels, patterns or shard channels. */
  subscribe(kind: SubscriptionKind, names: string[], handler: MessageHandler): Promise<unknown> {
    const client = this.client;
    if (isNodeRedis(client)) return client[SUBSCRIBE.nodeRedis[kind]](names, handler, true);
    this.listenOnce(kind);
    const holders = holdersOf(client);
    for (const name of names) {
      const key = `${kind} ${name}`;
      if (!this.handlers[kind].has(name)) holders.set(key, (holders.get(key) ?? 0) + 1);
      this.handlers[kind].set(name, handler);
    }
    return inSubscriptionOrder(client, () => client[SUBSCRIBE.ioredis[kind]](...names));
  }

  /** Removes the subscriptions {@link subscribe} made with `handler`. */
  unsubscribe(kind: SubscriptionKind, names: string[], handler: MessageHandler): Promise<unknown> {
    const client = this.client;
    if (isNodeRedis(client)) return client[UNSUBSCRIBE.nodeRedis[kind]](names, handler, true);
    const holders = holdersOf(client);
    const released: string[] = [];
    for (const name of names) {
      if (!this.handlers[kind].delete(name)) continue;
      const key = `${kind} ${name}`;
      const left = holders.get(key)! - 1;
      if (left > 0) holders.set(key, left);
      else {
        holders.delete(key);
        released.push(name);
      }
    }
    if (released.length === 0) return Promise.resolve();
    return inSubscriptionOrder(client, () => client[UNSUBSCRIBE.ioredis[kind]](...released));
  }

  /** Stops listening to the client (messages and errors); subscriptions are left to {@link unsubscribe}. */
  dispose(): void {
    this.client.off('error', this.errorListener);
    if (isNodeRedis(this.client)) return;
    for (const { event, listener } of this.ioListeners) this.client.off(event, listener);
    this.ioListeners.length = 0;
  }

  /** Adds this connection's ioredis listener for messages of `kind`, the first time it is needed. */
  private listenOnce(kind: SubscriptionKind): void {
    const client = this.client as IoRedisClient;
    const event = IOREDIS_EVENTS[kind];
    if (this.ioListeners.some((entry) => entry.event === event)) return;
    const handlers = this.handlers[kind];
    // Patterned messages come with the pattern first; the others with the channel first.
    const listener = (
      kind === 'pattern'
        ? (pattern: Buffer, channel: Buffer, message: Buffer): void =>
            handlers.get(pattern.toString())?.(message, channel)
        : (channel: Buffer, message: Buffer): void => handlers.get(channel.toString())?.(message, channel)
    ) as (...args: unknown[]) => void;
    this.ioListeners.push({ event, listener });
    client.on(event, listener);
  }
}

/** Per ioredis client: the end of the (un)subscriptions queued behind its handshake, in call order. */
const queuedSubscriptions = new WeakMap<IoRedisClient, Promise<void>>();

/**
 * Runs `send` (a SUBSCRIBE or UNSUBSCRIBE of `client`) at once, unless the client is in its
 * connection handshake (status `connect`) or such calls are already queued: then after the
 * handshake, in call order. During the handshake ioredis writes SUBSCRIBE at once, as a command
 * Redis accepts while loading, instead of queueing it; the reply puts the connection in subscriber
 * mode, the handshake's own INFO is then refused, and ioredis reconnects without the subscription
 * (it saves subscriptions only from a connection that was ready): the node would drop out of the
 * cluster for good. The queue waits for `ready`, through any reconnection, or for `end` (the
 * client is closed, and the commands then fail as they would have).
 */
function inSubscriptionOrder(client: IoRedisClient, send: () => Promise<unknown>): Promise<unknown> {
  const queued = queuedSubscriptions.get(client);
  if (queued === undefined && client.status !== 'connect') return send();
  const result = (queued ?? handshakeEnd(client)).then(send);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  queuedSubscriptions.set(client, settled);
  void settled.then(() => {
    if (queuedSubscriptions.get(client) === settled) queuedSubscriptions.delete(client);
  });
  return result;
}

/** Resolves when `client` is ready, or has ended. */
function handshakeEnd(client: IoRedisClient): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      client.off('ready', done);
      client.off('end', done);
      resolve();
    };
    client.on('ready', done);
    client.on('end', done);
  });
}

/** The holders' counts of `client`'s subscriptions (see {@link ioSubscriptions}). */
function holdersOf(client: IoRedisClient): Map<string, number> {
  let holders = ioSubscriptions.get(client);
  if (holders === undefined) ioSubscriptions.set(client, (holders = new Map<string, number>()));
  return holders;
}

/** A connection of its own, made from an application's client: see {@link duplicateClient}. */
export interface OwnConnection {
  readonly client: RedisClient;
  /** Resolves once it is connected; rejects when it cannot connect. */
  readonly connected: Promise<void>;
  /** Closes it at once; a command waiting on it (a blocking read) is rejected. */
  close(): void;
}

/** Whether `client` can make connections of its own (`duplicate()`), as both libraries' clients can. */
export function canDuplicate(client: RedisClient): boolean {
  return typeof client.duplicate === 'function';
}

/** Opens a new connection with `client`'s settings, for subscriptions or blocking reads. */
export function duplicateClient(client: RedisClient): OwnConnection {
  if (isNodeRedis(client)) {
    const copy = client.duplicate!();
    return {
      client: copy,
      connected: copy.connect!().then(() => undefined),
      close: () => {
        if (copy.destroy) copy.destroy();
        else void copy.disconnect?.().catch(() => undefined);
      },
    };
  }
  const copy = client.duplicate!();
  // A lazily connecting client waits for a first command; this one is used at once.
  const connected = copy.status === 'wait' ? copy.connect!().then(() => undefined) : Promise.resolve();
  return { client: copy, connected, close: () => copy.disconnect?.() };
}
