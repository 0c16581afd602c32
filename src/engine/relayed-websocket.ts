import { Buffer } from 'node:buffer';
import { encodePacket, type Packet } from '../protocol/engine-io/index.js';
import type { WebSocket } from '../ws/index.js';
import type { RelayedStream, RelayedStreamListener } from './session-relay.js';
import type { WrittenCallback } from './transport.js';
import { MessageTransport } from './websocket-transport.js';

/**
 * The holder's side of a WebSocket relayed from another node: the session's WebSocket transport,
 * over a session relay's stream instead of a socket. It answers the probe, takes the upgrade and
 * carries the session as a local WebSocket would; the node that received the client's WebSocket
 * writes each message to it as one frame, compressing it if that WebSocket negotiated so.
 */
export class RelayedWebSocketTransport extends MessageTransport implements RelayedStreamListener {
  constructor(
    private readonly stream: RelayedStream,
    private readonly maxPayload: number,
  ) {
    super();
    this.writable = true;
    stream.listener = this;
  }

  /** Hands each packet to the stream: the batch is on its way once the relay has it. */
  override send(packets: Packet[], _compress: boolean, written?: WrittenCallback): void {
    for (const packet of packets) this.stream.send(encodePacket(packet));
    written?.();
  }

  /** @internal A message of the client, relayed. */
  onMessage(message: string | Uint8Array): void {
    // The receiving node applied its own maxPayload; this node's applies too, as on its own WebSockets.
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (size > this.maxPayload) {
      this.onError('websocket error', new RangeError(`Max payload size exceeded (${size} > ${this.maxPayload})`));
      this.close();
      return;
    }
    this.receive(message);
  }

  /** @internal The client's WebSocket closed (or failed, with `error`), or the other node is out of reach. */
  onClose(error?: string): void {
    if (error !== undefined) this.onError('websocket error', new Error(error));
    this.onClosed();
  }

  protected doClose(): void {
    this.stream.close();
    this.onClosed();
  }
}

/**
 * The receiving node's side of a relayed WebSocket: the client's WebSocket on this node, joined to
 * a stream whose other end is the session's transport on its holder. Messages go through as they
 * come, both ways; a close on either side closes the other. The holder pings the client at least
 * every `pingInterval`: a stream silent for `silence` ms (`pingInterval + pingTimeout`) means a
 * holder that died or a relay that no longer delivers, and the WebSocket is closed, so the client
 * reconnects rather than waiting for its own heartbeat to give up.
 */
export class WebSocketRelay implements RelayedStreamListener {
  private ws: WebSocket | undefined;
  private closed = false;
  /** Why the WebSocket failed, told to the holder when it closes. */
  private failure: string | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onSilence = (): void => {
    this.end('the session relay went silent');
    this.ws?.close();
  };

  constructor(
    private readonly stream: RelayedStream,
    silence: number,
  ) {
    stream.listener = this;
    this.timer = setTimeout(this.onSilence, silence);
  }

  /** The client's WebSocket, once its handshake completed. */
  connect(ws: WebSocket): void {
    if (this.closed) {
      ws.on('error', () => undefined);
      ws.close();
      return;
    }
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Text frames arrive as UTF-8 the WebSocket layer has already validated (RFC 6455 §8.1).
      this.stream.send(isBinary ? data : data.toString('utf8'));
    });
    // Errors (a message over maxPayload, a protocol error) are followed by 'close'.
    ws.on('error', (error: Error) => (this.failure = error.message));
    ws.on('close', () => this.end(this.failure));
  }

  /** The handshake did not complete (the client left, or sent no valid WebSocket handshake). */
  abandon(): void {
    if (this.ws === undefined) this.end('the WebSocket handshake did not complete');
  }

  /** @internal A message of the session for the client. */
  onMessage(message: string | Uint8Array): void {
    this.timer.refresh();
    // The holder answers the client's probe and speaks only after it: the WebSocket is there by then.
    this.ws?.send(message, { binary: typeof message !== 'string' });
  }

  /** @internal The session's transport closed, or the holder is out of reach. */
  onClose(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }

  /** Closes the stream from this side. */
  private end(error: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stream.close(error);
  }
}
