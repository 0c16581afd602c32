import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import {
  ENGINE_ERROR_MESSAGES,
  ENGINE_IO_PROTOCOL,
  EngineErrorCode,
  engineErrorBody,
  engineErrorStatus,
} from '../protocol/engine-io/index.js';
import { WebSocketServer, type WebSocket, type WebSocketServerOptions } from '../ws/index.js';
import { askAllowRequest, type Refusal } from './allow-request.js';
import { serializeCookie } from './cookie.js';
import { corsMiddleware } from './cors.js';
import { createDebugLog } from '../diagnostics/debug.js';
import { HandshakeRequest } from './handshake-request.js';
import { runMiddlewares, type EngineMiddleware } from './middleware.js';
import {
  TransportName,
  nonNegativeDelay,
  normalizePath,
  resolveEngineOptions,
  type EngineServerOptions,
  type ResolvedEngineOptions,
} from './options.js';
import { PollingTransport, respondError } from './polling-transport.js';
import { RelayBridge } from './relay-bridge.js';
import { WebSocketRelay } from './relayed-websocket.js';
import { CloseReason, EngineSocket, heartbeatQueues, type SessionSettings } from './socket.js';
import type { Transport } from './transport.js';
import { UpgradeResponse } from './upgrade-response.js';
import { WebSocketTransport } from './websocket-transport.js';

const debug = createDebugLog('engine');

/** What `'connection_error'` reports about a refused request, as the reference server does. */
export interface ConnectionError {
  /** The refused request. */
  readonly req: IncomingMessage;
  /** The Engine.IO error code sent to the client. */
  readonly code: EngineErrorCode;
  /** The standard message of the code. */
  readonly message: string;
  /**
   * Details: the offending transport, sid, method, protocol, the `allowRequest` error, or, for a
   * middleware that failed (`name: 'MIDDLEWARE_FAILURE'`), its `error`.
   */
  readonly context: Readonly<Record<string, unknown>>;
}

/** Response headers that `'headers'` and `'initial_headers'` listeners may add to. */
export type EngineHeaders = Record<string, string | string[]>;

/** Events of an {@link EngineServer}. */
export interface EngineServerEvents {
  /** A session opened. */
  connection: [socket: EngineSocket];
  /** A request was refused with an Engine.IO error. */
  connection_error: [error: ConnectionError];
  /** Before answering a handshake (polling or WebSocket): add headers, such as cookies, to the answer. */
  initial_headers: [headers: EngineHeaders, req: IncomingMessage];
  /** Before answering any polling request or WebSocket handshake of the engine. */
  headers: [headers: EngineHeaders, req: IncomingMessage];
}

/** Options of {@link EngineServer.attach}. */
export interface AttachOptions {
  /**
   * The path to intercept: requests for it, and for paths under it whose query names Engine.IO
   * (`EIO` and `transport`). @default the server's `path` option
   */
  path?: string;
  /**
   * End upgrade requests for other paths that no other listener answered within
   * `destroyUpgradeTimeout`, since an `'upgrade'` listener stops Node from doing so.
   * @default the engine's `destroyUpgrade` option, else true
   */
  destroyUpgrade?: boolean;
  /** Milliseconds. @default the engine's `destroyUpgradeTimeout` option, else 1000 */
  destroyUpgradeTimeout?: number;
  /**
   * Accepted for compatibility: the path is matched with and without its trailing slash
   * (`/engine.io/` and `/engine.io`) either way.
   * @default true
   */
  addTrailingSlash?: boolean;
}

