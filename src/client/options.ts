import type { ClientPlatform, TransportName } from './engine/types.js';

/**
 * Bounds of what a socket keeps while it cannot send: packets emitted while disconnected
 * (`sendBuffer`) and, with `retries`, the emits waiting for their turn. Past either bound the
 * oldest packets without an acknowledgement callback are dropped (counted in
 * `socket.droppedPackets`); an emit with a callback that cannot be kept is answered at once with
 * an `Error('offline buffer full …')` (`emitWithAck` rejects with it). Nothing grows without limit.
 */
export interface OfflineBufferOptions {
  /**
   * Most packets kept.
   * @default 1000
   */
  maxPackets?: number;
  /**
   * Most bytes kept, counted as the packets' encoded size (JSON text as UTF-8, plus binary data).
   * @default 1048576
   */
  maxBytes?: number;
}

/** What the client sends in the CONNECT packet: an object, or a function that hands one over. */
export type AuthOption = Record<string, unknown> | ((callback: (data: object) => void) => void);

/** Options of one namespace's socket. */
export interface SocketOptions {
  /** Sent in the CONNECT packet; a function is called before each connection, to fetch a fresh token. */
  auth: AuthOption;
  /**
   * How many times an emit is sent again when its acknowledgement does not come within
   * `ackTimeout`. With retries every emit goes through a queue: one in flight at a time, in order,
   * delivered at least once.
   * @default 0
   */
  retries: number;
  /** Milliseconds to wait for each acknowledgement (also the default of `socket.timeout()`). */
  ackTimeout: number;
  /** Bounds of what the socket keeps while it cannot send; see {@link OfflineBufferOptions}. */
  offlineBuffer: OfflineBufferOptions;
}

/** Options of a {@link Manager} (one connection, shared by the namespaces of a server). */
export interface ManagerOptions {
  /**
   * Always make a new connection instead of sharing a cached one (`io()` only).
   * @default false
   */
  forceNew: boolean;
  /**
   * Share one connection between the namespaces of a server (`io()` only).
   * @default true
   */
  multiplex: boolean;
  /**
   * The server's Engine.IO path.
   * @default '/socket.io'
   */
  path: string;
  /**
   * Reconnect after the connection is lost (not after the server's own disconnect).
   * @default true
   */
  reconnection: boolean;
  /**
   * Attempts before `reconnect_failed`.
   * @default Infinity
   */
  reconnectionAttempts: number;
  /**
   * Base of the exponential backoff, in milliseconds.
   * @default 1000
   */
  reconnectionDelay: number;
  /**
   * Cap of the backoff, in milliseconds.
   * @default 5000
   */
  reconnectionDelayMax: number;
  /**
   * When given, the delay is socket.io-client's: `reconnectionDelay·2ⁿ`, moved up or down by at
   * most this fraction, capped at `reconnectionDelayMax`. When not given, full jitter: a delay
   * drawn uniformly in `[0, min(reconnectionDelayMax, reconnectionDelay·2ⁿ)]`, which spreads the
   * clients of a restarted server best.
   * @default full jitter
   */
  randomizationFactor: number;
  /**
   * Milliseconds the connection may take to open before `connect_error`; `false` for no limit.
   * @default 20000
   */
  timeout: number | false;
  /**
   * Connect as soon as the manager or socket is created.
   * @default true
   */
  autoConnect: boolean;
  /** Query parameters sent with every request (the URL's own are added). */
  query: Record<string, string | number | boolean> | string;
  /**
   * Transports in order of preference.
   * @default ['websocket', 'polling']
   */
  transports: TransportName[];
  /**
   * Upgrade from long-polling to WebSocket when the server offers it.
   * @default true
   */
  upgrade: boolean;
  /**
   * Start with WebSocket when the last upgrade to it succeeded.
   * @default false
   */
  rememberUpgrade: boolean;
  /**
   * When the first transport fails, try the next ones.
   * @default false
   */
  tryAllTransports: boolean;
  /**
   * Send cookies to a cross-origin server (`fetch` credentials `include`).
   * @default false
   */
  withCredentials: boolean;
  /** Headers sent with every request. Node only: a page's WebSocket cannot send headers. */
  extraHeaders: Record<string, string>;
  /**
   * Close the connection when the page unloads, so the server sees it at once.
   * @default false
   */
  closeOnBeforeunload: boolean;
  /**
   * Add a timestamp to each long-polling request (cache busting).
   * @default true
   */
  timestampRequests: boolean;
  /**
   * Name of that query parameter.
   * @default 't'
   */
  timestampParam: string;
  /** Default {@link SocketOptions.offlineBuffer} of the manager's sockets. */
  offlineBuffer: OfflineBufferOptions;
}

