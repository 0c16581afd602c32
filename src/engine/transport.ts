import type { EngineIOParseError, Packet } from '../protocol/engine-io/index.js';
import type { TransportName } from './options.js';
import type { PreparedMessage } from './prepared-message.js';

/** Why a transport failed, with what the peer or the socket did. */
export class TransportError extends Error {
  readonly description: unknown;

  constructor(message: string, description?: unknown) {
    super(message);
    this.name = 'TransportError';
    this.description = description;
  }
}

/**
 * A session's transport as the application sees it (`socket.conn.transport`, and what the
 * `upgrading` and `upgrade` events pass), as in the reference server.
 */
export interface EngineTransport {
  /** The wire name: `'polling'` or `'websocket'`. */
  readonly name: TransportName;
  /** Whether it takes packets now (a poll is waiting, or the WebSocket is open). */
  readonly writable: boolean;
}

/**
 * The one party a transport reports to: the session that owns it, or the upgrade probe trying it.
 * A plain interface rather than events, so a connection holds no listener table and no closures.
 */
export interface TransportListener {
  /** A packet arrived. */
  onTransportPacket(packet: Packet): void;
  /** The peer sent something that is not Engine.IO. */
  onTransportParseError(error: EngineIOParseError): void;
  /** The transport can take the next batch of packets (a poll arrived). */
  onTransportReady(): void;
  /** The connection failed; the session closes with "transport error". */
  onTransportError(error: TransportError): void;
  /** The transport is closed, by the peer or by `close()`. */
  onTransportClose(): void;
}

/** Called once a batch of packets has been written. */
export type WrittenCallback = () => void;

/**
 * What a session needs from a transport: it takes packets when `writable`, reports packets,
 * readiness and failures to its {@link TransportListener}, and closes. Polling and WebSocket
 * implement it.
 */
export abstract class Transport {
  /** The wire name, as in the `transport` query parameter. */
  abstract readonly name: TransportName;
  /**
   * Whether packets handed over now are written as they come (WebSocket, which batches a tick's
   * frames itself) rather than gathered into the next response (polling).
   */
  abstract readonly immediate: boolean;
  /** Whether `send` may be called now. */
  writable = false;
  /** Who hears about packets, readiness, errors and closing; `undefined` once let go. */
  listener: TransportListener | undefined;
  /** Closing or closed transports accept no packets. */
  protected state: 'open' | 'closing' | 'closed' = 'open';
  /** Set when the session moved to another transport: closing must not disturb the peer. */
  protected discarded = false;

  /**
   * Writes one batch of packets; only call while `writable`. `compress` allows compressing it;
   * `written` runs once the batch is on its way.
   */
  abstract send(packets: Packet[], compress: boolean, written?: WrittenCallback): void;

  /** Writes a message encoded once for many sessions; a transport that cannot share bytes sends its packet. */
  sendPrepared(message: PreparedMessage, written?: WrittenCallback): void {
    this.send([message.packet], message.compress, written);
  }

  /** Whether earlier packets still wait for the network (a volatile packet is dropped then). */
  get congested(): boolean {
    return false;
  }

  /** Marks the transport as replaced by an upgrade. */
  discard(): void {
    this.discarded = true;
  }

  /** Starts closing; the listener hears `onTransportClose` once done. */
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
    this.listener?.onTransportClose();
  }

  /** Reports a failure; the session closes the transport in response. */
  protected onError(message: string, description?: unknown): void {
    // A transport the session has let go of may still fail; nobody needs to hear about it then.
    this.listener?.onTransportError(new TransportError(message, description));
  }
}
