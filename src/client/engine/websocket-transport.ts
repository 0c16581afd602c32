/**
 * The WebSocket transport (Engine.IO protocol v4, "WebSocket"): one packet per frame, text packets
 * as text frames, binary messages as binary frames with no prefix.
 */
import { decodePacket, encodePacket, type Packet } from '../../protocol/engine-io/index.js';
import { DETACHED, PARSE_ERROR, TransportError, type ClientTransport, type TransportListener } from './transport.js';
import type { Endpoint } from './endpoint.js';
import type { ClientPlatform, EngineSocketOptions, WebSocketLike } from './types.js';

type WebSocketState = 'connecting' | 'open' | 'closed';

/** A frame's data as the codec takes it: text, or the bytes of a binary frame. */
function frameOf(data: unknown): string | Uint8Array | undefined {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * The WebSocket transport. Writes go straight to the socket, which buffers them; the transport
 * reports itself writable again (and `drain`) once the current task is done, so the session
 * gathers what the application sends in the same task and volatile packets sent meanwhile are
 * dropped, as with `engine.io-client`.
 *
 * The `compress` send option is not passed on: a browser's WebSocket offers no per-message choice,
 * and the socket compresses (or not) as it negotiated with the server.
 */
export class WebSocketTransport implements ClientTransport {
  readonly name = 'websocket';
  listener: TransportListener = DETACHED;
  sid: string | undefined;
  readonly #endpoint: Endpoint;
  readonly #platform: ClientPlatform;
  readonly #options: EngineSocketOptions;
  #socket: WebSocketLike | undefined;
  #state: WebSocketState = 'connecting';
  #writing = false;

  constructor(endpoint: Endpoint, platform: ClientPlatform, options: EngineSocketOptions, sid: string | undefined) {
    this.#endpoint = endpoint;
    this.#platform = platform;
    this.#options = options;
    this.sid = sid;
  }

  get writable(): boolean {
    return this.#state === 'open' && !this.#writing;
  }

  open(): void {
    let socket: WebSocketLike;
    try {
      socket = this.#platform.createWebSocket(this.#endpoint.websocket(this.sid), this.#options.extraHeaders);
    } catch (error) {
      // Reported later: the session's creator has not had a chance to listen yet.
      queueMicrotask(() => this.#fail(new TransportError('websocket error', error)));
      return;
    }
    this.#socket = socket;
    // The handlers are removed when the transport closes: they only ever run on a live transport.
    socket.onopen = () => {
      this.#state = 'open';
      this.listener.onTransportOpen();
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onerror = (event) => this.#fail(new TransportError('websocket error', event, socket));
    socket.onclose = (event) => {
      const listener = this.listener;
      this.close();
      listener.onTransportClose(event);
    };
  }

  /** Called only while the transport is writable (open), as the session and the probe do. */
  send(packets: readonly Packet[]): number {
    try {
      for (const packet of packets) this.#socket!.send(encodePacket(packet));
    } catch (error) {
      // The socket closed under us and the host has not said so yet; its close event follows.
      this.#fail(new TransportError('websocket error', error));
      return packets.length;
    }
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => {
        this.#writing = false;
        if (this.#state === 'open') this.listener.onTransportDrain();
      });
    }
    return packets.length;
  }

  pause(onPaused: () => void): void {
    onPaused();
  }

  resume(): void {}

  shutdown(packets: readonly Packet[]): void {
    this.send(packets);
    this.close();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.listener = DETACHED;
    const socket = this.#socket;
    if (socket === undefined) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    // A socket still connecting reports an error when closed; nobody listens any more.
    socket.onerror = () => {};
    // The frames queued before it still go: close waits for them (RFC 6455 §5.5.1).
    socket.close();
  }

  #receive(data: unknown): void {
    const frame = frameOf(data);
    let packet: Packet;
    try {
      if (frame === undefined) throw new TypeError(`unexpected message data: ${typeof data}`);
      packet = decodePacket(frame);
    } catch (error) {
      this.#fail(new TransportError(PARSE_ERROR, error));
      return;
    }
    this.listener.onTransportPacket(packet);
  }

  #fail(error: TransportError): void {
    if (this.#state === 'closed') return;
    const listener = this.listener;
    this.close();
    listener.onTransportError(error);
  }
}
