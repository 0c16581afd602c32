/**
 * The key under which a manager keeps the random source of its reconnection delays: not an
 * option, so that tests can draw known values while applications cannot depend on it.
 * @internal
 */
export const randomSource: unique symbol = Symbol('switchboard.client.randomSource');

/**
 * Exponential backoff between reconnection attempts. Attempt `n` (from 0) has the ceiling
 * `min(max, base·2ⁿ)`.
 *
 * - Without a `factor` (the default), **full jitter**: the delay is drawn uniformly in
 *   `[0, ceiling]`, which spreads the clients of a restarted server over the whole window instead
 *   of bunching them around each step.
 * - With a `factor` (the user set `randomizationFactor`), socket.io-client's formula: `base·2ⁿ`
 *   moved up or down by at most `factor` of itself, then capped at `max`.
 */
export class Backoff {
  /** Attempts made since the last reset (the next delay's `n`). */
  attempts = 0;

  constructor(
    public base: number,
    public max: number,
    public factor: number | undefined,
    private readonly random: () => number,
  ) {}

  /** The delay before the next attempt, in whole milliseconds; counts the attempt. */
  duration(): number {
    const exponential = this.base * 2 ** this.attempts++;
    const ceiling = Math.min(this.max, exponential);
    const draw = this.random();
    if (this.factor === undefined) return Math.floor(draw * (ceiling + 1));
    const deviation = Math.floor(draw * this.factor * exponential);
    // The official client picks the direction from another digit of the same draw.
    const moved = (Math.floor(draw * 10) & 1) === 0 ? exponential - deviation : exponential + deviation;
    return Math.floor(Math.min(moved, this.max));
  }

  /** Starts counting again from the first attempt. */
  reset(): void {
    this.attempts = 0;
  }
}
