import type { IncomingMessage } from 'node:http';
import type { SendBudget, WebSocketServerOptions } from '../ws/index.js';
import { resolveConnectionSettings } from '../ws/options.js';

/** The transports an Engine.IO server can offer, by their wire names. */
export const TransportName = {
  Polling: 'polling',
  WebSocket: 'websocket',
} as const;

/** One of the transport names. */
export type TransportName = (typeof TransportName)[keyof typeof TransportName];

/**
 * Decides whether a cross-origin request may read the response: `true` reflects the request's
 * origin, `false` sends no `Access-Control-Allow-Origin`, a string is sent as is.
 */
export type CorsOriginFunction = (
  origin: string | undefined,
  req: IncomingMessage,
) => boolean | string | Promise<boolean | string>;

/** CORS for the HTTP long-polling requests (browsers apply no CORS to WebSocket upgrades). */
export interface CorsOptions {
  /**
   * Which origins may read responses: `'*'` any, a string that one origin, a RegExp or a list
   * (strings and RegExps) those that match (the matching origin is reflected), `true` any (the
   * request's origin is reflected, which, unlike `'*'`, works with credentials), or a function.
   * @default '*'
   */
  origin?: boolean | string | RegExp | readonly (string | RegExp)[] | CorsOriginFunction;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). @default false */
  credentials?: boolean;
  /** Methods allowed by a preflight. @default ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'] */
  methods?: readonly string[];
  /** Request headers allowed by a preflight. @default the ones the preflight asks for */
  allowedHeaders?: readonly string[];
  /** Response headers the page may read. @default none */
  exposedHeaders?: readonly string[];
  /** How long (seconds) a browser may cache a preflight answer. @default not sent */
  maxAge?: number;
}

/** Compression of polling responses. */
export interface HttpCompressionOptions {
  /** Smallest response body, in bytes, worth compressing. @default 1024 */
  threshold?: number;
  /** zlib compression level, 0–9. @default 6 (zlib's default) */
  level?: number;
}

/** The session cookie set on the handshake response (for sticky load balancing). */
export interface CookieOptions {
  /** @default 'io' */
  name?: string;
  /** @default '/' */
  path?: string;
  /** @default not sent */
  domain?: string;
  /** @default true */
  httpOnly?: boolean;
  /** @default 'lax' */
  sameSite?: 'strict' | 'lax' | 'none';
  /** @default false */
  secure?: boolean;
  /** Lifetime in seconds. @default a session cookie */
  maxAge?: number;
}

/**
 * Decides whether a handshake (a request without `sid`) may open a session. Resolve `false`, or
 * reject, to answer 403 Forbidden; a rejection's message becomes the error body's `message`.
 */
export type AllowRequest = (req: IncomingMessage) => boolean | void | Promise<boolean | void>;

/**
 * Bytes of packet data a session may hold for its client (over polling, until the next poll;
 * during an upgrade, until the new transport takes over) before the client counts as slow and all
 * it holds is charged to `connectionLimits.sendBudget`: 16 KiB, as a WebSocket is allowed its
 * socket's own buffer (Node's default `writableHighWaterMark`). A client that polls in time stays
 * under it and costs the budget nothing.
 */
export const SESSION_ALLOWANCE = 16 * 1024;

/**
 * What one client that reads too slowly may make the server hold, the same on both transports.
 * Over WebSocket, what counts is the bytes its WebSocket has not written yet; over HTTP
 * long-polling, the data of the packets waiting in its session for the next poll (and, during an
 * upgrade, for the new transport): text by its UTF-8 length, binary by its length. A client that
 * holds more than a small allowance (its WebSocket's socket buffer, 16 KiB by default; for a
 * session, {@link SESSION_ALLOWANCE}) is slow: all it holds is charged to `sendBudget`. A slow
 * client whose send would pass `maxBufferedAmount`, or the client holding the most when a send's
 * charge would pass `sendBudget` (over either transport), has its session closed with "transport
 * error" (over WebSocket, its WebSocket is closed with 1013 first).
 *
 * @example
 * import { SendBudget } from 'switchboard/ws';
 * const engine = new EngineServer({
 *   connectionLimits: { highWaterMark: 1024 * 1024, maxBufferedAmount: 4 * 1024 * 1024, sendBudget: new SendBudget(64 * 1024 * 1024) },
 * });
 */
