import type { Buffer } from 'node:buffer';
import type { RedisConnection } from './redis-client.js';

/**
 * Publishes for an adapter or an emitter, choosing what happens while Redis is away: a message
 * is dropped at once, never queued in the client to arrive late, and so is one Redis refuses or
 * that cannot be encoded. Each drop is counted and reported.
 */
export class Publisher {
  /** How many messages were dropped. */
  failures = 0;

  constructor(
    private readonly connection: RedisConnection,
    private readonly encode: (body: unknown) => Buffer | string,
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** Encodes and publishes `body` on `channel` (a shard channel with `sharded`). Never rejects. */
  async send(channel: string, body: unknown, sharded = false): Promise<void> {
    await this.attempt(`a message to ${channel}`, () => this.connection.publish(channel, this.encode(body), sharded));
  }

  /**
   * Runs a write (`what` names it in the failure) unless Redis is away, and resolves with its
   * reply, or with `undefined` when it was dropped or failed (counted and reported). Never rejects.
   */
  async attempt<T>(what: string, write: () => Promise<T>): Promise<T | undefined> {
    if (!this.connection.isReady) {
      this.failed(new Error(`Redis is unreachable: ${what} was dropped`));
      return undefined;
    }
    try {
      // Called before any await, so writes reach the client in the order they were made.
      return await write();
    } catch (err) {
      this.failed(toError(err));
      return undefined;
    }
  }

  private failed(error: Error): void {
    this.failures++;
    this.onFailure(error);
  }
}

/** A thrown or rejected value as an Error, for the adapters' events, which always carry one. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
