import type { Buffer } from 'node:buffer';
import { ClusterAdapter, type AdapterNamespace } from '../adapter/index.js';
import { type Parser } from './parser.js';
import { Publisher, toError } from './publisher.js';
import { RedisConnection } from './redis-client.js';

/**
 * Events of the Redis adapters, on top of the room events of every adapter. Listen on
 * `io.of(name).adapter`; none of them is `error`, so an unheard one never throws.
 */
export interface RedisAdapterEvents {
  /**
   * A message could not be handed to Redis (it was unreachable, or refused it): it is dropped,
   * never queued, and {@link RedisAdapterBase.publishFailures} counts it. For a broadcast, the
   * clients of this node still got it; those of the other nodes did not.
   */
  'publish-failure': [error: Error];
  /** One of the Redis clients reported an error (a lost connection, ...); the client reconnects by itself. */
  'redis-error': [error: Error];
  /** A message from Redis could not be read (another parser, a foreign publisher): it is ignored. */
  'invalid-message': [error: Error];
}

/** Settings every Redis adapter shares, already checked. */
export interface RedisAdapterSettings {
  readonly requestsTimeout: number;
  readonly parser: Parser;
}

/**
 * What the classic and the sharded Redis adapters share on top of the cluster adapter: the two
 * connections, their errors, publishing that never queues while Redis is away, and a node count
 * that comes from Redis' own subscriber counts (so a node that dies stops counting as soon as
 * Redis drops its connection) and that gives up after `requestsTimeout`.
 */
export abstract class RedisAdapterBase extends ClusterAdapter {
  protected readonly pub: RedisConnection;
  protected readonly sub: RedisConnection;
  protected readonly parser: Parser;
  private readonly publisher: Publisher;
  private readonly timeout: number;

  constructor(nsp: AdapterNamespace, pubClient: unknown, subClient: unknown, settings: RedisAdapterSettings) {
    super(nsp, { requestsTimeout: settings.requestsTimeout });
    this.timeout = settings.requestsTimeout;
    this.parser = settings.parser;
    const onError = (err: Error): void => void this.emit('redis-error', err);
    this.pub = new RedisConnection(pubClient, 'pubClient', onError);
    this.sub = new RedisConnection(subClient, 'subClient', onError);
    this.publisher = new Publisher(
      this.pub,
      (body) => this.encode(body),
      (err) => this.emit('publish-failure', err),
    );
  }

  /** How many messages could not be published since this adapter started (see {@link RedisAdapterEvents}). */
  get publishFailures(): number {
    return this.publisher.failures;
  }

  /** Subscribes to this namespace's channels. */
  protected abstract subscribeAll(): Promise<void>;

  /** Removes this namespace's subscriptions. */
  protected abstract unsubscribeAll(): Promise<void>;

  /** How many nodes subscribe to this namespace, this one included. */
  protected abstract countNodes(): Promise<number>;

  /** The bytes to publish for a message (may throw on values the format cannot hold). */
  protected abstract encode(body: unknown): Buffer | string;

  // Nodes are counted by Redis, from the subscriptions: starting them is all there is to do.
  override async init(): Promise<void> {
    await this.subscribeAll();
  }

  override async close(): Promise<void> {
    await super.close();
    // Not awaited: with Redis away the client would hold these until it is back.
    this.unsubscribeAll().catch(() => undefined);
    this.pub.dispose();
    this.sub.dispose();
  }

  /** Number of nodes serving this namespace; rejects when Redis does not answer within `requestsTimeout`. */
  override serverCount(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Redis did not answer within ${this.timeout} ms: the nodes cannot be counted`));
      }, this.timeout);
      this.countNodes()
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  }

  /** Encodes and publishes `body` on `channel`; see {@link RedisAdapterEvents} for what happens when Redis is away. */
  protected send(channel: string, body: unknown, sharded = false): Promise<void> {
    return this.publisher.send(channel, body, sharded);
  }

  /** Runs another write as {@link send} publishes: its reply, or `undefined` when it was dropped or failed. */
  protected attempt<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    return this.publisher.attempt(what, write);
  }

  /** Decodes and hands on a received message; what cannot be read becomes an `invalid-message` event. */
  protected receive(read: () => void): void {
    try {
      read();
    } catch (err) {
      this.emit('invalid-message', toError(err));
    }
  }
}
