/**
 * The WebSocket transport (Engine.IO protocol v4, "WebSocket"): one packet per frame, text packets
 * as text frames, binary messages as binary frames with no prefix.
 */
import {
  NOT_COMPRESSED,
  Report,
  TransportError,
  checkPacket,
  ignore,
  type ClientTransport,
  type TransportHost,
  Uncompressed,
  type Outgoing,
  type TransportListener,
} from './transport.js';
import type { WebSocketEventLike, WebSocketLike } from './types.js';

const enum State {
  Connecting,
  Open,
  /** Open, with frames handed to the socket in the current task: `drain` comes once it is done. */
  Writing,
  Closed,
}

/**
 * The WebSocket transport. Writes go straight to the socket, which buffers them; the transport
 * reports itself writable again (and `drain`) once the current task is done, so the session
 * gathers what the application sends in the same task and volatile packets sent meanwhile are
 * dropped, as with `engine.io-client`.
 *
 * A message sent with `compress: false` asks the socket not to compress it: Node's WebSocket
 * honours that; a browser's offers no per-message choice and compresses as it negotiated.
 */
export class WebSocketTransport implements ClientTransport {
  readonly name = 'websocket';
  listener: TransportListener;
  #socket: WebSocketLike | undefined;
  #state = State.Connecting;

  constructor(host: TransportHost, listener: TransportListener) {
    this.listener = listener;
    try {
      const socket = host.platform.createWebSocket(host.url('websocket'), host.options.extraHeaders);
      this.#socket = socket;
      // One handler for the four events rather than a closure each (a client holds it as long as it
      // lives); removed when the transport closes, so it only ever runs on a live transport.
      const onEvent = (event: WebSocketEventLike): void => {
        if (event.type === 'message') {
          // A browser hands binary frames over as ArrayBuffers (the platform asks for them), Node as Buffers.
          const data = event.data;
          const packet = checkPacket(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
          if (packet instanceof TransportError) this.#lost(Report.Error, packet);
          else this.listener(Report.Packet, packet);
        } else if (event.type === 'open') {
          this.#state = State.Open;
          this.listener(Report.Open);
        } else if (event.type === 'error') {
          this.#lost(Report.Error, new TransportError('websocket error', event, socket));
        } else this.#lost(Report.Close, event);
      };
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = onEvent;
    } catch (error) {
      // Reported later: the session's creator has not had a chance to listen yet.
      queueMicrotask(() => this.#lost(Report.Error, new TransportError('websocket error', error)));
    }
  }

  get writable(): boolean {
    return this.#state === State.Open;
  }

  send(packets: readonly Outgoing[]): number {
    try {
      const socket = this.#socket!;
      for (const packet of packets) {
        if (packet instanceof Uncompressed) socket.send(packet.data, NOT_COMPRESSED);
        else socket.send(packet);
      }
    } catch (error) {
      // The socket closed under us and the host has not said so yet; its close event follows.
      this.#lost(Report.Error, new TransportError('websocket error', error));
      return packets.length;
    }
    if (this.#state === State.Open) {
      this.#state = State.Writing;
      queueMicrotask(() => {
        // Unless closed meanwhile.
        if (this.#state !== State.Writing) return;
        this.#state = State.Open;
        this.listener(Report.Drain);
      });
    }
    return packets.length;
  }

  shutdown(packets: readonly Outgoing[]): void {
    this.send(packets);
    this.close();
  }

  close(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.listener = ignore;
    const socket = this.#socket;
    if (socket === undefined) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // A socket still connecting reports an error when closed; nobody listens any more.
    socket.onerror = ignore;
    // The frames queued before it still go: close waits for them (RFC 6455 §5.5.1).
    socket.close();
  }

  /** Closes, then tells the listener why: the last thing it hears. */
  #lost(...report: [Report.Error, TransportError] | [Report.Close, unknown]): void {
    if (this.#state === State.Closed) return;
    const listener = this.listener;
    this.close();
    listener(...report);
  }
}
