import { ProcessBudget, type BudgetHolder } from './process-budget.js';

/**
 * Default number of bytes of inflated output the messages of a process may hold while they inflate:
 * 128 MiB, above the default `maxPayload` (100 MiB), so any message the defaults accept can inflate.
 */
export const DEFAULT_INFLATE_BUDGET = 128 * 1024 * 1024;

/** One message inflating under an {@link InflateBudget}. */
export interface InflateBudgetHolder extends BudgetHolder {
  /**
   * The budget took back all this holder's bytes to make room for a smaller message: stop
   * inflating and fail the message with `ERR_INFLATE_BUDGET_EXCEEDED`.
   */
  evicted(): void;
}

/**
 * A process-wide budget for the bytes of inflated output held at once by compressed messages
 * (permessage-deflate) still inflating, shared by every connection that uses it.
 *
 * `maxPayload` bounds one message, the {@link ZlibLimiter} how many inflate at once; without this,
 * ten decompression bombs at the default `maxPayload` would hold a gigabyte together. A message's
 * output is charged as zlib produces it and given back when the message is delivered, fails, or
 * its connection closes. When a new piece of output would take the total past {@link limit}, the
 * message holding the most bytes pays: it stops inflating and its connection is closed with 1013
 * (Try Again Later), the same for the message that asked if it holds the most itself. So a bomb
 * cannot get a small message refused: with `n` messages inflating at once, one that inflates to
 * less than `limit / n` bytes (12.8 MiB with the defaults) is never refused.
 *
 * @example
 * import { WebSocketServer, InflateBudget, defaultInflateBudget } from 'switchboard/ws';
 * const budget = new InflateBudget(32 * 1024 * 1024);
 * const wss = new WebSocketServer({ port: 8080, perMessageDeflate: { inflateBudget: budget } });
 * setInterval(() => metrics.gauge('inflating_bytes', defaultInflateBudget.inflatingBytes + budget.inflatingBytes), 10_000);
 */
export class InflateBudget extends ProcessBudget<InflateBudgetHolder> {
  /** @throws TypeError when `limit` is not a number ≥ 0 (`Infinity` turns the budget off). */
  constructor(limit: number = DEFAULT_INFLATE_BUDGET) {
    super('inflateBudget', limit);
  }

  /** Bytes of inflated output held now by messages still inflating. */
  get inflatingBytes(): number {
    return this.heldBytes;
  }

  /** Messages holding inflated output now. */
  get inflatingMessages(): number {
    return this.holderCount;
  }

  /**
   * @internal Charges `bytes` more output to `holder`'s message, evicting the largest messages
   * first when they do not fit (their `evicted` runs before this returns). Answers `false`,
   * charging nothing, when `holder` is the largest itself: the caller fails its message and calls
   * {@link release}.
   */
  charge(holder: InflateBudgetHolder, bytes: number): boolean {
    return this.hold(holder, this.heldBy(holder) + bytes);
  }
}

/**
 * The budget every permessage-deflate connection shares unless given its own: at most
 * {@link DEFAULT_INFLATE_BUDGET} bytes of inflated output held across the process. Change `limit`
 * to tune it.
 */
export const defaultInflateBudget = new InflateBudget();
