/** Default number of bytes the connections of a process may hold for peers that read too slowly: 512 MiB. */
export const DEFAULT_SEND_BUDGET = 512 * 1024 * 1024;

/**
 * A process-wide budget for the bytes queued to slow peers, shared by every connection that uses it.
 *
 * A connection is slow while more than its `highWaterMark` waits to be written (under the `wait`
 * backpressure policy; the other policies never let it get there). All the bytes a slow connection
 * holds are charged to the budget: they enter when it queues them and leave when its socket drains,
 * when a later send finds it back under its mark, or when it closes. A send that would take the
 * total past {@link limit} closes the connection it was for with 1013 (Try Again Later) and fails
 * with `ERR_BACKPRESSURE`: only a slow connection can be refused, never one that keeps up.
 * `maxBufferedAmount` bounds each connection; this bounds them all together, so a crowd of peers
 * that stop reading cannot take the process's memory. Engine.IO sessions over HTTP long-polling draw
 * from the budget too (their `connectionLimits`): a client that stops polling is charged for the
 * packets waiting for it, and its session is closed with "transport error" where a WebSocket would
 * be closed with 1013.
 *
 * @example
 * import { WebSocketServer, SendBudget, defaultSendBudget } from 'switchboard/ws';
 * const budget = new SendBudget(64 * 1024 * 1024);
 * const wss = new WebSocketServer({ port: 8080, sendBudget: budget });
 * setInterval(() => metrics.gauge('slow_bytes', defaultSendBudget.queuedBytes + budget.queuedBytes), 10_000);
 */
export class SendBudget {
  private max: number;
  private charged = 0;
  private slow = 0;
  private closed = 0;

  /** @throws TypeError when `limit` is not a number ≥ 0 (`Infinity` turns the budget off). */
  constructor(limit: number = DEFAULT_SEND_BUDGET) {
    this.max = SendBudget.check(limit);
  }

  private static check(limit: number): number {
    if (typeof limit !== 'number' || !(limit >= 0)) throw new TypeError(`sendBudget limit must be a number ≥ 0, got ${limit}`);
    return limit;
  }

  /** Most bytes slow connections may hold together. Lowering it refuses sends only from then on. */
  get limit(): number {
    return this.max;
  }

  set limit(value: number) {
    this.max = SendBudget.check(value);
  }

  /** Bytes slow connections hold now. */
  get queuedBytes(): number {
    return this.charged;
  }

  /** Connections holding more than their `highWaterMark` now. */
  get slowConnections(): number {
    return this.slow;
  }

  /**
   * Connections closed since the budget was created because a send to them would have passed
   * {@link limit}: WebSockets (1013) and Engine.IO polling sessions ("transport error").
   */
  get closedConnections(): number {
    return this.closed;
  }

  /**
   * @internal Moves one connection's charge from `from` bytes to `to` (0 for a connection that is
   * not slow). Answers `false`, changing nothing, when a growing charge would pass the limit.
   */
  move(from: number, to: number): boolean {
    if (to > from && this.charged - from + to > this.max) return false;
    this.charged += to - from;
    if (from === 0 && to !== 0) this.slow++;
    else if (from !== 0 && to === 0) this.slow--;
    return true;
  }

  /** @internal A connection was closed for passing the limit. */
  countClosed(): void {
    this.closed++;
  }
}

/**
 * The budget every connection shares unless given its own (`sendBudget` option): at most
 * {@link DEFAULT_SEND_BUDGET} bytes queued to slow peers across the process. Change `limit` to tune it.
 */
export const defaultSendBudget = new SendBudget();