/** Query parameters of an Engine.IO request, or `undefined` when the URL cannot be parsed. */
function queryOf(req: IncomingMessage): URLSearchParams | undefined {
  try {
    const url = req.url ?? '/';
    return new URL(url.startsWith('/') ? `http://localhost${url}` : url).searchParams;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request is for an engine served at `path` (normalized, with its trailing slash): the
 * path itself, with or without the slash, or, as the reference server matches it by prefix, a
 * path under it whose query names the Engine.IO protocol (`EIO` and `transport`). Other paths
 * under it stay with the application.
 */
function isEngineRequest(url: string, path: string): boolean {
  const end = url.indexOf('?');
  const pathname = end === -1 ? url : url.slice(0, end);
  if (pathname === path || pathname + '/' === path) return true;
  if (end === -1 || !pathname.startsWith(path)) return false;
  const query = new URLSearchParams(url.slice(end + 1));
  return query.has('EIO') && query.has('transport');
}

// RFC 9110 §5.5: field values are visible ASCII, spaces, tabs and obs-text; anything else is forged.
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * An Engine.IO protocol v4 server: opens sessions over HTTP long-polling and WebSocket, upgrades
 * polling sessions to WebSocket, keeps their heartbeat and reports each as an {@link EngineSocket}.
 * WebSocket connections run on Switchboard's own `WebSocketServer`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { EngineServer } from 'switchboard/engine';
 *
 * const httpServer = createServer();
 * const engine = new EngineServer({ pingInterval: 10_000, cors: { origin: 'https://app.example' } });
 * engine.attach(httpServer);
 * engine.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
 * httpServer.listen(3000);
 */
export class EngineServer extends EventEmitter<EngineServerEvents> {
  /** Open sessions by id. */
  readonly clients = new Map<string, EngineSocket>();
  private wss: WebSocketServer | undefined;
  /** Ids of WebSocket-only sessions whose handshake is being answered. */
  private readonly pendingIds = new WeakMap<IncomingMessage, string>();
  /** The middlewares' stand-in response of an upgrade being answered: its headers go out with the `101`. */
  private readonly upgradeResponses = new WeakMap<IncomingMessage, UpgradeResponse>();
  private resolved: ResolvedEngineOptions;
  private settings: SessionSettings;
  /** The middlewares every request goes through: CORS (when configured), then those of {@link use}. */
  private readonly middlewares: EngineMiddleware[] = [];
  /** The CORS middleware at the head of {@link middlewares}, when the `cors` option is set. */
  private corsHandler: EngineMiddleware | undefined;
  /** Whether the engine was attached or handed a request: its options are then settled. */
  private served = false;
  /** Whether the application added middlewares: sessions then keep their whole request (see {@link use}). */
  private keepRequests = false;
  /** `allowRequest` answered with a value instead of its callback: warned about once. */
  private allowRequestMisuseWarned = false;
  /** Relays requests between nodes while serving with the `sessionRelay` option. */
  private bridge: RelayBridge | undefined;
  /** `generateId` gave an id without the relay's prefix: warned about once. */
  private relayIdWarned = false;

  /** `options` may hold `attach()`'s `destroyUpgrade` and `destroyUpgradeTimeout` too, as its defaults. */
  constructor(options: EngineServerOptions & Omit<AttachOptions, 'path'> = {}) {
    super();
    this.resolved = resolveEngineOptions(options);
    this.settings = this.sessionSettings();
    this.installCors();
  }

  /** The options in force, defaults included. */
  get options(): ResolvedEngineOptions {
    return this.resolved;
  }

  /**
   * @internal Replaces the options of an engine that has not served yet. The Socket.IO server
   * creates its engine in its constructor, so that `io.engine` is there before `attach()` (for
   * `io.engine.use()` and tools such as the admin UI), and learns `attach()`'s options later.
   * Listeners, middlewares and `generateId` stay.
   */
  reconfigure(options: EngineServerOptions & Omit<AttachOptions, 'path'>): void {
    if (this.served) throw new Error('the engine is serving already: its options can no longer change');
    this.resolved = resolveEngineOptions(options);
    this.settings = this.sessionSettings();
    this.installCors();
  }

  private sessionSettings(): SessionSettings {
    const options = this.resolved;
    return {
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
      upgradeTimeout: options.upgradeTimeout,
      maxPayload: options.maxHttpBufferSize,
      connectionLimits: options.connectionLimits,
      upgrades:
        options.allowUpgrades && options.transports.includes(TransportName.WebSocket) ? [TransportName.WebSocket] : [],
      heartbeats: heartbeatQueues(options.pingInterval, options.pingTimeout),
      release: (socket) => {
        if (this.clients.get(socket.id) === socket) this.clients.delete(socket.id);
      },
    };
  }

  /** Puts the CORS middleware of the `cors` option first, in place of the previous one. */
  private installCors(): void {
    if (this.corsHandler !== undefined) this.middlewares.splice(this.middlewares.indexOf(this.corsHandler), 1);
    this.corsHandler = this.resolved.cors === undefined ? undefined : corsMiddleware(this.resolved.cors);
    if (this.corsHandler !== undefined) this.middlewares.unshift(this.corsHandler);
  }

  /**
   * Adds an Express-style middleware, run on every HTTP request of the engine (handshakes, polls,
   * POSTs) and on every upgrade, before the request is checked, as the reference server runs them.
   * On an upgrade, `res` only collects headers for the `101` answer, and ending it closes the
   * connection. A middleware that fails (`next(err)`, a throw, a rejected promise) refuses the
   * request with "Bad request" (a `'connection_error'` with `context.name` `'MIDDLEWARE_FAILURE'`).
   * As there, `req._query` holds the parsed query string when they run (no `sid` on a handshake).
   *
   * Once a middleware is added, each session keeps the `IncomingMessage` that opened it as
   * `socket.request`, with whatever the middlewares attached to it (a session, a user); without
   * any, it keeps a lighter copy (see {@link HandshakeRequest}).
   *
   * @example
   * import session from 'express-session';
   * io.engine.use(session({ secret: 'keyboard cat', resave: false, saveUninitialized: false }));
   * io.on('connection', (socket) => console.log(socket.request.session.id));
   */
  use(middleware: EngineMiddleware): this {
    if (typeof middleware !== 'function') throw new TypeError('use() takes a middleware function (req, res, next)');
    this.middlewares.push(middleware);
    this.keepRequests = true;
    return this;
  }

  /** How many sessions are open. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /**
   * Serves Engine.IO on `server`: requests and upgrades for the path (or under it, with an
   * Engine.IO query) go to this engine; other requests go to the `'request'` listeners the server
   * had, untouched. The engine closes with the server.
   */
  attach(server: HttpServer | HttpsServer, options: AttachOptions = {}): void {
    this.startServing();
    const path = normalizePath(options.path ?? this.options.path);
    const destroyUpgrade = options.destroyUpgrade ?? this.options.destroyUpgrade;
    const destroyUpgradeTimeout = nonNegativeDelay(
      'destroyUpgradeTimeout',
      options.destroyUpgradeTimeout ?? this.options.destroyUpgradeTimeout,
    );
    const matches = (req: IncomingMessage): boolean => isEngineRequest(req.url ?? '/', path);
    const previous = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (matches(req)) this.handleRequest(req, res);
      else for (const listener of previous) listener.call(server, req, res);
    });
    server.on('close', () => this.close());
    if (!this.options.transports.includes(TransportName.WebSocket)) return;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (matches(req)) {
        this.handleUpgrade(req, socket, head);
        return;
      }
      if (!destroyUpgrade) return;
      socket.on('error', () => socket.destroy());
      const timer = setTimeout(() => {
        const written = (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
        if (socket.writable && written <= 0) socket.end();
      }, destroyUpgradeTimeout);
      timer.unref();
    });
  }

  /**
   * Handles one Engine.IO HTTP request (a handshake, a poll, a POST of packets, or a CORS
   * preflight). For servers not set up with {@link attach}.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    this.startServing();
    this.onRequest(req, res).catch((error: unknown) => {
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'INTERNAL_ERROR', error } }, res);
    });
  }

  /**
   * Handles one upgrade request: a WebSocket-only handshake, or the WebSocket a polling session
   * upgrades to. For servers not set up with {@link attach}.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.startServing();
    // A client that vanishes mid-handshake must not crash the process.
    const onEarlyError = (): void => {
      socket.destroy();
    };
    socket.on('error', onEarlyError);
    this.onUpgrade(req, socket, head, onEarlyError).catch((error: unknown) => {
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'INTERNAL_ERROR', error } }, socket);
    });
  }

  /**
   * Chooses the id of a new session: by default 15 random bytes as 20 characters of base64url,
   * after the relay's `nodeId` and a dot with the `sessionRelay` option. Replace it to derive ids
   * from the request; ids must be unique among open sessions (and, with a relay, keep its prefix),
   * and a failure (or a duplicate) refuses the handshake with "Bad request".
   *
   * @example
   * engine.generateId = (req) => `${req.headers['x-node-id']}-${randomUUID()}`;
   */
  generateId(_req: IncomingMessage): string | Promise<string> {
    const id = randomBytes(15).toString('base64url');
    const relay = this.resolved.sessionRelay;
    return relay === undefined ? id : `${relay.nodeId}.${id}`;
  }

  /** Settles the options and, with a `sessionRelay`, starts serving the requests other nodes relay here. */
  private startServing(): void {
    this.served = true;
    const relay = this.resolved.sessionRelay;
    if (relay === undefined || this.bridge !== undefined) return;
    const { maxHttpBufferSize, pingInterval, pingTimeout } = this.resolved;
    this.bridge = new RelayBridge(relay, {
      sessions: this.clients,
      maxHttpBufferSize,
      pollDeadline: pingInterval + pingTimeout,
      dataDeadline: pingTimeout,
    });
  }

  /**
   * Closes every session with "server shutting down" and the WebSocket server. The engine can
   * serve again afterwards (sessions then start anew).
   */
  close(): this {
    for (const client of [...this.clients.values()]) client.shutdown(CloseReason.ServerShuttingDown);
    this.wss?.close();
    this.wss = undefined;
    this.bridge?.stop();
    this.bridge = undefined;
    return this;
  }

  /**
   * Runs the middlewares; returns `false` when the request is over: refused because one failed,
   * or answered by one of them (a CORS preflight, an upgrade whose stand-in response was ended).
   */
  private async passMiddlewares(
    req: IncomingMessage,
    query: URLSearchParams | undefined,
    res: ServerResponse,
    target: ServerResponse | Duplex,
  ): Promise<boolean> {
    exposeQuery(req, query);
    try {
      await runMiddlewares(this.middlewares, req, res);
    } catch (error) {
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'MIDDLEWARE_FAILURE', error } }, target);
      return false;
    }
    return !res.writableEnded;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = queryOf(req);
    if (this.middlewares.length > 0 && !(await this.passMiddlewares(req, query, res, res))) return;
    const refusal = await this.verify(req, query, false);
    if (refusal !== undefined) {
      this.fail(req, refusal, res);
      return;
    }
    const sid = query!.get('sid');
    if (sid !== null) {
      // The session may have closed while the checks above settled.
      const session = this.clients.get(sid);
      const bridge = this.bridge;
      if (session === undefined && !bridge?.relays(sid, query!.get('transport'), req.method, false)) {
        this.fail(req, { code: EngineErrorCode.UnknownSid, context: { sid } }, res);
        return;
      }
      for (const [name, value] of Object.entries(this.responseHeaders(req, undefined))) res.setHeader(name, value);
      if (session !== undefined) session.handlePollingRequest(req, res);
      else
        bridge!.forward(req, res, sid, () => {
          this.fail(req, { code: EngineErrorCode.UnknownSid, context: { sid, relayed: true } }, res);
        });
      return;
    }
    const id = await this.newId(req, res);
    if (id === undefined || res.destroyed) return; // refused, or the client left meanwhile
    if (this.clients.has(id)) {
      // Another handshake took the same (application-chosen) id while this one was settling.
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'ID_GENERATION_ERROR', id } }, res);
      return;
    }
    const transport = new PollingTransport({
      maxHttpBufferSize: this.options.maxHttpBufferSize,
      // The close packet waits for the client's next poll; a live client polls well within this.
      closeTimeout: this.options.pingTimeout,
      httpCompression: this.options.httpCompression,
    });
    for (const [name, value] of Object.entries(this.responseHeaders(req, id))) res.setHeader(name, value);
    const socket = this.register(id, req, transport);
    transport.onRequest(req, res);
    this.emit('connection', socket);
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onEarlyError: () => void): Promise<void> {
    const query = queryOf(req);
    if (this.middlewares.length > 0) {
      const res = new UpgradeResponse(req, socket);
      if (!(await this.passMiddlewares(req, query, res.asServerResponse(), socket))) return;
      // Session middlewares set their cookie when the head is written (see UpgradeResponse).
      res.writeHead();
      this.upgradeResponses.set(req, res);
    }
    const refusal = await this.verify(req, query, true);
    if (refusal !== undefined) {
      this.fail(req, refusal, socket);
      return;
    }
    const sid = query!.get('sid');
    const session = sid === null ? undefined : this.clients.get(sid);
    if (sid !== null && session === undefined) {
      // Another node's session (checked above): its holder upgrades over a WebSocket of this node.
      await this.relayUpgrade(req, socket, head, sid, onEarlyError);
      return;
    }
    if (session !== undefined && !session.canUpgrade) {
      // Protocol v4, "WebSocket": one WebSocket per session; another one is refused.
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'TRANSPORT_UPGRADE_ERROR', sid } }, socket);
      return;
    }
    // The id is chosen before the handshake so the cookie can go out with the 101 response.
    const id = sid === null ? await this.newId(req, socket) : undefined;
    if ((sid === null && id === undefined) || socket.destroyed) return;
    socket.off('error', onEarlyError);
    if (id !== undefined) this.pendingIds.set(req, id);
    this.webSocketServer().handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.pendingIds.delete(req);
      this.settleUpgradeResponse(req);
      if (id !== undefined) {
        if (this.clients.has(id)) {
          ws.on('error', () => {});
          ws.close();
          return;
        }
        const engineSocket = this.register(id, req, new WebSocketTransport(ws));
        this.emit('connection', engineSocket);
        return;
      }
      const target = this.clients.get(sid!);
      if (!target?.canUpgrade) {
        ws.on('error', () => {});
        ws.close();
        return;
      }
      target.upgradeTo(new WebSocketTransport(ws));
    });
  }

  /**
   * Answers the upgrade of a session another node holds: once the holder took the stream the
   * relay opened, the client's WebSocket is joined to it; the holder's refusal (or "Session ID
   * unknown") is answered as a local one.
   */
  private async relayUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    sid: string,
    onEarlyError: () => void,
  ): Promise<void> {
    const relayed = await this.bridge!.open(sid, socket);
    if (!(relayed instanceof WebSocketRelay)) {
      this.fail(req, relayed, socket);
      return;
    }
    if (socket.destroyed) return; // the relay was abandoned with the socket
    socket.off('error', onEarlyError);
    this.webSocketServer().handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.settleUpgradeResponse(req);
      relayed.connect(ws);
    });
  }

  /** The handshake completed: the middlewares' stand-in response is done with. */
  private settleUpgradeResponse(req: IncomingMessage): void {
    this.upgradeResponses.get(req)?.settle();
    this.upgradeResponses.delete(req);
  }

  /** Asks {@link generateId} for a fresh id; refuses the handshake and returns `undefined` if it fails. */
  private async newId(req: IncomingMessage, target: ServerResponse | Duplex): Promise<string | undefined> {
    let id: unknown;
    try {
      id = await this.generateId(req);
    } catch (error) {
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'ID_GENERATION_ERROR', error } }, target);
      return undefined;
    }
    if (typeof id !== 'string' || id.length === 0 || this.clients.has(id)) {
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'ID_GENERATION_ERROR', id } }, target);
      return undefined;
    }
    const prefix = this.bridge?.idPrefix;
    if (prefix !== undefined && !id.startsWith(prefix)) {
      // Other nodes could not tell which node holds the session: every request they got would fail.
      const error = new Error(
        `with sessionRelay, generateId must start session ids with "${prefix}" (its nodeId and a dot)`,
      );
      if (!this.relayIdWarned) process.emitWarning(error);
      this.relayIdWarned = true;
      this.fail(req, { code: EngineErrorCode.BadRequest, context: { name: 'ID_GENERATION_ERROR', id, error } }, target);
      return undefined;
    }
    return id;
  }

  /**
   * Headers for an answer: the session cookie and whatever `'initial_headers'` (handshakes, where
   * `id` is the new session's) and `'headers'` listeners add.
   */
  private responseHeaders(req: IncomingMessage, id: string | undefined, headers: EngineHeaders = {}): EngineHeaders {
    if (id !== undefined) {
      if (this.options.cookie !== undefined) headers['Set-Cookie'] = serializeCookie(this.options.cookie, id);
      this.emit('initial_headers', headers, req);
    }
    this.emit('headers', headers, req);
    return headers;
  }

  private register(id: string, req: IncomingMessage, transport: Transport): EngineSocket {
    const request = this.keepRequests ? req : (new HandshakeRequest(req) as unknown as IncomingMessage);
    const socket = new EngineSocket(id, request, transport, this.settings);
    this.clients.set(id, socket);
    debug('session %s opened over %s from %s', id, transport.name, req.socket.remoteAddress);
    return socket;
  }

  /** Checks a request the way every Engine.IO server does, in the same order; `undefined` means go on. */
  private async verify(
    req: IncomingMessage,
    query: URLSearchParams | undefined,
    upgrade: boolean,
  ): Promise<Refusal | undefined> {
    if (query === undefined) return { code: EngineErrorCode.BadRequest, context: { name: 'INVALID_URL' } };
    const transport = query.get('transport');
    if (transport === null || !(this.options.transports as readonly string[]).includes(transport)) {
      return { code: EngineErrorCode.UnknownTransport, context: { transport } };
    }
    if (upgrade && transport !== TransportName.WebSocket) {
      return { code: EngineErrorCode.BadRequest, context: { name: 'TRANSPORT_HANDSHAKE_ERROR', transport } };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && INVALID_HEADER_CHAR.test(origin)) {
      return { code: EngineErrorCode.BadRequest, context: { name: 'INVALID_ORIGIN', origin } };
    }
    const protocol = query.get('EIO');
    const sid = query.get('sid');
    if (sid !== null) {
      const session = this.clients.get(sid);
      if (session === undefined) {
        // Another node's session: the relay carries it there (its holder checks the transport).
        if (!this.bridge?.relays(sid, transport, req.method, upgrade)) {
          return { code: EngineErrorCode.UnknownSid, context: { sid } };
        }
      } else if (!upgrade && session.transportName !== transport) {
        return {
          code: EngineErrorCode.BadRequest,
          context: { name: 'TRANSPORT_MISMATCH', transport, previousTransport: session.transportName },
        };
      }
      if (protocol !== String(ENGINE_IO_PROTOCOL)) {
        return { code: EngineErrorCode.BadRequest, context: { name: 'PROTOCOL_MISMATCH', protocol } };
      }
      return undefined;
    }
    if (req.method !== 'GET') return { code: EngineErrorCode.BadHandshakeMethod, context: { method: req.method } };
    if (transport === TransportName.WebSocket && !upgrade) {
      return { code: EngineErrorCode.BadRequest, context: { name: 'TRANSPORT_HANDSHAKE_ERROR' } };
    }
    if (this.options.allowRequest !== undefined) {
      exposeQuery(req, query);
      const refusal = await askAllowRequest(this.options.allowRequest, req, (error) => {
        if (!this.allowRequestMisuseWarned) process.emitWarning(error);
        this.allowRequestMisuseWarned = true;
      });
      if (refusal !== undefined) return refusal;
    }
    if (protocol !== String(ENGINE_IO_PROTOCOL)) {
      return { code: EngineErrorCode.UnsupportedProtocolVersion, context: { protocol } };
    }
    return undefined;
  }

  /** Reports a refusal as `'connection_error'` and answers it: JSON over HTTP, or on the raw upgrade socket. */
  private fail(req: IncomingMessage, refusal: Refusal, target: ServerResponse | Duplex): void {
    this.emit('connection_error', {
      req,
      code: refusal.code,
      message: ENGINE_ERROR_MESSAGES[refusal.code],
      context: refusal.context,
    });
    const status = engineErrorStatus(refusal.code);
    if (debug.enabled) {
      debug(
        'refused %s %s with %d: %s %o',
        req.method,
        req.url,
        status,
        refusal.message ?? ENGINE_ERROR_MESSAGES[refusal.code],
        refusal.context ?? {},
      );
    }
    if ('writeHead' in target) {
      respondError(target, status, refusal.code, refusal.message);
      return;
    }
    if (!target.writable || target.destroyed) {
      target.destroy();
      return;
    }
    const body = engineErrorBody(refusal.code, refusal.message);
    target.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    target.once('finish', () => target.destroy());
  }

  private webSocketServer(): WebSocketServer {
    if (this.wss !== undefined) return this.wss;
    const options: WebSocketServerOptions = {
      noServer: true,
      maxPayload: this.options.maxHttpBufferSize,
      // Engine.IO keeps its own heartbeat with ping packets.
      heartbeatInterval: 0,
      perMessageDeflate: this.options.perMessageDeflate,
      ...this.options.connectionLimits,
    };
    const wss = new WebSocketServer(options);
    wss.on('headers', (lines: string[], req: IncomingMessage) => {
      const extra = this.responseHeaders(req, this.pendingIds.get(req), this.upgradeResponses.get(req)?.headers);
      for (const [name, value] of Object.entries(extra)) {
        // One line per value: Set-Cookie must never be folded (RFC 6265 §3).
        for (const line of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${line}`);
      }
    });
    this.wss = wss;
    return wss;
  }
}

/**
 * Puts the parsed query on `req._query`, as the reference server does before its middlewares and
 * `allowRequest` run: the official recipes read it there (`req._query.sid === undefined` tells a
 * handshake from the requests of an open session).
 */
function exposeQuery(req: IncomingMessage, query: URLSearchParams | undefined): void {
  const withQuery = req as IncomingMessage & { _query?: Record<string, string> };
  if (withQuery._query === undefined && query !== undefined) withQuery._query = Object.fromEntries(query);
}
