/**
 * A job the limiter runs when a slot is free; it calls `done` exactly once, when its zlib work
 * has finished (successfully or not).
 */
export type LimitedJob = (done: () => void) => void;

/** Default number of zlib operations in flight across the process. */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/**
 * Bounds how many zlib operations run at once, process-wide, and queues the rest in FIFO order.
 *
 * Node runs zlib work on its thread pool (4 threads unless `UV_THREADPOOL_SIZE` says otherwise),
 * shared with DNS lookups and file I/O; each operation in flight also holds its input and output
 * buffers. Without a bound, 10,000 connections compressing at once queue 10,000 operations and
 * their buffers, and starve everything else that needs the pool. Jobs start in the order they
 * were queued, so two jobs of one connection never swap places.
 *
 * @example
 * const limiter = new ZlibLimiter(4);
 * limiter.run((done) => deflater.flush(Z_SYNC_FLUSH, () => { send(); done(); }));
 */
export class ZlibLimiter {
  private limit: number;
  private running = 0;
  private readonly queue: (LimitedJob | undefined)[] = [];
  private head = 0;
  private draining = false;

  /** @throws TypeError when `concurrency` is not a positive integer. */
  constructor(concurrency: number = DEFAULT_ZLIB_CONCURRENCY) {
    this.limit = ZlibLimiter.check(concurrency);
  }

  private static check(concurrency: number): number {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError(`zlib concurrency must be a positive integer, got ${concurrency}`);
    }
    return concurrency;
  }

  /** How many jobs may run at once; raising it starts queued jobs at once. */
  get concurrency(): number {
    return this.limit;
  }

  set concurrency(value: number) {
    this.limit = ZlibLimiter.check(value);
    this.drain();
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Queues `job`; it starts now if a slot is free. */
  run(job: LimitedJob): void {
    this.queue.push(job);
    this.drain();
  }

  private drain(): void {
    // A job that finishes synchronously calls `done` from inside this loop; the flag keeps that
    // from recursing, and the loop picks up the freed slot.
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.running < this.limit && this.head < this.queue.length) {
        const job = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        this.running++;
        let finished = false;
        const done = (): void => {
          if (finished) return;
          finished = true;
          this.running--;
          this.drain();
        };
        try {
          job(done);
        } catch (error) {
          // A job that throws before starting its work must not hold its slot forever.
          done();
          throw error;
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/**
 * The limiter every permessage-deflate connection shares unless given its own: at most
 * {@link DEFAULT_ZLIB_CONCURRENCY} zlib operations in flight. Change `concurrency` to tune it.
 */
export const defaultZlibLimiter = new ZlibLimiter();
