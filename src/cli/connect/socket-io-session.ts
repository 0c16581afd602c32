import { decodePacket, encodePacket as encodeEnginePacket } from '../../protocol/engine-io/index.js';
import { Decoder, PacketType, encodePacket, type Packet } from '../../protocol/socket-io/index.js';
import { WebSocket, type WebSocketOptions } from '../../ws/index.js';

/** What a {@link SocketIoSession} reports once its namespace is joined. */
export interface SocketIoListener {
  /** An EVENT from the server; `ackId` is set when it asks for an acknowledgement. */
  onEvent(name: string, args: unknown[], ackId: number | undefined): void;
  /** The server's answer to one of our events. */
  onAck(id: number, args: unknown[]): void;
  /** The server left us out of the namespace (a DISCONNECT packet, or the Engine.IO session closed). */
  onDisconnect(reason: string): void;
  /** The server sent what the protocol does not allow; the session closes after it. */
  onProtocolError(message: string): void;
}

/** How the WebSocket under a session closed. */
export interface SessionClosed {
  readonly code: number;
  readonly reason: string;
  /** The error that failed the connection, if one did. */
  readonly failure: Error | undefined;
}

/** Where a session connects and what it sends with its CONNECT. */
export interface SessionOptions {
  /** The Engine.IO WebSocket URL (see `engineUrl`). */
  readonly url: URL;
  readonly namespace: string;
  /** The CONNECT packet's payload (`auth` in socket.io-client), when there is one. */
  readonly auth: object | undefined;
  readonly socketOptions: WebSocketOptions;
  /** Bound on the whole opening: the WebSocket handshake, the Engine.IO open and the CONNECT answer. */
  readonly timeoutMs: number;
}

/**
 * A Socket.IO client session over one WebSocket, as small as the protocol allows: the Engine.IO
 * v4 open, heartbeat answers, a CONNECT to one namespace, then EVENT and ACK packets both ways
 * (Socket.IO protocol v5). No reconnection and no long-polling: `connect` wants to show the
 * server as it is. Malformed packets are reported to the listener, never thrown.
 */