/** {@link ManagerOptions} with defaults in place and every value checked. */
export interface ResolvedManagerOptions {
  readonly path: string;
  readonly reconnection: boolean;
  readonly reconnectionAttempts: number;
  readonly reconnectionDelay: number;
  readonly reconnectionDelayMax: number;
  readonly randomizationFactor: number | undefined;
  readonly timeout: number | false;
  readonly autoConnect: boolean;
  readonly query: Readonly<Record<string, string>>;
  readonly transports: readonly TransportName[];
  readonly upgrade: boolean;
  readonly rememberUpgrade: boolean;
  readonly tryAllTransports: boolean;
  readonly withCredentials: boolean;
  readonly extraHeaders: Readonly<Record<string, string>>;
  readonly closeOnBeforeunload: boolean;
  readonly timestampRequests: boolean;
  readonly timestampParam: string;
  readonly offlineBuffer: Readonly<Required<OfflineBufferOptions>>;
}

/** Default of {@link OfflineBufferOptions.maxPackets}. */
export const DEFAULT_OFFLINE_MAX_PACKETS = 1000;
/** Default of {@link OfflineBufferOptions.maxBytes}. */
export const DEFAULT_OFFLINE_MAX_BYTES = 1024 * 1024;

const SOCKET_KEYS: ReadonlySet<string> = new Set(['auth', 'retries', 'ackTimeout', 'offlineBuffer']);
const MANAGER_KEYS: ReadonlySet<string> = new Set([
  'forceNew',
  'multiplex',
  'path',
  'reconnection',
  'reconnectionAttempts',
  'reconnectionDelay',
  'reconnectionDelayMax',
  'randomizationFactor',
  'timeout',
  'autoConnect',
  'query',
  'transports',
  'upgrade',
  'rememberUpgrade',
  'tryAllTransports',
  'withCredentials',
  'extraHeaders',
  'closeOnBeforeunload',
  'timestampRequests',
  'timestampParam',
  'offlineBuffer',
]);

/** What to say about options of socket.io-client (or engine.io-client) that this client does not take. */
const REFUSED_HINTS: Readonly<Record<string, string>> = {
  parser:
    'a custom parser is not offered (no msgpack parser either): the client speaks the default Socket.IO protocol v5',
  'force new connection': 'use forceNew: true',
  host: 'put the host in the URL given to io()',
  hostname: 'put the host in the URL given to io()',
  port: 'put the port in the URL given to io()',
  secure: 'use an https:// or wss:// URL',
  agent: 'an HTTP agent is not supported; use extraHeaders for headers',
  forceBase64: 'binary data always travels as binary',
  transportOptions: 'use extraHeaders and query, which apply to every transport',
  protocols: 'WebSocket subprotocols are not supported',
  perMessageDeflate: 'not supported by the client',
  autoUnref: 'not supported: close the socket to let the process exit',
  useNativeTimers: 'the client always uses the host timers',
  addTrailingSlash: 'the Engine.IO path always ends with a slash',
  requestTimeout: 'use timeout',
};

function refuse(name: string, where: string): never {
  const hint = REFUSED_HINTS[name];
  throw new TypeError(
    hint === undefined ? `unknown ${where} option "${name}"` : `${where} option "${name}" is not supported: ${hint}`,
  );
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`option "${name}" must be a boolean, got ${typeof value}`);
  return value;
}

/** Checks a number option: at least `min`, finite unless `infinityAllowed`; otherwise a `TypeError` naming it. */
export function checkNumber(name: string, value: unknown, min: number, infinityAllowed = false): number {
  const ok =
    typeof value === 'number' && value >= min && (Number.isFinite(value) || (infinityAllowed && value === Infinity));
  if (!ok) throw new TypeError(`option "${name}" must be a number ≥ ${min}, got ${String(value)}`);
  return value;
}

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`option "${name}" must be a string, got ${typeof value}`);
  return value;
}

