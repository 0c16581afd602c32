import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  ErrorCode,
  WebSocketError,
  acceptResponseLines,
  formatExtensionList,
  Opcode,
  parseUpgradeRequest,
  rejectResponse,
  DEFAULT_MAX_HEAD_SIZE,
} from '../protocol/index.js';
import {
  runVerifyClient,
  type AuthenticateHook,
  type HandshakeRejection,
  type HandshakeVerdict,
  type VerifyClient,
} from './auth.js';
import { negotiateDeflateExtension } from './deflate-session.js';
import { debug } from './debug-log.js';
import { Heartbeat } from './heartbeat.js';
import {
  CONNECTION_SETTING_NAMES,
  checkOptionNames,
  resolveConnectionSettings,
  type ConnectionSettings,
  type ResolvedConnectionSettings,
} from './options.js';
import {
  resolveDeflateOptions,
  type PerMessageDeflateOptions,
  type ResolvedDeflateOptions,
} from './permessage-deflate.js';
import { OpenConnection } from './open-connection.js';
import { encodeFrameBuffer, toPayload } from './send-data.js';
import { HandshakeGuard, setSocketOwner, socketOwner } from './socket-owner.js';
import { UpgradeListener } from './upgrade-listener.js';
import { WebSocket } from './websocket.js';

/**
 * Options of a {@link WebSocketServer}; names follow `ws` where it has one. Every option of `ws`'s
 * server is taken except `maxBufferedChunks` (refused, naming it); a name that is neither ours nor
 * `ws`'s (a typo) is refused too.
 */
export interface WebSocketServerOptions<T extends WebSocket = WebSocket> extends ConnectionSettings {
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
   * `ws`'s access check, in its synchronous or callback form (see {@link VerifyClient}). Runs before
   * `authenticate` when both are given; both must accept. @default accept all
   */
  verifyClient?: VerifyClient;
  /** Keep the open connections in {@link WebSocketServer.clients}; with `false` it is `undefined`, as in `ws`. @default true */
  clientTracking?: boolean;
  /** The class of the connections this server accepts: `WebSocket` or a subclass of it. @default WebSocket */
  WebSocket?: new (...args: never[]) => T;
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

const SERVER_OPTION_NAMES: ReadonlySet<string> = new Set([
  ...CONNECTION_SETTING_NAMES,
  'port',
  'host',
  'backlog',
  'maxHeaderSize',
  'server',
  'noServer',
  'path',
  'handleProtocols',
  'authenticate',
  'verifyClient',
  'clientTracking',
  'WebSocket',
  'handshakeTimeout',
  'maxConnections',
  'heartbeatInterval',
  'perMessageDeflate',
]);

/** `ws` server options refused, and what to use instead. */
const REFUSED_SERVER_OPTIONS: Readonly<Record<string, string>> = {
  maxBufferedChunks:
    'a message in pieces is held in proportion to its bytes, not its chunks; maxPayload and maxFragments bound it, remove maxBufferedChunks',
};

/** The error of a handshake refused because an access hook threw or rejected. */
function hookFailure(hook: string, cause: unknown): WebSocketError {
  return new WebSocketError(ErrorCode.HandshakeRefused, `the ${hook} hook failed`, { status: 500, cause });
}

const MODES_ERROR = 'One and only one of the "port", "server", or "noServer" options must be specified';

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
export interface WebSocketServerEvents<T extends WebSocket = WebSocket> {
  /** A handshake completed: the new connection and the request it came from. */
  connection: [socket: T, request: http.IncomingMessage];
  /** The server's own listener (with `port`), or the attached server (with `server`), is listening. */
  listening: [];
  /** `close()` finished: every connection is closed. */
  close: [];
  /** The server's own listener or the attached server failed (e.g. the port is taken). */
  error: [error: Error];
  /**
   * About to accept: the lines of the 101 response, status line first (`'HTTP/1.1 101 Switching
   * Protocols'`, `'Upgrade: websocket'`, ...), as `ws` passes them; listeners may push more
   * (`headers.push('Set-Cookie: a=b')`). A line holding a CR or LF refuses the handshake with 500.
   */
  headers: [headers: string[], request: http.IncomingMessage];
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
export class WebSocketServer<T extends WebSocket = WebSocket> extends EventEmitter<WebSocketServerEvents<T>> {
  /**
   * Every open connection; `undefined` with `clientTracking: false`, as in `ws` (the server still
   * knows its connections, to close them on {@link close}).
   */
  readonly clients: Set<T>;
  /** The options given to the constructor. */
  readonly options: Readonly<WebSocketServerOptions<T>>;
  private readonly connections = new Set<T>();
  private readonly settings: ResolvedConnectionSettings;
  private readonly path: string | undefined;
  private readonly handleProtocols: WebSocketServerOptions['handleProtocols'];
  private readonly authenticate: AuthenticateHook | undefined;
  private readonly verifyClient: VerifyClient | undefined;
  private readonly socketClass: new (url: null) => T;
  private readonly handshakeTimeout: number;
  private readonly maxConnections: number;
  private readonly heartbeat: Heartbeat;
  private readonly deflateOptions: ResolvedDeflateOptions | undefined;
  /** The attached server (`server` option), until `close()`. */
  private server: http.Server | HttpsServer | undefined;
  /** The listener of our own (`port` option). */
  private readonly listener: UpgradeListener | undefined;
  private readonly onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.upgradeFromServer(request, socket, head);
  private readonly onListening = (): void => void this.emit('listening');
  private readonly onError = (error: Error): void => void this.emit('error', error);
  private handshakes = 0;
  private state: 'running' | 'closing' | 'closed' = 'running';