export class SocketIoSession {
  /** The socket id the server gave with its CONNECT answer. */
  sid = '';
  readonly closed: Promise<SessionClosed>;
  private readonly decoder = new Decoder();
  private nextAckId = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Milliseconds the server may stay silent between pings (pingInterval + pingTimeout). */
  private heartbeatWindow = 0;
  private settleOpen: ((error?: Error) => void) | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: SessionOptions,
    private readonly listener: SocketIoListener,
  ) {
    socket.on('message', (data, isBinary) => this.receive(isBinary ? data : data.toString()));
    this.closed = new Promise((resolve) => {
      let failure: Error | undefined;
      socket.on('error', (error) => (failure ??= error));
      socket.on('close', (code, reason) => {
        clearTimeout(this.heartbeat);
        this.settleOpen?.(failure ?? new Error(`the server closed the connection (${code}) before the CONNECT answer`));
        resolve({ code, reason: reason.toString(), failure });
      });
    });
  }

  /**
   * Opens the session and joins `options.namespace`; rejects with the reason when the server
   * refuses (a CONNECT_ERROR, an HTTP error), does not answer in time, or cannot be reached.
   * `listener` hears from the session from the start: an event the server emits on connection
   * comes with the CONNECT answer.
   */
  static async open(options: SessionOptions, listener: SocketIoListener): Promise<SocketIoSession> {
    const socket = new WebSocket(options.url, [], options.socketOptions);
    const session = new SocketIoSession(socket, options, listener);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        session.settleOpen = (error) => (error === undefined ? resolve() : reject(error));
        socket.once('error', reject);
        timer = setTimeout(
          () => reject(new Error(`no Socket.IO CONNECT answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      });
    } catch (error) {
      socket.terminate();
      throw error;
    } finally {
      session.settleOpen = undefined;
      clearTimeout(timer);
    }
    return session;
  }

  /** Emits `event` with `args`, asking for an acknowledgement; returns the ack id. */
  emit(event: string, args: readonly unknown[]): number {
    const id = this.nextAckId++;
    this.sendPacket({ type: PacketType.Event, nsp: this.options.namespace, id, data: [event, ...args] });
    return id;
  }

  /** Answers the server's event `id` with `args`. */
  ack(id: number, args: readonly unknown[]): void {
    this.sendPacket({ type: PacketType.Ack, nsp: this.options.namespace, id, data: args });
  }

  /** Leaves the namespace (DISCONNECT), then closes the WebSocket, as socket.io-client's `disconnect()`. */
  disconnect(): void {
    if (this.socket.readyState === WebSocket.OPEN)
      this.sendPacket({ type: PacketType.Disconnect, nsp: this.options.namespace });
    this.socket.close();
  }

  private sendPacket(packet: Packet): void {
    const [text, ...attachments] = encodePacket(packet);
    this.sendEngine(encodeEnginePacket({ type: 'message', data: text }));
    for (const attachment of attachments) this.socket.send(attachment);
  }

  private sendEngine(frame: string | Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  private receive(frame: string | Buffer): void {
    try {
      const packet = decodePacket(frame);
      switch (packet.type) {
        case 'open':
          this.opened(packet.data ?? '');
          break;
        case 'ping':
          this.sendEngine(encodeEnginePacket({ type: 'pong' }));
          this.armHeartbeat();
          break;
        case 'close':
          this.listener.onDisconnect('the server closed the Engine.IO session');
          this.socket.close();
          break;
        case 'message': {
          const decoded = this.decoder.add(packet.data);
          if (decoded !== undefined) this.dispatch(decoded);
          break;
        }
        default:
          // pong, upgrade and noop have no meaning for a session opened directly over WebSocket.
          break;
      }
    } catch (error) {
      this.fail(`bad packet from the server: ${(error as Error).message}`);
    }
  }

  private opened(data: string): void {
    const handshake = JSON.parse(data) as { pingInterval?: unknown; pingTimeout?: unknown };
    const { pingInterval, pingTimeout } = handshake;
    if (typeof pingInterval !== 'number' || typeof pingTimeout !== 'number') {
      throw new SyntaxError('the open packet has no pingInterval or pingTimeout');
    }
    this.heartbeatWindow = pingInterval + pingTimeout;
    this.armHeartbeat();
    const auth = this.options.auth;
    this.sendPacket({
      type: PacketType.Connect,
      nsp: this.options.namespace,
      ...(auth === undefined ? {} : { data: auth }),
    });
  }

  private dispatch(packet: Packet): void {
    if (packet.nsp !== this.options.namespace) return;
    const data = packet.data;
    switch (packet.type) {
      case PacketType.Connect:
        this.sid =
          typeof (data as { sid?: unknown } | undefined)?.sid === 'string' ? (data as { sid: string }).sid : '';
        this.settleOpen?.();
        break;
      case PacketType.ConnectError: {
        const message = (data as { message?: unknown } | undefined)?.message;
        const refusal = new Error(
          `the server refused the namespace: ${typeof message === 'string' ? message : JSON.stringify(data)}`,
        );
        this.settleOpen?.(refusal);
        break;
      }
      case PacketType.Event:
      case PacketType.BinaryEvent: {
        const [name, ...args] = data as unknown[];
        this.listener.onEvent(String(name), args, packet.id);
        break;
      }
      case PacketType.Ack:
      case PacketType.BinaryAck:
        this.listener.onAck(packet.id ?? -1, data as unknown[]);
        break;
      case PacketType.Disconnect:
        this.listener.onDisconnect('the server disconnected the socket');
        this.socket.close();
        break;
    }
  }

  private armHeartbeat(): void {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => {
      this.listener.onProtocolError(`no ping from the server within ${this.heartbeatWindow} ms`);
      this.socket.terminate();
    }, this.heartbeatWindow);
  }

  private fail(message: string): void {
    this.settleOpen?.(new Error(message));
    this.listener.onProtocolError(message);
    this.socket.close();
  }
}
