import type { Duplex } from 'node:stream';
import { ErrorCode, WebSocketError } from '../protocol/index.js';
import { BackpressurePolicy, type ResolvedConnectionSettings } from './options.js';
import type { SendBudgetHolder } from './send-budget.js';
import type { SendCallback } from './websocket.js';

/** What a {@link SendAdmission} needs from the connection it admits sends for. */
export interface AdmissionHost {
  /**
   * Bytes accepted and not yet in the socket's buffer: the frame held for the end of the tick,
   * Blobs being read, messages being compressed, the waiting pong.
   */
  readonly bufferedBeside: number;
  /** The peer reads too slowly to go on: close with 1013 (Try Again Later) and report `error`. */
  abandonSlowPeer(error: WebSocketError): void;
}

/**
 * Decides, for one connection, whether a send may be queued: the backpressure policy past
 * `highWaterMark`, the `maxBufferedAmount` ceiling, and the connection's charge to its send budget.
 *
 * A connection is allowed its socket's own buffer (`writableHighWaterMark`, 16 KiB by default)
 * for free: holding no more, it keeps up. Past that allowance all it holds is charged to its
 * budget (in whole allowances, rounded up), until a later send or the socket's draining finds it back under, or it closes. Both
 * limits apply to what is already queued: a connection past its allowance is refused a send that
 * would take it past `maxBufferedAmount`, but one that has kept up can always take one message,
 * however large the peer's `maxPayload` lets it be. When the budget is full, the connection
 * charged the most is closed to make room (see `SendBudget`), this one if it would hold the
 * most itself. A connection closed for reading too slowly leaves the budget at once and is charged
 * no more. So the bytes that the `n` connections still open hold never pass their budget's limit
 * plus, each, its allowance and one message, whatever their `highWaterMark`.
 */
export class SendAdmission implements SendBudgetHolder {
  /** Bytes charged to the budget: all the connection holds while past its allowance, else 0. */
  private charged = 0;
  /** Whether the connection was closed for reading too slowly: it has left the budget for good. */
  private abandoned = false;
  private readonly allowance: number;
  /** Sends that keep the connection under this need no further look: the allowance, or a lower `highWaterMark`. */
  private readonly quickLimit: number;

  constructor(
    private readonly host: AdmissionHost,
    private readonly socket: Duplex,
    private readonly settings: ResolvedConnectionSettings,
  ) {
    this.allowance = socket.writableHighWaterMark;
    this.quickLimit = Math.min(this.allowance, settings.highWaterMark);
  }

  /** `false` when a send of `length` bytes must not be written; its callback then gets the error. */
  admit(length: number, callback: SendCallback | undefined): boolean {
    // Per send and per broadcast recipient: the socket's buffer is compared first, and only a
    // connection near its allowance adds up what waits beside it.
    const inSocket = this.socket.writableLength + length;
    if (inSocket > this.quickLimit || this.charged !== 0)
      return this.admitPast(inSocket + this.host.bufferedBeside, length, callback);
    const pending = inSocket + this.host.bufferedBeside;
    return pending <= this.quickLimit || this.admitPast(pending, length, callback);
  }

  /**
   * Charges what the connection holds, `held` bytes, to its budget while that is past its
   * allowance, else releases its charge (`settle(0)` as it closes). Bytes already held are always
   * charged (the budget makes room by closing larger holders, or passes its limit); only a send
   * being admitted is `refusable`: `false`, charging nothing, when the connection would hold the
   * most of a full budget.
   */
  settle(held: number, refusable = false): boolean {
    // Charged in whole allowances, rounded up: a connection that writes a burst of small messages
    // within one tick (an echo of a read that held many) passes its allowance until the tick ends,
    // and should not update the budget's map on every one of them. The charge stays at least what
    // is held, so every bound holds; it is over by less than one allowance.
    const charge = held > this.allowance ? Math.ceil(held / this.allowance) * this.allowance : 0;
    if (charge === this.charged || this.abandoned) return true;
    const budget = this.settings.sendBudget;
    if (charge === 0) budget.release(this);
    else if (!budget.charge(this, charge, !refusable)) return false;
    this.charged = charge;
    return true;
  }

  /** The budget closed this connection to make room for connections holding less. */
  evicted(): void {
    this.abandon(
      new WebSocketError(
        ErrorCode.Backpressure,
        `the send budget (${this.settings.sendBudget.limit} bytes across slow connections) was full and this connection held the most`,
      ),
    );
  }

  /**
   * After an admitted send went to the socket: what the kernel took at once is no longer held, and
   * a connection that holds no more than its allowance now leaves the budget (there may be no
   * `'drain'` to tell it so, as there is none when the socket's buffer never filled). The send
   * was admitted: what it adds beyond its length (the frame's header) is charged, never refused.
   */
  written(): void {
    if (this.charged !== 0) this.settle(this.socket.writableLength + this.host.bufferedBeside);
  }

  /** `pending`: all the connection would hold with the send, `length` bytes of it the send's own. */
  private admitPast(pending: number, length: number, callback: SendCallback | undefined): boolean {
    const settings = this.settings;
    if (pending > settings.highWaterMark && settings.backpressure !== BackpressurePolicy.Wait) {
      return this.refuse(
        `send would pass highWaterMark (${settings.highWaterMark} bytes)`,
        settings.backpressure === BackpressurePolicy.Close,
        callback,
      );
    }
    // Both limits apply to what is already queued: a connection that has kept up takes this send.
    const slow = pending - length > this.allowance;
    if (slow && pending > settings.maxBufferedAmount) {
      return this.refuse(`send would pass maxBufferedAmount (${settings.maxBufferedAmount} bytes)`, true, callback);
    }
    if (!this.settle(pending, slow)) {
      return this.refuse(
        `send would pass the send budget (${settings.sendBudget.limit} bytes across slow connections) and this connection would hold the most`,
        true,
        callback,
      );
    }
    return true;
  }

  /**
   * Refuses a send with `ERR_BACKPRESSURE`, passed to its callback; with `close`, the peer reads
   * too slowly to go on and the connection is abandoned (1013).
   */
  private refuse(message: string, close: boolean, callback: SendCallback | undefined): false {
    const error = new WebSocketError(ErrorCode.Backpressure, message);
    if (close) this.abandon(error);
    if (callback) process.nextTick(callback, error);
    return false;
  }

  /**
   * The peer reads too slowly to go on: the connection leaves the budget now (what it holds goes
   * when its socket is destroyed) and is closed with 1013.
   */
  private abandon(error: WebSocketError): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.settings.sendBudget.release(this);
    this.charged = 0;
    this.host.abandonSlowPeer(error);
  }
}
