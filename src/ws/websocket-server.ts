import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  ErrorCode,
  WebSocketError,
  acceptResponse,
  formatExtensionList,
  Opcode,
  parseUpgradeRequest,
  rejectResponse,
  DEFAULT_MAX_HEAD_SIZE,
} from '../protocol/index.js';
import type { AuthenticateHook, HandshakeRejection } from './auth.js';
import { negotiateDeflateExtension } from './deflate-session.js';
import { Heartbeat } from './heartbeat.js';
import { resolveConnectionSettings, type ConnectionSettings, type ResolvedConnectionSettings } from './options.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions, type ResolvedDeflateOptions } from './permessage-deflate.js';
import { encodeFrameBuffer, toPayload } from './send-data.js';
import { HandshakeGuard, setSocketOwner } from './socket-owner.js';
import { UpgradeListener } from './upgrade-listener.js';
import { WebSocket } from './websocket.js';

/** Options of a {@link WebSocketServer}; names follow `ws` where it has one. */
export interface WebSocketServerOptions extends ConnectionSettings {
  /** Listen on this port with a server of our own (0 picks a free one). Exclusive with `server` and `noServer`. */
  port?: number;
  /** Host to listen on with `port`. @default all interfaces */
  host?: string;
  /** Listen backlog with `port`. @default 511 */
  backlog?: number;
  /** Largest request head accepted with `port`, in bytes; larger gets 431. @default 16384 */
  maxHeaderSize?: number;
  /** Attach to an existing `http` or `https` server. Exclusive with `port` and `noServer`. */
  server?: http.Server | HttpsServer;
  /** Attach to nothing: the application calls {@link WebSocketServer.handleUpgrade} itself. */
  noServer?: boolean;
  /** Accept upgrades for this path only (the query string is ignored). @default any path */
  path?: string;
  /** Chooses a subprotocol among those the client offers; `false` chooses none. @default the client's first */
  handleProtocols?: (protocols: Set<string>, request: http.IncomingMessage) => string | false;
  /** Decides whether a handshake may proceed; see `allowOrigins`, `basicAuth`, `bearerToken`. @default accept all */
  authenticate?: AuthenticateHook;
  /**
   * Time allowed for an upgrade request, in ms; past it: 408. With `port`, it bounds the arrival of
   * the request head (from the moment the connection is accepted) and then, on its own, the
   * `authenticate` hook. With `server` or `noServer`, Node's HTTP server reads the head before this
   * server sees it: only `authenticate` is timed here, and the head by that server's
   * `headersTimeout` (Node's default 60 s, checked every 30 s; `createHttpServer` of
   * `switchboard/engine` makes a server with 10 s).
   * @default 10000
   */
  handshakeTimeout?: number;
  /** Connections (open and in handshake) above which new handshakes get 503. @default Infinity */
  maxConnections?: number;
  /** Ping every connection this often (ms) and terminate those silent for a whole interval; 0 turns it off. @default 30000 */
  heartbeatInterval?: number;
  /** Accept permessage-deflate (RFC 7692) offers; an object sets what is accepted and how messages are compressed. @default false */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** Options of {@link WebSocketServer.broadcast}. */
export interface BroadcastOptions {
  /** Send as binary; by default strings go as text and buffers as binary. */
  binary?: boolean;
  /** A connection to leave out, typically the sender. */
  except?: WebSocket;
  /** Only connections for which this answers `true`. */
  filter?: (socket: WebSocket) => boolean;
}

type Callback = (error?: Error) => void;

/** The events of a {@link WebSocketServer} and their arguments. */
export interface WebSocketServerEvents {
  /** A handshake completed: the new connection and the request it came from. */
  connection: [socket: WebSocket, request: http.IncomingMessage];
  /** The server's own listener (with `port`) is listening. */
  listening: [];
  /** `close()` finished: every connection is closed. */
  close: [];
  /** The server's own listener failed (e.g. the port is taken). */
  error: [error: Error];
  /** About to accept: listeners may add response headers. */
  headers: [headers: Record<string, string>, request: http.IncomingMessage];
  /** A handshake failed; with a listener, answering the socket is the listener's job. */
  wsClientError: [error: WebSocketError, socket: Duplex, request: http.IncomingMessage];
}

/**
 * A WebSocket server: listens on its own port, attaches to an `http`/`https` server, or hands
 * upgrades over from the application (`noServer`). Emits `'connection'` with each accepted
 * {@link WebSocket} and the upgrade request.
 *
 * @example
 * const wss = new WebSocketServer({ port: 8080, path: '/chat' });
 * wss.on('connection', (socket, request) => {
 *   socket.on('message', (data, isBinary) => wss.broadcast(data, { binary: isBinary, except: socket }));
 * });
 */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  /** Every open connection. */
  readonly clients = new Set<WebSocket>();
  private readonly settings: ResolvedConnectionSettings;
  private readonly path: string | undefined;
  private readonly handleProtocols: WebSocketServerOptions['handleProtocols'];
  private readonly authenticate: AuthenticateHook | undefined;
  private readonly handshakeTimeout: number;
  private readonly maxConnections: number;
  private readonly heartbeat: Heartbeat;
  private readonly deflateOptions: ResolvedDeflateOptions | undefined;
  /** The attached server (`server` option). */
  private readonly server: http.Server | HttpsServer | undefined;
  /** The listener of our own (`port` option). */
  private readonly listener: UpgradeListener | undefined;
  private readonly onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => this.upgradeFromServer(request, socket, head);
  private handshakes = 0;
  private state: 'running' | 'closing' | 'closed' = 'running';

