import type { IncomingMessage } from 'node:http';
import type { SendBudget, WebSocketServerOptions } from '../ws/index.js';
import { resolveConnectionSettings } from '../ws/options.js';
import { checkCorsOption, type CorsOptions, type CorsOptionsDelegate } from './cors.js';
import { checkSessionRelay, type SessionRelay } from './session-relay.js';
import type { AttachOptions } from './server.js';

/** The transports an Engine.IO server can offer, by their wire names. */
export const TransportName = {
  Polling: 'polling',
  WebSocket: 'websocket',
} as const;

/** One of the transport names. */
export type TransportName = (typeof TransportName)[keyof typeof TransportName];

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
  /** `true` is `'strict'`, `false` sends no `SameSite`, as the `cookie` package does. @default 'lax' */
  sameSite?: boolean | 'strict' | 'lax' | 'none';
  /** @default false */
  secure?: boolean;
  /** Lifetime in seconds. @default a session cookie */
  maxAge?: number;
  /** Expiry date (`Max-Age` wins where both are sent). @default a session cookie */
  expires?: Date;
  /** `Partitioned` (CHIPS): a third-party cookie kept per top-level site. @default false */
  partitioned?: boolean;
  /** `Priority`, which Chromium uses to choose cookies to evict. @default not sent */
  priority?: 'low' | 'medium' | 'high';
}

/**
 * Decides whether a handshake (a request without `sid`, over polling or WebSocket) may open a
 * session, as Engine.IO's `allowRequest` does: call `callback(err, success)`, at once or later.
 * `success` falsy refuses it with 403 Forbidden, `err` (when given) becoming the error body's
 * `message`. A hook that throws, or returns a promise that rejects, refuses it the same way, with
 * the error's message; one that returns a value without calling its callback refuses it too
 * (that was never an answer: see the `'connection_error'` event's `context.error`).
 *
 * @example
 * allowRequest: (req, callback) => {
 *   callback(null, req.headers.origin === 'https://app.example');
 * }
 */
export type AllowRequest = (
  req: IncomingMessage,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void;

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
  httpCompression?: boolean | HttpCompressionOptions;
  /** Hook that can refuse handshakes (403), as Engine.IO's. @default every handshake is allowed */
  allowRequest?: AllowRequest;
  /**
   * CORS for the engine's HTTP requests, preflights included, with the options (or the options
   * delegate `(req, callback)`) of the `cors` package; `true` allows every origin. It runs before
   * the `engine.use()` middlewares, as the reference server's does.
   * @default off (no CORS headers)
   */
  cors?: boolean | CorsOptions | CorsOptionsDelegate;
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
  /**
   * Serve polling clients whose requests land on any node of a cluster, without sticky sessions:
   * a poll or POST for a session another node holds is carried to that node by the relay and
   * answered from there (`createSessionRelay()` of `switchboard/redis` is one); with a relay that
   * implements `open`, so is the WebSocket of an upgrade that lands on another node (that node
   * answers the handshake and relays each message). Session ids then start with the relay's
   * `nodeId` and a dot; a replaced `generateId` must keep that prefix. Needs the polling transport.
   * @default none: a request for a session this node does not hold is answered "Session ID unknown"
   *
   * @example
   * import { createSessionRelay } from 'switchboard/redis';
   * const io = new Server(httpServer, { adapter: createAdapter(pub, sub), sessionRelay: createSessionRelay(pub, sub) });
   */
  sessionRelay?: SessionRelay;
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
  readonly cors: CorsOptions | CorsOptionsDelegate | undefined;
  readonly cookie:
    (Required<Pick<CookieOptions, 'name' | 'path' | 'httpOnly' | 'sameSite'>> & CookieOptions) | undefined;
  readonly perMessageDeflate: NonNullable<WebSocketServerOptions['perMessageDeflate']>;
  readonly connectionLimits: Readonly<Required<ConnectionLimits>>;
  /** The defaults of {@link AttachOptions.destroyUpgrade} and `destroyUpgradeTimeout`, when given here. */
  readonly destroyUpgrade: boolean;
  readonly destroyUpgradeTimeout: number;
  readonly sessionRelay: SessionRelay | undefined;
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

function resolveCompression(
  option: boolean | HttpCompressionOptions | undefined,
): Required<HttpCompressionOptions> | undefined {
  if (option === false) return undefined;
  if (option === true) return { threshold: 1024, level: 6 };
  for (const name of Object.keys(option ?? {})) {
    if (name !== 'threshold' && name !== 'level') {
      throw new TypeError(`httpCompression.${name}: not supported; only threshold and level can be set`);
    }
  }
  const level = option?.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new TypeError(`httpCompression.level must be 0–9, got ${level}`);
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
  const { highWaterMark, maxBufferedAmount, sendBudget, maxFragments, maxUnansweredPings } =
    resolveConnectionSettings(limits);
  return { highWaterMark, maxBufferedAmount, sendBudget, maxFragments, maxUnansweredPings };
}

/**
 * Every option name the engine takes: its own, and those of `attach()`, which the Socket.IO
 * server passes along with the others (as the reference `attach(server, options)` does).
 */
const ENGINE_OPTION_NAMES: Readonly<Record<keyof EngineServerOptions | keyof AttachOptions, true>> = Object.freeze({
  path: true,
  pingInterval: true,
  pingTimeout: true,
  upgradeTimeout: true,
  maxHttpBufferSize: true,
  transports: true,
  allowUpgrades: true,
  httpCompression: true,
  allowRequest: true,
  cors: true,
  cookie: true,
  perMessageDeflate: true,
  connectionLimits: true,
  allowEIO3: true,
  sessionRelay: true,
  destroyUpgrade: true,
  destroyUpgradeTimeout: true,
  addTrailingSlash: true,
});

/** Options of the reference servers that are not supported, and what to do instead. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  wsEngine:
    'the WebSocket transport runs on our own WebSocket server and cannot be swapped; remove the option (perMessageDeflate and connectionLimits tune it)',
  initialPacket:
    "not supported; send a first message from the engine's (or the Socket.IO server's) connection listener instead",
  parser:
    'custom Socket.IO parsers (such as socket.io-msgpack-parser) are not supported; remove the option to use the default parser',
});

/** {@link ENGINE_OPTION_NAMES} as a set. */
export const ENGINE_OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(ENGINE_OPTION_NAMES));

