import type { Socket } from 'node:net';
import { FrameCounter } from '../lib/frame-counter.js';
import { openWebSocket } from '../load/connect.js';
import { CONNECT_FRAME, Char, ENGINE_WEBSOCKET_PATH, PONG_FRAME } from './raw-frames.js';

/** Where and how a raw Socket.IO client connects. */
export interface RawConnectOptions {
  readonly port: number;
  readonly localAddress?: string | undefined;
  readonly timeoutMs: number;
  /** Bytes of each packet the load needs to see (at least 2). */
  readonly prefixLength: number;
}

/**
 * A Socket.IO client made of raw frames: a WebSocket handshake written by hand, an Engine.IO
 * session opened directly over WebSocket, a CONNECT to the main namespace, then packets seen only
 * through their first bytes (frames are walked, never decoded). Heartbeat pings are answered;
 * every Socket.IO packet after the CONNECT reply goes to `onPacket`.
 */
export class RawSocketIoConnection {
  /** Called with the first bytes of each Socket.IO packet (zero-filled when shorter); set by the load. */
  onPacket: (prefix: Uint8Array) => void = () => {};
  /** Called before the packets of each read from the socket; set by the load. */
  beforeRead: () => void = () => {};
  /** Called after the packets of each read from the socket; set by the load. */
  afterRead: () => void = () => {};
  private readonly counter: FrameCounter;
  private connected = false;
  private onConnected: (() => void) | undefined;
  private onRefused: ((error: Error) => void) | undefined;

  private constructor(
    readonly socket: Socket,
    prefixLength: number,
  ) {
    this.counter = new FrameCounter(Math.max(2, prefixLength), (prefix) => this.onFrame(prefix));
  }

  /** Opens the WebSocket, joins the main namespace and resolves once the server confirmed it. */
  static async open(options: RawConnectOptions): Promise<RawSocketIoConnection> {
    const { socket, head } = await openWebSocket({
      port: options.port,
      path: ENGINE_WEBSOCKET_PATH,
      localAddress: options.localAddress,
      timeoutMs: options.timeoutMs,
    });
    const connection = new RawSocketIoConnection(socket, options.prefixLength);
    const joined = new Promise<void>((resolve, reject) => {
      connection.onConnected = resolve;
      connection.onRefused = reject;
    });
    const timer = setTimeout(
      () => connection.onRefused?.(new Error(`no CONNECT reply within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => {
      connection.beforeRead();
      connection.push(chunk);
      connection.afterRead();
    });
    socket.once('close', () =>
      connection.onRefused?.(new Error('the server closed the connection before the CONNECT reply')),
    );
    // The server opens the Engine.IO session with the upgrade, so the CONNECT can go at once.
    socket.write(CONNECT_FRAME);
    if (head.length > 0) connection.push(head);
    try {
      await joined;
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return connection;
  }

  /** Data frames read so far (Engine.IO open and ping packets included). */
  get frames(): number {
    return this.counter.frames;
  }

  /** Feeds bytes read from the socket. */
  push(chunk: Uint8Array): void {
    this.counter.push(chunk);
  }

  private onFrame(prefix: Uint8Array): void {
    const type = prefix[0];
    if (type === Char.Message) {
      if (this.connected) {
        this.onPacket(prefix);
      } else if (prefix[1] === Char.Connect) {
        this.connected = true;
        this.onRefused = undefined;
        this.onConnected?.();
      } else if (prefix[1] === Char.ConnectError) {
        this.onRefused?.(new Error('the server refused the CONNECT (connect_error)'));
      }
    } else if (type === Char.Ping && prefix[1] === 0) {
      // Engine.IO v4: the server pings, the client answers with a pong (a bare "2", not "2probe").
      this.socket.write(PONG_FRAME);
    }
  }
}
