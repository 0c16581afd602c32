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
 * writes each message to it as one frame, compressing it if that WebSocket negotiated so and the
 * packet allows it.
 */
export class RelayedWebSocketTransport extends MessageTransport implements RelayedStreamListener {
  /** The receiving node's last report: whether the client's WebSocket is backed up. */
  private clientCongested = false;
  /** Whether the relay holds more of this side's messages than it should, until it hands them on. */
  private backlogged = false;

  constructor(
    private readonly stream: RelayedStream,
    private readonly maxPayload: number,
  ) {
    super();
    this.writable = true;
    stream.listener = this;
  }

  /**
   * Whether packets back up on their way: in the relay (Redis takes them more slowly than they
   * come), or in the client's WebSocket on the receiving node, as that node last reported. The
   * session drops volatile packets meanwhile. The report comes over the relay, so packets sent
   * before it arrives are written (and buffered there) even so.
   */
  override get congested(): boolean {
    return this.backlogged || this.clientCongested;
  }

  /** Hands each packet to the stream: the batch is on its way once the relay has it. */
  override send(packets: Packet[], compress: boolean, written?: WrittenCallback): void {
    for (const packet of packets) if (!this.stream.send(encodePacket(packet), compress)) this.backlogged = true;
    written?.();
  }

  /** @internal A message of the client, relayed. */
  onMessage(message: string | Uint8Array): void {
    // The receiving node applied its own maxPayload; this node's applies too, as on its own WebSockets.
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (size > this.maxPayload) {
      const error = new RangeError(`Max payload size exceeded (${size} > ${this.maxPayload})`);
      // Closed with the reason first, so that the client hears why (1011) rather than a bare close.
      this.stream.close(error.message);
      this.onError('websocket error', error);
      this.close();
      return;
    }
    this.receive(message);
  }

  /** @internal The relay handed on what this side had in flight. */
  onDrain(): void {
    this.backlogged = false;
  }

  /** @internal The receiving node's report on the client's WebSocket. */
  onCongestion(congested: boolean): void {
    this.clientCongested = congested;
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
 * reconnects rather than waiting for its own heartbeat to give up. What the client reads too
 * slowly stays in its WebSocket's buffer, bounded as on any WebSocket of this node
 * (`connectionLimits.maxBufferedAmount`, then 1013); the holder hears when that buffer backs up
 * and drains, so that it drops volatile packets meanwhile.
 */
export class WebSocketRelay implements RelayedStreamListener {
  private ws: WebSocket | undefined;
  private closed = false;
  /** What the holder was last told: whether the WebSocket is backed up. */
  private reportedCongested = false;
  /** Why the WebSocket failed, told to the holder when it closes. */
  private failure: string | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stream: RelayedStream,
    silence: number,
  ) {
    // Armed before the listener is set: setting it may replay a close that arrived already.
    this.timer = setTimeout(() => this.fail('the session relay went silent'), silence);
    stream.listener = this;
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
      // A relay that falls behind stops the reading, so TCP slows the client as a local WebSocket would.
      if (!this.stream.send(isBinary ? data : data.toString('utf8'))) ws.pause();
    });
    // Errors (a message over maxPayload, a protocol error, a client too slow) are followed by 'close'.
    ws.on('error', (error: Error) => (this.failure = error.message));
    ws.on('close', () => this.end(this.failure));
    ws.on('drain', () => this.reportCongestion());
  }

  /** The handshake did not complete (the client left, or sent no valid WebSocket handshake). */
  abandon(): void {
    if (this.ws === undefined) this.end('the WebSocket handshake did not complete');
  }

  /** @internal A message of the session for the client. */
  onMessage(message: string | Uint8Array, compress?: boolean): void {
    this.timer.refresh();
    // The holder answers the client's probe and speaks only after it: the WebSocket is there by then.
    this.ws?.send(message, { binary: typeof message !== 'string', compress: compress !== false });
    this.reportCongestion();
  }

  /**
   * @internal The session's transport closed, or the holder is out of reach (`error` says so):
   * the client's WebSocket closes as a local one does after a close of the session (no status
   * code), and with 1011 and the reason when the relay or the holder's WebSocket failed.
   */
  onClose(error?: string): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (error === undefined) this.ws?.close();
    else this.ws?.close(1011, closeReason(error));
  }

  /** @internal The relay handed on the client's messages it held: the WebSocket is read again. */
  onDrain(): void {
    this.ws?.resume();
  }

  /** Tells the holder when the WebSocket's backing up starts or ends. */
  private reportCongestion(): void {
    const congested = this.ws?.congested ?? false;
    if (this.closed || congested === this.reportedCongested) return;
    this.reportedCongested = congested;
    this.stream.reportCongestion(congested);
  }

  /** The relay failed on this side: the stream and the client's WebSocket close. */
  private fail(error: string): void {
    this.end(error);
    this.ws?.close(1011, closeReason(error));
  }

  /** Closes the stream from this side. */
  private end(error: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stream.close(error);
  }
}

/** A close reason fits in a control frame: at most 123 bytes of UTF-8 (RFC 6455 §5.5). */
function closeReason(error: string): string {
  let reason = Buffer.byteLength(error) <= 123 ? error : Buffer.from(error).subarray(0, 123).toString('utf8');
  // A character cut in two decodes to U+FFFD, which may be longer than its bytes that were kept.
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
