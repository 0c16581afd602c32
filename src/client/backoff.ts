/**
 * The key under which a manager keeps the random source of its reconnection delays: not an
 * option, so that tests can draw known values while applications cannot depend on it.
 * @internal
 */
export const randomSource: unique symbol = Symbol('randomSource');

/**
 * The delay before reconnection attempt `attempt` (from 0), in whole milliseconds, from a `draw`
 * in [0, 1). The attempt's ceiling is `min(max, base·2ⁿ)`.
 *
 * - Without a `factor` (the default), **full jitter**: the delay is drawn uniformly in
 *   `[0, ceiling]`, which spreads the clients of a restarted server over the whole window instead
 *   of bunching them around each step.
 * - With a `factor` (the user set `randomizationFactor`), socket.io-client's formula: `base·2ⁿ`
 *   moved up or down by at most `factor` of itself, then capped at `max`.
 */
export function backoffDelay(
  attempt: number,
  base: number,
  max: number,
  factor: number | undefined,
  draw: number,
): number {
  const exponential = base * 2 ** attempt;
  if (factor === undefined) return Math.floor(draw * (Math.min(max, exponential) + 1));
  const deviation = Math.floor(draw * factor * exponential);
  // The official client picks the direction from another digit of the same draw.
  return Math.floor(Math.min(Math.floor(draw * 10) & 1 ? exponential + deviation : exponential - deviation, max));
}