export interface ConnectionLimits {
  /**
   * The base of `maxBufferedAmount`'s default (4 ×). The engine's WebSockets use the `wait`
   * backpressure policy, under which this mark refuses nothing by itself.
   * @default 16777216 (16 MiB)
   */
  highWaterMark?: number;
  /**
   * Both transports: most bytes held for one client, at least `highWaterMark`. It applies to what
   * is already held: a send to a slow client that would take it past the ceiling closes its
   * session with "transport error", while a client that keeps up can always take one message.
   * @default 4 × highWaterMark (67108864, 64 MiB, with the default highWaterMark)
   */
  maxBufferedAmount?: number;
  /**
   * Both transports: the process-wide budget of bytes held for slow clients (a `SendBudget` of
   * `switchboard/ws`), shared by WebSocket and polling clients alike; when a send would pass it,
   * the client holding the most has its session closed with "transport error".
   * @default defaultSendBudget (512 MiB, shared by every connection that is given none)
   */
  sendBudget?: SendBudget;
  /**
   * WebSocket only: most frames one message from the client may span; past it the WebSocket is
   * closed with 1008. A positive integer, or `Infinity` for no limit.
   * @default 16384
   */
  maxFragments?: number;
  /**
   * WebSocket only: most WebSocket pings in a row left unanswered while the pong for an earlier
   * one waits for the client to read; past it the WebSocket is closed with 1008
   * (`ERR_PING_FLOOD`). An integer ≥ 0, or `Infinity` for no limit. (Engine.IO's own heartbeat
   * uses ping packets, which this does not count.)
   * @default 60
   */
  maxUnansweredPings?: number;
}

/** Options of {@link EngineServer}. */
export interface EngineServerOptions {
  /**
   * The request path the server answers on (a trailing slash is added when missing).
   * @default '/engine.io/'
   */
  path?: string;
  /** Milliseconds between two server pings. @default 25000 */
  pingInterval?: number;
  /** Milliseconds the client has to answer a ping before the session closes with "ping timeout". @default 20000 */
  pingTimeout?: number;
  /** Milliseconds an upgrade to WebSocket may take before it is abandoned. @default 10000 */
  upgradeTimeout?: number;
  /**
   * Largest polling request body and largest WebSocket message, in bytes; announced to clients as
   * `maxPayload`. A larger POST is answered 413 and closes the session.
   * @default 1000000
   */
  maxHttpBufferSize?: number;
  /** Transports accepted, in order of preference. @default ['polling', 'websocket'] */
  transports?: readonly TransportName[];
  /** Let polling sessions upgrade to WebSocket. @default true */
  allowUpgrades?: boolean;
  /**
   * Compress polling responses (gzip or deflate, as the client's `Accept-Encoding` allows) of at
   * least `threshold` bytes; `false` turns it off. Messages sent with `compress: false` are never
   * compressed.
   * @default { threshold: 1024 }
   */
  httpCompression?: false | HttpCompressionOptions;
  /** Hook that can refuse handshakes (403). @default every handshake is allowed */
  allowRequest?: AllowRequest;
  /** CORS for polling requests, preflights included. @default off (no CORS headers) */
  cors?: CorsOptions;
  /** Set a cookie holding the session id on the handshake response; `true` uses the defaults. @default false */
  cookie?: boolean | CookieOptions;
  /**
   * permessage-deflate (RFC 7692) for the WebSocket transport, passed to the WebSocket server as is
   * (`true` for its defaults, or its options object).
   * @default false
   */
  perMessageDeflate?: WebSocketServerOptions['perMessageDeflate'];
  /**
   * What one client that reads too slowly may make the server hold, over either transport (see
   * {@link ConnectionLimits}); `maxFragments` applies to WebSocket only. Passed to the WebSocket
   * server as is (`maxHttpBufferSize` is its `maxPayload`).
   * @default {} (16 MiB `highWaterMark`, 4 × highWaterMark `maxBufferedAmount`, `defaultSendBudget`, 16384 `maxFragments`, 60 `maxUnansweredPings`)
   */
  connectionLimits?: ConnectionLimits;
  /**
   * Accept Engine.IO protocol v3 clients. Only `false` is supported: every request with an `EIO`
   * other than 4 is answered "Unsupported protocol version".
   * @default false
   */
  allowEIO3?: false;
}

