import type { IncomingMessage } from 'node:http';
import type { ConnectionSettings, WebSocketServerOptions } from '../ws/index.js';
import { resolveConnectionSettings, type ResolvedConnectionSettings } from '../ws/options.js';

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
   * Limits of the WebSocket connections, passed to the WebSocket server as is (`maxHttpBufferSize`
   * is their `maxPayload`). What a client that reads too slowly may make the server hold:
   * `highWaterMark` (16 MiB), past which the client counts as slow and what it holds is charged to
   * `sendBudget` (the process-wide `defaultSendBudget` of `switchboard/ws`, 512 MiB), and
   * `maxBufferedAmount` (4 × highWaterMark). A send that would pass `maxBufferedAmount` or the
   * budget closes the client's WebSocket with 1013 and its session with "transport error". Polling
   * clients are not concerned: their packets wait in the session for the next poll. And
   * `maxFragments` (16384): the most frames one message may span; past it the WebSocket is closed
   * with 1008.
   * @default {} (the WebSocket server's defaults)
   */
  webSocketLimits?: Pick<ConnectionSettings, 'highWaterMark' | 'maxBufferedAmount' | 'sendBudget' | 'maxFragments'>;
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
  readonly webSocketLimits: Pick<ResolvedConnectionSettings, 'highWaterMark' | 'maxBufferedAmount' | 'sendBudget' | 'maxFragments'>;
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

/** Checks the WebSocket limits now, though the WebSocket server is only created with the first upgrade. */
function resolveWebSocketLimits(limits: EngineServerOptions['webSocketLimits']): ResolvedEngineOptions['webSocketLimits'] {
  const { highWaterMark, maxBufferedAmount, sendBudget, maxFragments } = resolveConnectionSettings(limits);
  return { highWaterMark, maxBufferedAmount, sendBudget, maxFragments };
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
    webSocketLimits: resolveWebSocketLimits(options.webSocketLimits),
  };
}
