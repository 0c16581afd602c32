import { ProcessBudget } from './process-budget.js';

/** Default number of bytes the connections of a process may hold for peers that read too slowly: 512 MiB. */
export const DEFAULT_SEND_BUDGET = 512 * 1024 * 1024;

/**
 * A process-wide budget for the bytes queued to slow peers, shared by every connection that uses it.
 *
 * A connection is slow while it holds more than a small allowance, its socket's own buffer
 * (`writableHighWaterMark`, 16 KiB by default), whatever its `highWaterMark`. All the bytes a slow
 * connection holds are charged to the budget: they enter when it queues them and leave when its
 * socket drains, when a later send finds it back under its allowance, or when it closes. A send
 * to a slow connection that would take the total past {@link limit} closes it with 1013 (Try Again
 * Later) and fails with `ERR_BACKPRESSURE`; a connection that was keeping up is never refused, so it
 * can always take one message. So `n` connections never hold more than `limit` plus, each, its
 * allowance and one message: `maxBufferedAmount` bounds each connection, this bounds them all, and
 * a crowd of peers that stop reading cannot take the process's memory. Engine.IO
 * sessions over HTTP long-polling draw from the budget too (their `connectionLimits`): a client
 * that stops polling is charged for the packets waiting for it past its session's allowance, and
 * its session is closed with "transport error" where a WebSocket would be closed with 1013.
 *
 * @example
 * import { WebSocketServer, SendBudget, defaultSendBudget } from 'switchboard/ws';
 * const budget = new SendBudget(64 * 1024 * 1024);
 * const wss = new WebSocketServer({ port: 8080, sendBudget: budget });
 * setInterval(() => metrics.gauge('slow_bytes', defaultSendBudget.queuedBytes + budget.queuedBytes), 10_000);
 */
export class SendBudget extends ProcessBudget {
  private charged = 0;
  private slow = 0;

  /** @throws TypeError when `limit` is not a number ≥ 0 (`Infinity` turns the budget off). */
  constructor(limit: number = DEFAULT_SEND_BUDGET) {
    super('sendBudget', limit);
  }

  /** Bytes slow connections hold now. */
  get queuedBytes(): number {
    return this.charged;
  }

  /** Connections holding more than their allowance now. */
  get slowConnections(): number {
    return this.slow;
  }

  /**
   * @internal Moves one connection's charge from `from` bytes to `to` (0 for a connection that is
   * not slow). Answers `false`, changing nothing, when a growing charge would pass the limit,
   * unless `force`: a connection that was keeping up is not refused the one send that makes it
   * slow, which may take the total past the limit until the next charges shrink it.
   */
  move(from: number, to: number, force = false): boolean {
    if (!force && to > from && this.charged - from + to > this.limit) return false;
    this.charged += to - from;
    if (from === 0 && to !== 0) this.slow++;
    else if (from !== 0 && to === 0) this.slow--;
    return true;
  }
}

/**
 * The budget every connection shares unless given its own (`sendBudget` option): at most
 * {@link DEFAULT_SEND_BUDGET} bytes queued to slow peers across the process. Change `limit` to tune it.
 */
export const defaultSendBudget = new SendBudget();
