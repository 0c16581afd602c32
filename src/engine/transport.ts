import { EventEmitter } from 'node:events';
import type { EngineIOParseError, Packet } from '../protocol/engine-io/index.js';
import type { TransportName } from './options.js';

/** Why a transport failed, with what the peer or the socket did. */
export class TransportError extends Error {
  readonly description: unknown;

  constructor(message: string, description?: unknown) {
    super(message);
    this.name = 'TransportError';
    this.description = description;
  }
}

/** Events a transport reports to the session that owns it. */
export interface TransportEvents {
  /** A packet arrived. */
  packet: [packet: Packet];
  /** The peer sent something that is not Engine.IO. */
  parseError: [error: EngineIOParseError];
  /** The transport can take the next batch of packets. */
  ready: [];
  /** The last batch handed to `send` has been written. */
  drain: [];
  /** The connection failed; the session closes with "transport error". */
  error: [error: TransportError];
  /** The transport is closed, by the peer or by `close()`. */
  close: [];
}

/**
 * What a session needs from a transport: it takes batches of packets when `writable`, reports
 * packets, readiness and failures, and closes. Polling and WebSocket implement it.
 */
export abstract class Transport extends EventEmitter<TransportEvents> {
  /** The wire name, as in the `transport` query parameter. */
  abstract readonly name: TransportName;
  /** Whether `send` may be called now. */
  writable = false;
  /** Closing or closed transports accept no packets. */
  protected state: 'open' | 'closing' | 'closed' = 'open';
  /** Set when the session moved to another transport: closing must not disturb the peer. */
  protected discarded = false;

  /** Writes one batch of packets; only call while `writable`. `compress` allows compressing it. */
  abstract send(packets: Packet[], compress: boolean): void;

  /** Marks the transport as replaced by an upgrade. */
  discard(): void {
    this.discarded = true;
  }

  /** Starts closing; `close` is emitted once done. */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.doClose();
  }

  protected abstract doClose(): void;

  /** Reports the transport closed, once. */
  protected onClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.writable = false;
    this.emit('close');
  }

  /** Reports a failure; the session closes the transport in response. */
  protected onError(message: string, description?: unknown): void {
    // A transport the session has let go of may still fail; nobody needs to hear about it then.
    if (this.listenerCount('error') > 0) this.emit('error', new TransportError(message, description));
  }
}