  /**
   * Throws a `TypeError` unless exactly one of `port`, `server` and `noServer` is given (`ws`'s
   * wording), for an option this server does not take (naming it), and for values that make no sense.
   * `callback` listens for `'listening'` and needs `port`.
   */
  constructor(options?: WebSocketServerOptions<T>, callback?: () => void) {
    super();
    const given = options ?? {};
    // `ws`'s test: `port` may be 0, `server` and `noServer` count when truthy.
    const hasPort = given.port !== undefined && given.port !== null;
    if (
      (!hasPort && !given.server && !given.noServer) ||
      (hasPort && (given.server || given.noServer)) ||
      (given.server && given.noServer)
    ) {
      throw new TypeError(MODES_ERROR);
    }
    checkOptionNames('WebSocketServer', given, SERVER_OPTION_NAMES, REFUSED_SERVER_OPTIONS);
    const socketClass = given.WebSocket ?? WebSocket;
    if (socketClass !== WebSocket && !(socketClass.prototype instanceof WebSocket)) {
      throw new TypeError('the "WebSocket" option must be the WebSocket class of this package or a subclass of it');
    }
    if (given.verifyClient !== undefined && typeof given.verifyClient !== 'function')
      throw new TypeError('verifyClient must be a function');
    this.options = { ...given };
    this.socketClass = socketClass as unknown as new (url: null) => T;
    this.clients = given.clientTracking === false ? (undefined as unknown as Set<T>) : this.connections;
    this.settings = resolveConnectionSettings(given);
    this.path = given.path;
    this.handleProtocols = given.handleProtocols;
    this.authenticate = given.authenticate;
    this.verifyClient = given.verifyClient;
    this.handshakeTimeout = given.handshakeTimeout ?? 10_000;
    this.maxConnections = given.maxConnections ?? Infinity;
    this.heartbeat = new Heartbeat(given.heartbeatInterval ?? 30_000);
    this.deflateOptions = resolveDeflateOptions(given.perMessageDeflate, false);

    if (hasPort) {
      this.listener = new UpgradeListener({
        maxHeadSize: given.maxHeaderSize ?? DEFAULT_MAX_HEAD_SIZE,
        handshakeTimeout: this.handshakeTimeout,
        onUpgrade: (request, socket, head) => this.upgradeFromServer(request, socket, head),
      });
      const server = this.listener.server;
      server.on('listening', this.onListening);
      server.on('error', this.onError);
      server.listen(given.port, given.host, given.backlog, callback);
      return;
    }
    if (callback) throw new TypeError('a listening callback only makes sense with the "port" option');
    if (given.server) {
      // As `ws` does: the attached server's 'listening' and 'error' are this server's too, until close().
      this.server = given.server;
      this.server.on('listening', this.onListening);
      this.server.on('error', this.onError);
      this.server.on('upgrade', this.onUpgrade);
    }
  }

  /**
   * The bound address of the server's own listener or of the attached server; `null` once
   * `close()` was called. Throws in `noServer` mode.
   */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (this.state !== 'running') return null;
    return (this.listener?.server ?? this.server)?.address() ?? null;
  }

  /** Whether `request` is for this server's `path`; override it to choose requests another way. */
  shouldHandle(request: http.IncomingMessage): boolean {
    if (this.path === undefined) return true;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.path;
  }