const COOKIE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'name',
  'path',
  'domain',
  'httpOnly',
  'sameSite',
  'secure',
  'maxAge',
  'expires',
  'partitioned',
  'priority',
]);

/**
 * Throws a `TypeError` for an option name the engine does not know: one the reference servers
 * have that is not supported (saying what to use instead), or a misspelt one.
 */
export function checkOptionNames(options: object, known: ReadonlySet<string>, where: string): void {
  for (const name of Object.keys(options)) {
    if (known.has(name)) continue;
    const refusal = REFUSED_OPTIONS[name];
    if (refusal !== undefined) throw new TypeError(`${name}: ${refusal}`);
    throw new TypeError(`${name}: unknown ${where} option (check its spelling); known: ${[...known].join(', ')}`);
  }
}

function resolveCookie(option: boolean | CookieOptions | undefined): ResolvedEngineOptions['cookie'] {
  if (option === undefined || option === false) return undefined;
  const cookie = option === true ? {} : option;
  for (const name of Object.keys(cookie)) {
    if (!COOKIE_OPTION_NAMES.has(name)) {
      const hint = name === 'encode' ? ' (session ids need no encoding)' : '';
      throw new TypeError(`cookie.${name}: not supported${hint}; known: ${[...COOKIE_OPTION_NAMES].join(', ')}`);
    }
  }
  return { name: 'io', path: '/', httpOnly: true, sameSite: 'lax', ...cookie };
}

/** The `cors` option as the engine applies it: `true` is the `cors` package's defaults (any origin). */
function resolveCors(option: EngineServerOptions['cors']): ResolvedEngineOptions['cors'] {
  if (option === undefined || option === false) return undefined;
  checkCorsOption(option);
  return option === true ? {} : option;
}

/** Merges defaults into `options` and rejects contradictory or impossible values, once. */
export function resolveEngineOptions(
  options: EngineServerOptions & Omit<AttachOptions, 'path'> = {},
): ResolvedEngineOptions {
  checkOptionNames(options, ENGINE_OPTION_KEYS, 'Engine.IO');
  if ((options.allowEIO3 as boolean | undefined) === true) {
    throw new TypeError('allowEIO3: Engine.IO protocol v3 is not supported; only v4 clients can connect');
  }
  const transports = options.transports ?? ENGINE_DEFAULTS.transports;
  if (transports.length === 0) throw new TypeError('transports must name at least one transport');
  for (const name of transports) {
    if ((name as string) === 'webtransport') {
      throw new TypeError('transports: WebTransport is not supported; use polling and websocket');
    }
    if (name !== TransportName.Polling && name !== TransportName.WebSocket) {
      throw new TypeError(`transports: unknown transport ${JSON.stringify(name)}`);
    }
  }
  if (options.allowRequest !== undefined && typeof options.allowRequest !== 'function') {
    throw new TypeError('allowRequest must be a function (req, callback)');
  }
  const sessionRelay = checkSessionRelay(options.sessionRelay);
  if (sessionRelay !== undefined && !transports.includes(TransportName.Polling)) {
    throw new TypeError(
      'sessionRelay: it relays polling requests, and transports leaves polling out (a WebSocket needs no relay); remove sessionRelay or add polling',
    );
  }
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
    cors: resolveCors(options.cors),
    cookie: resolveCookie(options.cookie),
    perMessageDeflate: options.perMessageDeflate ?? false,
    connectionLimits: resolveConnectionLimits(options.connectionLimits),
    // Taken here too, as the reference `attach(server, options)` hands one options object to both.
    destroyUpgrade: options.destroyUpgrade ?? true,
    destroyUpgradeTimeout: nonNegativeDelay('destroyUpgradeTimeout', options.destroyUpgradeTimeout ?? 1000),
    sessionRelay,
  };
}