function checkRecord(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`option "${name}" must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Query parameters as strings, from an object or a `a=1&b=2` string. */
export function queryRecord(name: string, value: unknown): Record<string, string> {
  if (typeof value === 'string') return Object.fromEntries(new URLSearchParams(value));
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(checkRecord(name, value))) {
    if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      throw new TypeError(`option "${name}.${key}" must be a string, number or boolean`);
    }
    out[key] = String(item);
  }
  return out;
}

/** Checks {@link OfflineBufferOptions} and fills in the defaults. */
export function resolveOfflineBuffer(
  value: unknown,
  fallback?: Readonly<Required<OfflineBufferOptions>>,
): Readonly<Required<OfflineBufferOptions>> {
  if (value === undefined) {
    return fallback ?? Object.freeze({ maxPackets: DEFAULT_OFFLINE_MAX_PACKETS, maxBytes: DEFAULT_OFFLINE_MAX_BYTES });
  }
  const given = checkRecord('offlineBuffer', value);
  for (const key of Object.keys(given)) {
    if (key !== 'maxPackets' && key !== 'maxBytes') throw new TypeError(`unknown offlineBuffer option "${key}"`);
  }
  return Object.freeze({
    maxPackets: checkNumber('offlineBuffer.maxPackets', given.maxPackets ?? DEFAULT_OFFLINE_MAX_PACKETS, 0, true),
    maxBytes: checkNumber('offlineBuffer.maxBytes', given.maxBytes ?? DEFAULT_OFFLINE_MAX_BYTES, 0, true),
  });
}

function checkTransports(value: unknown): TransportName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('option "transports" must be a non-empty array of "websocket" and "polling"');
  }
  for (const item of value) {
    if (item !== 'websocket' && item !== 'polling') {
      throw new TypeError(
        `option "transports": ${typeof item === 'string' ? `"${item}"` : 'a transport class'} is not supported; use "websocket" and "polling"`,
      );
    }
  }
  return [...(value as TransportName[])];
}

/**
 * Checks a manager's options once and fills in the defaults. Unknown options and the official ones
 * this client does not take throw a `TypeError` naming them (with what to use instead).
 */
export function resolveManagerOptions(
  options: Partial<ManagerOptions>,
  platform: ClientPlatform,
): ResolvedManagerOptions {
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (SOCKET_KEYS.has(key) && key !== 'offlineBuffer') {
      throw new TypeError(`"${key}" is a socket option: pass it to io() or to manager.socket(namespace, options)`);
    }
    if (!MANAGER_KEYS.has(key)) refuse(key, 'Manager');
  }
  const extraHeaders = given.extraHeaders === undefined ? {} : queryRecord('extraHeaders', given.extraHeaders);
  if (Object.keys(extraHeaders).length > 0 && !platform.canSetHeaders) {
    throw new TypeError(
      'option "extraHeaders" cannot be honoured in a browser: a page\'s WebSocket cannot send headers; send credentials with `auth` (or `query`) instead',
    );
  }
  const timeout = given.timeout ?? 20_000;
  const path = checkString('path', given.path ?? '/socket.io');
  return {
    path,
    reconnection: checkBoolean('reconnection', given.reconnection ?? true),
    reconnectionAttempts: checkNumber('reconnectionAttempts', given.reconnectionAttempts ?? Infinity, 0, true),
    reconnectionDelay: checkNumber('reconnectionDelay', given.reconnectionDelay ?? 1000, 0),
    reconnectionDelayMax: checkNumber('reconnectionDelayMax', given.reconnectionDelayMax ?? 5000, 0),
    randomizationFactor: given.randomizationFactor === undefined ? undefined : checkFactor(given.randomizationFactor),
    timeout: timeout === false ? false : checkNumber('timeout', timeout, 0),
    autoConnect: checkBoolean('autoConnect', given.autoConnect ?? true),
    query: given.query === undefined ? {} : queryRecord('query', given.query),
    transports: given.transports === undefined ? ['websocket', 'polling'] : checkTransports(given.transports),
    upgrade: checkBoolean('upgrade', given.upgrade ?? true),
    rememberUpgrade: checkBoolean('rememberUpgrade', given.rememberUpgrade ?? false),
    tryAllTransports: checkBoolean('tryAllTransports', given.tryAllTransports ?? false),
    withCredentials: checkBoolean('withCredentials', given.withCredentials ?? false),
    extraHeaders,
    closeOnBeforeunload: checkBoolean('closeOnBeforeunload', given.closeOnBeforeunload ?? false),
    timestampRequests: checkBoolean('timestampRequests', given.timestampRequests ?? true),
    timestampParam: checkString('timestampParam', given.timestampParam ?? 't'),
    offlineBuffer: resolveOfflineBuffer(given.offlineBuffer),
  };
}

/** Checks a `randomizationFactor`: a fraction in [0, 1]. */
export function checkFactor(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TypeError(`option "randomizationFactor" must be a number from 0 to 1, got ${String(value)}`);
  }
  return value;
}

/** The checked options of one socket. */
export interface ResolvedSocketOptions {
  readonly auth: AuthOption | undefined;
  readonly retries: number;
  readonly ackTimeout: number | undefined;
  readonly offlineBuffer: Readonly<Required<OfflineBufferOptions>>;
}

/** Checks a socket's options once (unknown ones throw a `TypeError` naming them). */
export function resolveSocketOptions(
  options: Partial<SocketOptions>,
  managerBuffer: Readonly<Required<OfflineBufferOptions>>,
): ResolvedSocketOptions {
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!SOCKET_KEYS.has(key)) {
      if (MANAGER_KEYS.has(key)) {
        throw new TypeError(`"${key}" is a Manager option: pass it to io() or to new Manager(url, options)`);
      }
      refuse(key, 'socket');
    }
  }
  const auth = given.auth;
  if (auth !== undefined && typeof auth !== 'function') checkRecord('auth', auth);
  return {
    auth: auth as AuthOption | undefined,
    retries: checkNumber('retries', given.retries ?? 0, 0, true),
    ackTimeout: given.ackTimeout === undefined ? undefined : checkNumber('ackTimeout', given.ackTimeout, 0),
    offlineBuffer: resolveOfflineBuffer(given.offlineBuffer, managerBuffer),
  };
}

/** Splits the options `io()` takes into the manager's and the socket's. */
export function splitLookupOptions(options: Partial<ManagerOptions & SocketOptions>): {
  manager: Partial<ManagerOptions>;
  socket: Partial<SocketOptions>;
} {
  const manager: Record<string, unknown> = {};
  const socket: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (SOCKET_KEYS.has(key)) socket[key] = value;
    else manager[key] = value;
  }
  return { manager: manager, socket: socket };
}