  constructor(options: WebSocketServerOptions, callback?: () => void) {
    super();
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true].filter(Boolean).length;
    if (modes !== 1) throw new TypeError('exactly one of the "port", "server" and "noServer" options must be given');
    this.settings = resolveConnectionSettings(options);
    this.path = options.path;
    this.handleProtocols = options.handleProtocols;
    this.authenticate = options.authenticate;
    this.handshakeTimeout = options.handshakeTimeout ?? 10_000;
    this.maxConnections = options.maxConnections ?? Infinity;
    this.heartbeat = new Heartbeat(options.heartbeatInterval ?? 30_000);
    this.deflateOptions = resolveDeflateOptions(options.perMessageDeflate, false);

    if (options.port !== undefined) {
      this.listener = new UpgradeListener({
        maxHeadSize: options.maxHeaderSize ?? DEFAULT_MAX_HEAD_SIZE,
        handshakeTimeout: this.handshakeTimeout,
        onUpgrade: (request, socket, head) => this.upgradeFromServer(request, socket, head),
      });
      const server = this.listener.server;
      server.on('listening', () => this.emit('listening'));
      server.on('error', (error) => this.emit('error', error));
      server.listen(options.port, options.host, options.backlog, callback);
    } else {
      this.server = options.server;
      if (callback) throw new TypeError('a listening callback only makes sense with the "port" option');
    }
    this.server?.on('upgrade', this.onUpgrade);
  }

  /** The bound address of the server's own listener or of the attached server. */
  address(): AddressInfo | string | null {
    const server = this.listener?.server ?? this.server;
    if (server === undefined) throw new Error('the server is in "noServer" mode');
    return server.address();
  }

  /** Whether `request` is for this server's `path`. */
  shouldHandle(request: http.IncomingMessage): boolean {
    if (this.path === undefined) return true;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.path;
  }

  /**
   * Completes (or refuses) the opening handshake for an upgrade request, as `noServer` applications
   * call it from their own `'upgrade'` listener; `callback` gets the new connection.
   *
   * @example
   * httpServer.on('upgrade', (request, socket, head) => {
   *   wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
   * });
   */
  handleUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (socket: WebSocket, request: http.IncomingMessage) => void,
  ): void {
    setSocketOwner(socket, new HandshakeGuard(socket));

    if (this.state !== 'running') return this.refuseBusy(request, socket, 'Server is shutting down');
    if (this.clients.size + this.handshakes >= this.maxConnections) {
      return this.refuseBusy(request, socket, 'Too many connections');
    }
    if (!this.shouldHandle(request)) return this.refuse(request, socket, { status: 400, message: 'Unexpected path' });
    let upgrade;
    try {
      upgrade = parseUpgradeRequest(request.method ?? '', request.httpVersion, request.headers);
    } catch (error) {
      const failure = error as WebSocketError;
      return this.refuse(request, socket, { status: failure.status, message: failure.message }, failure);
    }

    const accept = (): void => {
      if (socket.destroyed || !socket.writable) return;
      let protocol = '';
      if (upgrade.protocols.length > 0) {
        const chosen = this.handleProtocols ? this.handleProtocols(new Set(upgrade.protocols), request) : upgrade.protocols[0]!;
        if (chosen !== false && upgrade.protocols.includes(chosen)) protocol = chosen;
      }
      const headers: Record<string, string> = {};
      this.emit('headers', headers, request);
      const deflate = negotiateDeflateExtension(upgrade.extensions, this.deflateOptions);
      socket.write(acceptResponse(upgrade.key, { protocol, headers, extensions: deflate?.header }));
      const connection = WebSocket.accept({
        role: 'server',
        socket,
        head,
        protocol,
        extensions: deflate ? formatExtensionList(deflate.header) : '',
        settings: this.settings,
        deflate: deflate?.agreement,
        registry: this,
      });
      this.track(connection);
      callback(connection, request);
    };

    if (this.authenticate === undefined) return accept();
    this.handshakes++;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.handshakes--;
      clearTimeout(timer);
      return true;
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      const message = 'Handshake timed out';
      this.refuse(request, socket, { status: 408, message }, new WebSocketError(ErrorCode.HandshakeTimeout, message, { status: 408 }));
    }, this.handshakeTimeout);
    timer.unref();
    Promise.resolve()
      .then(() => this.authenticate!(request))
      .then(
        (verdict) => {
          if (!finish()) return;
          if (verdict === undefined || verdict === true) return accept();
          const rejection = verdict === false ? { status: 401, message: 'Unauthorized' } : verdict;
          this.refuse(request, socket, rejection, new WebSocketError(ErrorCode.HandshakeRefused, rejection.message ?? `refused with ${rejection.status}`, { status: rejection.status }));
        },
        (error: unknown) => {
          if (!finish()) return;
          this.refuse(request, socket, { status: 500, message: 'Internal Server Error' }, new WebSocketError(ErrorCode.HandshakeRefused, 'the authenticate hook failed', { status: 500, cause: error }));
        },
      );
  }

  /**
   * Sends one message to every open connection (or those `options` select), encoding the frame once
   * and writing the same bytes to each. Returns how many connections it was written to.
   */
  broadcast(data: string | Buffer | ArrayBuffer | ArrayBufferView, options: BroadcastOptions = {}): number {
    const payload = toPayload(data);
    const binary = options.binary ?? typeof payload !== 'string';
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const frame = encodeFrameBuffer(binary ? Opcode.Binary : Opcode.Text, payload, length);
    let count = 0;
    for (const client of this.clients) {
      if (client === options.except || (options.filter && !options.filter(client))) continue;
      if (client.sendFrame(frame)) count++;
    }
    return count;
  }

  /**
   * Stops accepting connections and closes every open one with 1001 (Going Away). `callback` runs
   * once all are closed (and the server's own listener, if it has one).
   */
  close(callback?: Callback): void {
    if (this.state !== 'running') {
      if (callback) {
        if (this.state === 'closed') process.nextTick(callback, new Error('the server is not running'));
        else this.once('close', () => callback());
      }
      return;
    }
    this.state = 'closing';
    if (callback) this.once('close', () => callback());
    this.heartbeat.stop();
    this.server?.removeListener('upgrade', this.onUpgrade);
    let waiting = 1 + (this.listener ? 1 : 0);
    const done = (): void => {
      if (--waiting > 0) return;
      this.state = 'closed';
      this.emit('close');
    };
    if (this.listener) {
      this.listener.server.close(() => done());
      this.listener.dropPending();
    }
    if (this.clients.size === 0) {
      done();
      return;
    }
    let open = this.clients.size;
    for (const client of this.clients) {
      client.once('close', () => {
        if (--open === 0) done();
      });
      client.close(CloseCode.GoingAway, 'server shutting down');
    }
  }

  private upgradeFromServer(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // Another listener (another WebSocketServer on another path, say) may own this request.
    if (!this.shouldHandle(request) && this.server !== undefined && this.server.listenerCount('upgrade') > 1) return;
    this.handleUpgrade(request, socket, head, (connection, accepted) => this.emit('connection', connection, accepted));
  }

  private track(connection: WebSocket): void {
    this.clients.add(connection);
    this.heartbeat.add(connection);
  }

  /** @internal A connection closed: forget it (called by the connection itself, before its `'close'` event). */
  release(connection: WebSocket): void {
    this.clients.delete(connection);
    this.heartbeat.delete(connection);
  }

  /** Refuses a handshake with 503: the server is at `maxConnections` or shutting down (`ERR_HANDSHAKE_REFUSED`). */
  private refuseBusy(request: http.IncomingMessage, socket: Duplex, message: string): void {
    this.refuse(request, socket, { status: 503, message }, new WebSocketError(ErrorCode.HandshakeRefused, message, { status: 503 }));
  }

  /** Answers a handshake with an HTTP error and closes the socket; `'wsClientError'` listeners may answer instead. */
  private refuse(request: http.IncomingMessage, socket: Duplex, rejection: HandshakeRejection, error?: WebSocketError): void {
    const failure = error ?? new WebSocketError(ErrorCode.BadUpgradeRequest, rejection.message ?? 'handshake refused', { status: rejection.status });
    if (this.listenerCount('wsClientError') > 0) {
      this.emit('wsClientError', failure, socket, request);
      return;
    }
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.once('finish', () => socket.destroy());
    socket.end(rejectResponse(rejection.status, rejection.message, rejection.headers));
  }
}
