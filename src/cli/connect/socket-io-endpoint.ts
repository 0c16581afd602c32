import type { ClientPlatform, WebSocketLike } from '../../client/engine/types.js';
import { Manager, type DisconnectDescription, type DisconnectReason, type Socket } from '../../client-node/index.js';
import { nodePlatform } from '../../client-node/platform.js';
import { WebSocket, type WebSocketOptions } from '../../ws/index.js';
import { describeBinary, IncomingQueue, type Closed, type Endpoint, type Incoming } from './endpoint.js';
import type { Action } from './steps.js';

/** Where `connect --sio` connects and what it sends with its CONNECT. */
export interface SocketIoTarget {
  /** The server URL as the user gave it; its query parameters are sent, its path is not the address. */
  readonly url: URL;
  /** The server's Engine.IO path (`--path`). */
  readonly path: string;
  readonly namespace: string;
  /** The CONNECT packet's payload (`auth` in socket.io-client), when there is one. */
  readonly auth: Record<string, unknown> | undefined;
  /** The WebSocket's options: its headers go as the client's `extraHeaders`, the rest to the WebSocket itself. */
  readonly socketOptions: WebSocketOptions;
  /** Bound on the whole opening: the WebSocket handshake, the Engine.IO open and the CONNECT answer. */
  readonly timeoutMs: number;
}

type AckCallback = (...args: unknown[]) => void;

/**
 * A Socket.IO connection as `connect --sio` drives it, on `switchboard/client`: every event and
 * acknowledgement shown as JSON. It never reconnects and uses the WebSocket transport only:
 * `connect` shows the server as it is, and a lost connection ends the session.
 */
export class SocketIoEndpoint implements Endpoint {
  readonly closed: Promise<Closed>;
  private readonly queue = new IncomingQueue();
  /** The server's events that asked for an acknowledgement, by the number shown to the user. */
  private readonly requests = new Map<number, AckCallback>();
  private nextRequest = 0;
  private nextEmit = 0;

  private constructor(private readonly socket: Socket) {
    // Registered before the CONNECT: the events a server emits on connection are shown too.
    socket.onAny((name: string, ...args: unknown[]) => this.received(name, args));
    this.closed = new Promise((resolve) => {
      socket.once('disconnect', (reason, description) => resolve(describeDisconnect(reason, description)));
    });
  }

