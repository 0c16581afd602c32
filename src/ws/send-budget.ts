import { ProcessBudget, type BudgetHolder } from './process-budget.js';

/** Default number of bytes the connections of a process may hold for peers that read too slowly: 512 MiB. */
export const DEFAULT_SEND_BUDGET = 512 * 1024 * 1024;

/** A connection charged to a {@link SendBudget}. */
export interface SendBudgetHolder extends BudgetHolder {
  /**
   * The budget took back all this connection's charge to make room for a connection holding less:
   * its peer reads too slowly to go on. Close it (a WebSocket with 1013, a polling session with
   * "transport error") and charge it no more; listeners hear of it after the current send.
   */
  evicted(): void;
}

/**
 * A process-wide budget for the bytes queued to slow peers, shared by every connection that uses it.
 *
 * A connection is slow while it holds more than a small allowance, its socket's own buffer
 * (`writableHighWaterMark`, 16 KiB by default), whatever its `highWaterMark`. All the bytes a slow
 * WebSocket holds are charged to the budget, rounded up to whole allowances: they enter when it
 * queues them and leave when its socket drains, when a later send finds it back under its
 * allowance, or when it closes.
 *
 * When a send would take the total past {@link limit}, the connection charged the most pays: it
 * is closed with 1013 (Try Again Later), the next largest after it if that is not enough, until
 * the send fits. The send itself is refused (`ERR_BACKPRESSURE`, and its connection closed) only
 * when its connection would hold the most; a connection that was keeping up is not even then, so
 * it can always take one message (it may take the total past the limit until the next charge
 * closes the largest). A peer that reads everything but is sent a burst, which waits in its socket
 * until the end of the tick, is so never the one closed while a peer that stopped reading holds more.
 *
 * A connection closed this way leaves the budget at once; what it still holds goes when its socket
 * is destroyed, after a short grace (see `WebSocket`). So the `n` connections still open hold no
 * more than `limit` plus, each, its allowance and one message: `maxBufferedAmount` bounds each
 * connection, this bounds them all, and a crowd of peers that stop reading cannot take the
 * process's memory. Engine.IO sessions over HTTP long-polling draw from the budget too (their
 * `connectionLimits`): a client that stops polling is charged for the packets waiting for it past
 * its session's allowance, and its session is closed with "transport error" (dropping them at
 * once) where a WebSocket would be closed with 1013.
 *
 * @example
 * import { WebSocketServer, SendBudget, defaultSendBudget } from 'switchboard/ws';
 * const budget = new SendBudget(64 * 1024 * 1024);
 * const wss = new WebSocketServer({ port: 8080, sendBudget: budget });
 * setInterval(() => metrics.gauge('slow_bytes', defaultSendBudget.queuedBytes + budget.queuedBytes), 10_000);
 */
export class SendBudget extends ProcessBudget<SendBudgetHolder> {
  /** @throws TypeError when `limit` is not a number ≥ 0 (`Infinity` turns the budget off). */
  constructor(limit: number = DEFAULT_SEND_BUDGET) {
    super('sendBudget', limit);
  }

  /** Bytes slow connections hold now. */
  get queuedBytes(): number {
    return this.heldBytes;
  }

  /** Connections holding more than their allowance now. */
  get slowConnections(): number {
    return this.holderCount;
  }

  /**
   * @internal Charges a slow connection with all it holds, `bytes`, closing the connections
   * charged the most while a growing charge does not fit (see {@link SendBudget}). Answers
   * `false`, changing nothing, when `holder` would hold the most itself, unless `force` (it was
   * keeping up until this send): the caller closes it and calls {@link release}.
   */
  charge(holder: SendBudgetHolder, bytes: number, force: boolean): boolean {
    return this.hold(holder, bytes, force);
  }
}

/**
 * The budget every connection shares unless given its own (`sendBudget` option): at most
 * {@link DEFAULT_SEND_BUDGET} bytes queued to slow peers across the process. Change `limit` to tune it.
 */
export const defaultSendBudget = new SendBudget();