  /**
   * Completes (or refuses) the opening handshake for an upgrade request, as `noServer` applications
   * call it from their own `'upgrade'` listener; `callback` gets the new connection. Throws if the
   * socket was already handed to a server (two servers answering one request).
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
    callback: (socket: T, request: http.IncomingMessage) => void,
  ): void {
    const owner = socketOwner(socket);
    if (owner instanceof HandshakeGuard || owner instanceof OpenConnection) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
      );
    }
    setSocketOwner(socket, new HandshakeGuard(socket));

    if (this.state !== 'running') return this.refuseBusy(request, socket, 'Server is shutting down');
    if (this.connections.size + this.handshakes >= this.maxConnections) {
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
      if (socket.destroyed || !socket.readable || !socket.writable) {
        socket.destroy();
        return;
      }
      // `close()` may have come while a hook decided.
      if (this.state !== 'running') return this.refuseBusy(request, socket, 'Server is shutting down');
      let protocol = '';
      if (upgrade.protocols.length > 0) {
        const chosen = this.handleProtocols
          ? this.handleProtocols(new Set(upgrade.protocols), request)
          : upgrade.protocols[0]!;
        if (chosen !== false && upgrade.protocols.includes(chosen)) protocol = chosen;
      }
      const deflate = negotiateDeflateExtension(upgrade.extensions, this.deflateOptions);
      const lines = acceptResponseLines(upgrade.key, { protocol, extensions: deflate?.header });
      this.emit('headers', lines, request);
      // The lines are the application's to extend: a CR or LF in one would start a header or body of its own.
      if (lines.some((line) => typeof line !== 'string' || /[\r\n]/.test(line))) {
        const message = 'a "headers" listener added a line that is not a string or holds a CR or LF';
        return this.refuse(
          request,
          socket,
          { status: 500 },
          new WebSocketError(ErrorCode.HandshakeRefused, message, { status: 500 }),
        );
      }
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      const connection = WebSocket.accept(
        {
          role: 'server',
          socket,
          head,
          protocol,
          extensions: deflate ? formatExtensionList(deflate.header) : '',
          settings: this.settings,
          deflate: deflate?.agreement,
          registry: this,
        },
        this.socketClass,
      );
      this.track(connection);
      if (debug.enabled) {
        debug(
          'connection opened on %s from %s (subprotocol %s, extensions %s)',
          request.url,
          request.socket?.remoteAddress,
          protocol || 'none',
          connection.extensions || 'none',
        );
      }
      callback(connection, request);
    };

    let verdict: HandshakeVerdict | Promise<HandshakeVerdict> = true;
    if (this.verifyClient !== undefined) {
      try {
        verdict = runVerifyClient(this.verifyClient, request);
      } catch (error) {
        return this.refuseForHook(request, socket, hookFailure('verifyClient', error));
      }
    }
    if (verdict !== true && !(verdict instanceof Promise)) return this.refuseWith(request, socket, verdict);
    if (verdict === true && this.authenticate === undefined) return accept();
    this.checkAsync(request, socket, verdict, accept);
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
    for (const client of this.connections) {
      if (client === options.except || (options.filter && !options.filter(client))) continue;
      if (client.sendFrame(frame)) count++;
    }
    return count;
  }

  /**
   * Stops accepting connections and closes every open one with 1001 (Going Away); `ws` leaves them
   * open and waits for them to go. `'close'` is emitted, and `callback` runs, once all are closed
   * (and the server's own listener, if it has one). Called again once closed, it emits `'close'`
   * again and gives `callback` an error, as `ws` does.
   */
  close(callback?: Callback): void {
    if (this.state === 'closed') {
      if (callback) this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (callback) this.once('close', () => callback());
    if (this.state === 'closing') return;
    this.state = 'closing';
    this.heartbeat.stop();
    if (this.server) {
      this.server.removeListener('upgrade', this.onUpgrade);
      this.server.removeListener('listening', this.onListening);
      this.server.removeListener('error', this.onError);
      this.server = undefined;
    }
    let waiting = 1 + (this.listener ? 1 : 0);
    const done = (): void => {
      if (--waiting > 0) return;
      this.state = 'closed';
      this.emit('close');
    };
    if (this.listener) {
      this.listener.server.close(() => {
        this.listener!.server.removeListener('listening', this.onListening);
        this.listener!.server.removeListener('error', this.onError);
        done();
      });
      this.listener.dropPending();
    }
    if (this.connections.size === 0) {
      // Asynchronously, as `ws` emits it, so a listener added right after close() hears it.
      process.nextTick(done);
      return;
    }
    let open = this.connections.size;
    for (const client of this.connections) {
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

  /**
   * Finishes the checks that did not decide at once (an async `verifyClient`, or `authenticate`),
   * within `handshakeTimeout`: 408 past it.
   */
  private checkAsync(
    request: http.IncomingMessage,
    socket: Duplex,
    first: HandshakeVerdict | Promise<HandshakeVerdict>,
    accept: () => void,
  ): void {
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
      this.refuse(
        request,
        socket,
        { status: 408, message },
        new WebSocketError(ErrorCode.HandshakeTimeout, message, { status: 408 }),
      );
    }, this.handshakeTimeout);
    timer.unref();
    const failed =
      (hook: string) =>
      (cause: unknown): never => {
        throw hookFailure(hook, cause);
      };
    let verdict = Promise.resolve(first).catch(failed('verifyClient'));
    const authenticate = this.authenticate;
    if (authenticate !== undefined) {
      verdict = verdict.then((earlier) =>
        earlier !== true
          ? earlier
          : Promise.resolve()
              .then(() => authenticate(request))
              .then(
                (answer) =>
                  answer === undefined || answer === true
                    ? true
                    : answer === false
                      ? { status: 401, message: 'Unauthorized' }
                      : answer,
                failed('authenticate'),
              ),
      );
    }
    verdict.then(
      (answer) => {
        if (!finish()) return;
        if (answer === true) accept();
        else this.refuseWith(request, socket, answer);
      },
      (error: unknown) => {
        if (!finish()) return;
        const failure = error instanceof WebSocketError ? error : hookFailure('verifyClient', error);
        this.refuseForHook(request, socket, failure);
      },
    );
  }

  private track(connection: T): void {
    this.connections.add(connection);
    this.heartbeat.add(connection);
  }

  /** @internal A connection closed: forget it (called by the connection itself, before its `'close'` event). */
  release(connection: WebSocket): void {
    this.connections.delete(connection as T);
    this.heartbeat.delete(connection);
  }

  /** Refuses a handshake with 503: the server is at `maxConnections` or shutting down (`ERR_HANDSHAKE_REFUSED`). */
  private refuseBusy(request: http.IncomingMessage, socket: Duplex, message: string): void {
    this.refuse(
      request,
      socket,
      { status: 503, message },
      new WebSocketError(ErrorCode.HandshakeRefused, message, { status: 503 }),
    );
  }

  /** Refuses a handshake as a hook decided (`ERR_HANDSHAKE_REFUSED`). */
  private refuseWith(request: http.IncomingMessage, socket: Duplex, rejection: HandshakeRejection): void {
    const message = rejection.message ?? `refused with ${rejection.status}`;
    this.refuse(
      request,
      socket,
      rejection,
      new WebSocketError(ErrorCode.HandshakeRefused, message, { status: rejection.status }),
    );
  }

  /** Refuses a handshake with 500: a hook threw (`error` from {@link hookFailure}). */
  private refuseForHook(request: http.IncomingMessage, socket: Duplex, error: WebSocketError): void {
    this.refuse(request, socket, { status: 500 }, error);
  }

  /** Answers a handshake with an HTTP error and closes the socket; `'wsClientError'` listeners may answer instead. */
  private refuse(
    request: http.IncomingMessage,
    socket: Duplex,
    rejection: HandshakeRejection,
    error?: WebSocketError,
  ): void {
    const failure =
      error ??
      new WebSocketError(ErrorCode.BadUpgradeRequest, rejection.message ?? 'handshake refused', {
        status: rejection.status,
      });
    if (debug.enabled) {
      debug(
        'refused %s %s from %s with %d: %s (%s)',
        request.method,
        request.url,
        request.socket?.remoteAddress,
        rejection.status,
        failure.message,
        failure.code,
      );
    }
    if (this.listenerCount('wsClientError') > 0) {
      this.emit('wsClientError', failure, socket, request);
      return;
    }
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    let response: string;
    try {
      response = rejectResponse(rejection.status, rejection.message, rejection.headers);
    } catch (error) {
      // A hook's header that is not a token, or holds a CR or LF (which would start a header or
      // body of its own): the bug is the application's, the peer still gets an answer.
      if (debug.enabled)
        debug('refusal headers %j rejected: %s; answering 500', rejection.headers, (error as Error).message);
      response = rejectResponse(500);
    }
    socket.once('finish', () => socket.destroy());
    socket.end(response);
  }
}