  /**
   * Connects and joins the namespace; rejects with the reason when the server refuses (a
   * CONNECT_ERROR, an HTTP error), does not answer within `timeoutMs`, or cannot be reached.
   */
  static open(target: SocketIoTarget): Promise<SocketIoEndpoint> {
    const { headers, ...socketOptions } = target.socketOptions;
    // The client addresses the server by its origin: credentials in the URL go to the WebSocket,
    // which sends them as it would from its own URL (ahead of --auth).
    const auth = urlCredentials(target.url) ?? socketOptions.auth;
    const manager = new (managerWith({ ...socketOptions, ...(auth === undefined ? {} : { auth }) }))(
      serverAddress(target.url),
      {
        path: target.path,
        transports: ['websocket'],
        reconnection: false,
        timeout: target.timeoutMs,
        autoConnect: false,
        extraHeaders: headers === undefined ? {} : { ...headers },
      },
    );
    const socket = manager.socket(target.namespace, target.auth === undefined ? {} : { auth: target.auth });
    const endpoint = new SocketIoEndpoint(socket);
    // Registered before the socket's own listener: a failure of the connection is known by the
    // time the socket reports `connect_error`, and told apart from the namespace's refusal.
    let connectionFailure: Error | undefined;
    manager.on('error', (error) => (connectionFailure ??= underlyingError(error)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no Socket.IO CONNECT answer within ${target.timeoutMs} ms`)),
        target.timeoutMs,
      );
      const onConnectError = (error: Error): void =>
        fail(connectionFailure ?? new Error(`the server refused the namespace: ${error.message}`));
      const onConnect = (): void => {
        clearTimeout(timer);
        socket.off('connect_error', onConnectError);
        resolve(endpoint);
      };
      function fail(error: Error): void {
        clearTimeout(timer);
        socket.off('connect', onConnect).off('connect_error', onConnectError);
        socket.disconnect();
        reject(error);
      }
      socket.once('connect', onConnect).on('connect_error', onConnectError);
      socket.connect();
    });
  }

  get description(): string {
    return `namespace ${this.socket.nsp}, sid ${this.socket.id ?? ''}`;
  }

  listen(consumer: (incoming: Incoming) => void): void {
    this.queue.listen(consumer);
  }

  perform(action: Action): string {
    switch (action.kind) {
      case 'emit': {
        const id = this.nextEmit++;
        this.socket.emit(action.event, ...action.args, (...answer: unknown[]) =>
          this.queue.push('<', `ack ${id} ${showJson(answer)}`),
        );
        return `emit ${action.event} ${showJson(action.args)} (ack ${id})`;
      }
      case 'ack': {
        const shown = `ack ${action.id} ${showJson(action.args)}`;
        const answer = this.requests.get(action.id);
        if (answer === undefined) return `${shown} not sent: no event waits for ack ${action.id}`;
        this.requests.delete(action.id);
        answer(...action.args);
        return shown;
      }
      case 'close':
        this.socket.disconnect();
        return 'disconnect';
      case 'send':
      case 'ping':
      case 'pong':
        // The step parser refuses these with --sio.
        throw new TypeError(`${action.kind} is for bare WebSockets`);
    }
  }

  close(): void {
    this.socket.disconnect();
  }

  private received(name: string, args: unknown[]): void {
    const last = args[args.length - 1];
    let asks = '';
    if (typeof last === 'function') {
      args.pop();
      const id = this.nextRequest++;
      this.requests.set(id, last as AckCallback);
      asks = ` (ack ${id} requested: answer with "ack ${id} [json args]")`;
    }
    this.queue.push('<', `event ${name} ${showJson(args)}${asks}`);
  }
}

/**
 * A Manager class whose WebSockets take `options` (TLS checks, Origin, handshake and close
 * timeouts, Basic credentials): what the client's own options do not cover. Headers come from
 * the client's `extraHeaders`.
 */
function managerWith(options: WebSocketOptions): typeof Manager {
  const host: ClientPlatform = {
    ...nodePlatform,
    createWebSocket(url, headers) {
      const socket = new WebSocket(url, { ...options, headers: { ...headers } });
      socket.binaryType = 'nodebuffer';
      return socket as WebSocketLike;
    },
  };
  return class extends Manager {
    protected static override platform = host;
  };
}

/** The server's origin with the user's query parameters: the namespace and the credentials travel apart. */
function serverAddress(url: URL): string {
  const address = new URL(url);
  address.username = '';
  address.password = '';
  address.pathname = '/';
  return address.href;
}

/** `user:password` from the URL, when it has them. */
function urlCredentials(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
}

/** The error under a transport's failure (its WebSocket's `error` event carries it), for {@link connectFailure}. */
function underlyingError(error: Error): Error {
  const description = (error as { description?: unknown }).description;
  const cause = (description as { error?: unknown } | undefined)?.error;
  if (cause instanceof Error) return cause;
  return typeof description === 'string' ? new Error(description) : error;
}

/**
 * How the session ended, as the transcript says it. Leaving the namespace, either side's, is
 * clean, and so is a transport the server closed with a close code; the rest means the connection
 * was lost.
 */
function describeDisconnect(reason: DisconnectReason, description: DisconnectDescription | undefined): Closed {
  if (reason === 'io client disconnect') return { description: 'disconnected', clean: true };
  if (reason === 'io server disconnect') {
    return { description: 'disconnected: the server disconnected the socket (io server disconnect)', clean: true };
  }
  const code = (description as { code?: unknown } | undefined)?.code;
  if (reason === 'transport close' && code !== 1006) {
    const how = typeof code === 'number' ? ` (${code})` : '';
    return { description: `disconnected: the server closed the connection${how} (transport close)`, clean: true };
  }
  const detail =
    description instanceof Error
      ? `: ${description.message}`
      : typeof code === 'number'
        ? ` (${code})`
        : typeof description?.description === 'string'
          ? `: ${description.description}`
          : '';
  return { description: `connection lost: ${reason}${detail}`, clean: false };
}

/** Arguments as JSON, with binary attachments shown as their length and first bytes. */
function showJson(value: readonly unknown[]): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, shown: unknown) {
    // JSON.stringify has already applied a Buffer's toJSON: the holder still has the original.
    const original = this[key];
    return original instanceof Uint8Array || original instanceof ArrayBuffer
      ? describeBinary(original instanceof ArrayBuffer ? new Uint8Array(original) : original)
      : shown;
  });
}
