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
    if (!this.connection.isReady) {
      this.failed(new Error(`Redis is unreachable: a message to ${channel} was dropped`));
      return;
    }
    try {
      // Called before any await, so messages reach the client in the order they were sent.
      await this.connection.publish(channel, this.encode(body), sharded);
    } catch (err) {
      this.failed(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private failed(error: Error): void {
    this.failures++;
    this.onFailure(error);
  }
}
