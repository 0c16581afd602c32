import { encodePacket as encodeEnginePacket } from '../../protocol/engine-io/index.js';
import { Decoder, PacketType, encodePacket, type Packet } from '../../protocol/socket-io/index.js';
import { WebSocket, type WebSocketOptions } from '../../ws/index.js';
import { sentMicros } from './payload.js';

/** What the run learns from its clients. */
export interface LoadListener {
  /** A message carrying a send time came back (an echo, a broadcast delivery, an ack). */
  onReply(sentAtMicros: number): void;
  /** The connection closed, for whatever reason; `failure` is the error that failed it, if one did. */
  onClose(client: LoadClient, code: number, failure: Error | undefined): void;
}

/** One connection of a load run. */
export interface LoadClient {
  /** Sends one payload; false when it was skipped because the connection's send buffer is full. */
  send(payload: string): boolean;
  /** Closes in good order. */
  close(): void;
  /** Drops the connection at once. */
  terminate(): void;
}

/**
 * Bytes a connection may have waiting to be written before its sends are skipped: the server (or
 * the network) is not keeping up, and piling more on would only measure this process's queue.
 */
const SEND_BACKLOG_LIMIT = 1024 * 1024;

/** Opens `socket` and resolves with `client` once `ready` is called; rejects with the handshake's error. */
function opening<T extends LoadClient>(
  socket: WebSocket,
  client: T,
  listener: LoadListener,
  ready: (resolve: () => void, reject: (error: Error) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    let open = false;
    socket.on('error', (error) => {
      failure ??= error;
      if (!open) reject(error);
    });
    socket.on('close', (code) => {
      if (open) listener.onClose(client, code, failure);
      else reject(failure ?? new Error(`the server closed the connection (${code}) while it opened`));
    });
    ready(() => {
      open = true;
      resolve(client);
    }, reject);
  });
}

/** A bare WebSocket client: payloads go out as text messages, every message that comes back is timed. */
export class WebSocketLoadClient implements LoadClient {
  private constructor(private readonly socket: WebSocket) {}

  /** Opens a connection; rejects with the handshake's error (refused, 404, timeout...). */
  static open(url: URL, protocols: string[], options: WebSocketOptions, listener: LoadListener): Promise<LoadClient> {
    const socket = new WebSocket(url, protocols, options);
    socket.on('message', (data) => {
      const sentAt = sentMicros(data);
      if (sentAt >= 0) listener.onReply(sentAt);
    });
    return opening(socket, new WebSocketLoadClient(socket), listener, (resolve) => socket.once('open', resolve));
  }

  send(payload: string): boolean {
    if (this.socket.bufferedAmount > SEND_BACKLOG_LIMIT) return false;
    this.socket.send(payload);
    return true;
  }

  close(): void {
    this.socket.close(1000);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** Where a Socket.IO load client connects and what it emits. */
export interface SocketIoLoadTarget {
  /** The Engine.IO WebSocket URL. */
  readonly url: URL;
  readonly namespace: string;
  readonly event: string;
  /** Ask for an acknowledgement with each event, and time the ack rather than an echoed event. */
  readonly ack: boolean;
}

/** The Engine.IO answer to the server's ping. */
const PONG = encodeEnginePacket({ type: 'pong' });

/** First bytes of the Engine.IO and Socket.IO packets the client tells apart (protocols v4 and v5). */
const Byte = { Open: 0x30, Close: 0x31, Ping: 0x32, Message: 0x34, Connect: 0x30, ConnectError: 0x34 } as const;

/**
 * A Socket.IO client reduced to what a load needs: the Engine.IO open over WebSocket, a CONNECT to
 * one namespace, pongs for the server's pings, and events built from a head and prefix encoded once.
 * Replies are recognised from their first byte and timed from the payload's bytes, never decoded,
 * so the generator spends its CPU on the load rather than on parsing JSON.
 */
export class SocketIoLoadClient implements LoadClient {
  /** The frame up to the ack id: Engine.IO message, Socket.IO EVENT, namespace (`42/chat,`). */
  private readonly eventHead: string;
  /** The arguments' JSON up to the payload string: `["echo","`. */
  private readonly prefix: string;
  private readonly suffix = '"]';
  private readonly leave: string;
  private nextAckId = 0;

  private constructor(
    private readonly socket: WebSocket,
    private readonly target: SocketIoLoadTarget,
  ) {
    // Socket.IO protocol v5: an EVENT's JSON arguments end the packet, so the frame of an event
    // with an empty string splits into the part before the payload and the closing `"]`.
    const template = frame({ type: PacketType.Event, nsp: target.namespace, data: [target.event, ''] });
    const json = JSON.stringify([target.event, '']);
    this.eventHead = template.slice(0, -json.length);
    this.prefix = json.slice(0, -this.suffix.length);
    this.leave = frame({ type: PacketType.Disconnect, nsp: target.namespace });
  }

  /** Opens a session and joins the namespace; rejects when refused, unreachable or past `timeoutMs`. */
  static open(
    target: SocketIoLoadTarget,
    options: WebSocketOptions,
    timeoutMs: number,
    listener: LoadListener,
  ): Promise<LoadClient> {
    const socket = new WebSocket(target.url, [], options);
    const client = new SocketIoLoadClient(socket, target);
    const connectFrame = frame({ type: PacketType.Connect, nsp: target.namespace });
    return opening(socket, client, listener, (resolve, reject) => {
      let joined = false;
      const timer = setTimeout(() => {
        reject(new Error(`no Socket.IO CONNECT answer within ${timeoutMs} ms`));
        socket.terminate();
      }, timeoutMs);
      socket.on('close', () => clearTimeout(timer));
      socket.on('message', (data) => {
        const type = data[0];
        if (type === Byte.Message && joined) {
          const sentAt = sentMicros(data);
          if (sentAt >= 0) listener.onReply(sentAt);
        } else if (type === Byte.Ping) {
          socket.send(PONG);
        } else if (type === Byte.Open) {
          socket.send(connectFrame);
        } else if (type === Byte.Message && data[1] === Byte.Connect) {
          joined = true;
          clearTimeout(timer);
          resolve();
        } else if (type === Byte.Message && data[1] === Byte.ConnectError) {
          clearTimeout(timer);
          reject(new Error(`the server refused the namespace: ${refusal(data.subarray(1).toString())}`));
          socket.close();
        } else if (type === Byte.Close) {
          socket.close();
        }
      });
    });
  }

  send(payload: string): boolean {
    if (this.socket.bufferedAmount > SEND_BACKLOG_LIMIT) return false;
    const ackId = this.target.ack ? String(this.nextAckId++) : '';
    this.socket.send(`${this.eventHead}${ackId}${this.prefix}${payload}${this.suffix}`);
    return true;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(this.leave);
    this.socket.close(1000);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** The Engine.IO message frame of a packet without binary data. */
function frame(packet: Packet): string {
  // Text data makes a text frame: only bytes make a binary one.
  return encodeEnginePacket({ type: 'message', data: encodePacket(packet)[0] }) as string;
}

/** The message of a CONNECT_ERROR packet (its Socket.IO text), or the text as it is when it has none. */
function refusal(text: string): string {
  try {
    const message = (new Decoder().add(text)?.data as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message : text;
  } catch {
    return text;
  }
}
