import { readEntries, compareIds, type StreamEntry } from './stream-entries.js';
import type { RedisConnection } from './redis-client.js';
import { toError } from './publisher.js';

/** How long to wait before reading again after a failed read, in ms: doubled per failure, up to the cap. */
const RETRY_FIRST = 100;
const RETRY_CAP = 2000;

interface Waiter {
  readonly id: string;
  readonly timer: ReturnType<typeof setTimeout>;
  resolve(reached: boolean): void;
}

/** How a {@link StreamReader} reads. */
export interface StreamReaderSettings {
  readonly stream: string;
  /** Entries per XREAD. */
  readonly readCount: number;
  /** How long one XREAD blocks, in ms. */
  readonly blockTime: number;
  /** Called for each entry, in stream order; must not throw. */
  readonly onEntries: (entries: StreamEntry[]) => void;
  /** Called when a read fails (Redis away); reading goes on. */
  readonly onError: (error: Error) => void;
}

/**
 * Reads a Redis stream from a position, on a connection of its own (XREAD BLOCK holds it), and
 * hands each entry on in order. It remembers the last id it read, so after a lost connection or a
 * Redis restart it resumes right after it: stream ids grow with time, so the entries of a stream
 * created again are all after it.
 */
export class StreamReader {
  private position: string;
  private running = false;
  private waiters: Waiter[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly settings: StreamReaderSettings,
    from: string,
  ) {
    this.position = from;
  }

  /** The id of the last entry read (or where reading started). */
  get lastId(): string {
    return this.position;
  }

  /** Starts reading; resolves when {@link stop} has been called and the last read has ended. */
  start(): Promise<void> {
    this.running = true;
    return this.loop();
  }

  /** Stops reading. The connection is the caller's to close (which ends a read in progress). */
  stop(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
  }

  /** Resolves with `true` once the entry `id` has been read (at once if it has), `false` after `timeout` ms. */
  whenRead(id: string, timeout: number): Promise<boolean> {
    if (compareIds(this.position, id) >= 0) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.timer !== timer);
        resolve(false);
      }, timeout);
      this.waiters.push({ id, timer, resolve });
    });
  }

  private async loop(): Promise<void> {
    const { stream, readCount, blockTime } = this.settings;
    let failures = 0;
    while (this.running) {
      let entries: StreamEntry[];
      try {
        const args = [
          'XREAD',
          'COUNT',
          String(readCount),
          'BLOCK',
          String(blockTime),
          'STREAMS',
          stream,
          this.position,
        ];
        entries = readEntries(await this.connection.command(args));
        failures = 0;
      } catch (err) {
        if (!this.running) return;
        this.settings.onError(toError(err));
        await this.pause(Math.min(RETRY_FIRST * 2 ** failures++, RETRY_CAP));
        continue;
      }
      if (!this.running) return;
      if (entries.length === 0) continue;
      this.position = entries[entries.length - 1]![0];
      this.settings.onEntries(entries);
      this.wakeWaiters();
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, ms);
    });
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (compareIds(this.position, waiter.id) < 0) {
        still.push(waiter);
        continue;
      }
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
    this.waiters = still;
  }
}