/** {@link EngineServerOptions} with defaults merged and values checked. */
export interface ResolvedEngineOptions {
  readonly path: string;
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly upgradeTimeout: number;
  readonly maxHttpBufferSize: number;
  readonly transports: readonly TransportName[];
  readonly allowUpgrades: boolean;
  readonly httpCompression: Required<HttpCompressionOptions> | undefined;
  readonly allowRequest: AllowRequest | undefined;
  readonly cors: CorsOptions | undefined;
  readonly cookie: Required<Pick<CookieOptions, 'name' | 'path' | 'httpOnly' | 'sameSite'>> & CookieOptions | undefined;
  readonly perMessageDeflate: NonNullable<WebSocketServerOptions['perMessageDeflate']>;
  readonly connectionLimits: Readonly<Required<ConnectionLimits>>;
}

/** Default values of {@link EngineServerOptions}. */
export const ENGINE_DEFAULTS = {
  path: '/engine.io/',
  pingInterval: 25_000,
  pingTimeout: 20_000,
  upgradeTimeout: 10_000,
  maxHttpBufferSize: 1e6,
  transports: ['polling', 'websocket'],
  allowUpgrades: true,
} as const;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}

/** A delay in milliseconds that may be 0. */
export function nonNegativeDelay(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}

/** Normalises a path to start and end with a slash. */
export function normalizePath(path: string): string {
  let normalized = path.startsWith('/') ? path : '/' + path;
  if (!normalized.endsWith('/')) normalized += '/';
  return normalized;
}

function resolveCompression(option: false | HttpCompressionOptions | undefined): Required<HttpCompressionOptions> | undefined {
  if (option === false) return undefined;
  const level = option?.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new TypeError(`httpCompression.level must be 0–9, got ${level}`);
  const threshold = option?.threshold ?? 1024;
  if (!(threshold >= 0)) throw new TypeError(`httpCompression.threshold must be ≥ 0, got ${threshold}`);
  return { threshold, level };
}

/**
 * Fills in and checks the connection limits with the WebSocket server's own rules, now: sessions
 * over polling apply them from the first packet, though the WebSocket server is only created with
 * the first upgrade.
 */
function resolveConnectionLimits(limits: ConnectionLimits | undefined): ResolvedEngineOptions['connectionLimits'] {
  const { highWaterMark, maxBufferedAmount, sendBudget, maxFragments, maxUnansweredPings } = resolveConnectionSettings(limits);
  return { highWaterMark, maxBufferedAmount, sendBudget, maxFragments, maxUnansweredPings };
}

/** Merges defaults into `options` and rejects contradictory or impossible values, once. */
export function resolveEngineOptions(options: EngineServerOptions = {}): ResolvedEngineOptions {
  if ((options.allowEIO3 as boolean | undefined) === true) {
    throw new TypeError('allowEIO3: Engine.IO protocol v3 is not supported; only v4 clients can connect');
  }
  const transports = options.transports ?? ENGINE_DEFAULTS.transports;
  if (transports.length === 0) throw new TypeError('transports must name at least one transport');
  for (const name of transports) {
    if (name !== TransportName.Polling && name !== TransportName.WebSocket) {
      throw new TypeError(`transports: unknown transport ${JSON.stringify(name)}`);
    }
  }
  const cookie =
    options.cookie === true ? {} : options.cookie === false || options.cookie === undefined ? undefined : options.cookie;
  return {
    path: normalizePath(options.path ?? ENGINE_DEFAULTS.path),
    pingInterval: positive('pingInterval', options.pingInterval ?? ENGINE_DEFAULTS.pingInterval),
    pingTimeout: positive('pingTimeout', options.pingTimeout ?? ENGINE_DEFAULTS.pingTimeout),
    upgradeTimeout: positive('upgradeTimeout', options.upgradeTimeout ?? ENGINE_DEFAULTS.upgradeTimeout),
    maxHttpBufferSize: positive('maxHttpBufferSize', options.maxHttpBufferSize ?? ENGINE_DEFAULTS.maxHttpBufferSize),
    transports: [...new Set(transports)],
    allowUpgrades: options.allowUpgrades ?? ENGINE_DEFAULTS.allowUpgrades,
    httpCompression: resolveCompression(options.httpCompression),
    allowRequest: options.allowRequest,
    cors: options.cors,
    cookie: cookie && { name: 'io', path: '/', httpOnly: true, sameSite: 'lax', ...cookie },
    perMessageDeflate: options.perMessageDeflate ?? false,
    connectionLimits: resolveConnectionLimits(options.connectionLimits),
  };
}
