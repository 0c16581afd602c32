/**
 * A token bucket: up to `capacity` actions at once, refilled at `refillPerSecond`. It reads the
 * clock only when asked, so it needs no timer and costs nothing while a connection is idle.
 *
 * @example
 * const bucket = new TokenBucket(20, 5, Date.now);
 * if (!bucket.take()) socket.close(1008, 'too many messages');
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes one token; answers `false`, taking nothing, when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    // A clock that steps back must not drain the bucket.
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
