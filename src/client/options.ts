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

type Check = (value: unknown) => boolean;

const isCount: Check = (value) => typeof value === 'number' && value >= 0;
const isFinite: Check = (value) => isCount(value) && (value as number) < Infinity;
const isRecord: Check = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * What each kind of option must be: the words of its error and its test. The error messages are
 * built from these pieces (`option "x" must be <words>, got <value>`) rather than written out per
 * option, which keeps the browser bundle small.
 */
const KINDS = {
  boolean: ['a boolean', (value) => typeof value === 'boolean'],
  string: ['a string', (value) => typeof value === 'string'],
  number: ['a number ≥ 0', isFinite],
  limit: ['a number ≥ 0 or Infinity', isCount],
  fraction: ['a number from 0 to 1', (value) => isCount(value) && (value as number) <= 1],
  time: ['a number ≥ 0 or false', (value) => value === false || isFinite(value)],
  object: ['an object', isRecord],
  params: ['an object or a query string', (value) => typeof value === 'string' || isRecord(value)],
  auth: ['an object or a function', (value) => typeof value === 'function' || isRecord(value)],
  transports: ['a non-empty array of transport names', (value) => Array.isArray(value) && value.length > 0],
} satisfies Record<string, readonly [string, Check]>;

type Kind = keyof typeof KINDS;

/** Every option of the manager, with its kind and its default (`undefined`: none, or decided elsewhere). */
const MANAGER_OPTIONS: Readonly<Record<string, readonly [Kind, unknown]>> = {
  forceNew: ['boolean', false],
  multiplex: ['boolean', true],
  path: ['string', '/socket.io'],
  reconnection: ['boolean', true],
  reconnectionAttempts: ['limit', Infinity],
  reconnectionDelay: ['number', 1000],
  reconnectionDelayMax: ['number', 5000],
  randomizationFactor: ['fraction', undefined],
  timeout: ['time', 20_000],
  autoConnect: ['boolean', true],
  query: ['params', {}],
  transports: ['transports', undefined],
  upgrade: ['boolean', true],
  rememberUpgrade: ['boolean', false],
  tryAllTransports: ['boolean', false],
  withCredentials: ['boolean', false],
  extraHeaders: ['params', {}],
  closeOnBeforeunload: ['boolean', false],
  timestampRequests: ['boolean', true],
  timestampParam: ['string', 't'],
  offlineBuffer: ['object', undefined],
};

/** Every option of a socket, with its kind. */
const SOCKET_OPTIONS: Readonly<Record<string, Kind>> = {
  auth: 'auth',
  retries: 'limit',
  ackTimeout: 'number',
  offlineBuffer: 'object',
};

const IN_THE_URL = 'put it in the URL given to io()';

/** What to say about options of socket.io-client (or engine.io-client) that this client does not take. */
const REFUSED_HINTS: Readonly<Record<string, string>> = {
  parser: 'the client speaks the default Socket.IO protocol v5 only (no msgpack parser)',
  'force new connection': 'use forceNew: true',
  host: IN_THE_URL,
  hostname: IN_THE_URL,
  port: IN_THE_URL,
  secure: 'use an https:// or wss:// URL',
  agent: 'use extraHeaders for headers',
  forceBase64: 'binary data always travels as binary',
  transportOptions: 'use extraHeaders and query',
  requestTimeout: 'use timeout',
  autoUnref: 'close the socket to let the process exit',
  protocols: 'WebSocket subprotocols are not offered',
  perMessageDeflate: 'the WebSocket compresses as it negotiated with the server',
  useNativeTimers: 'the host timers are always used',
  addTrailingSlash: 'the Engine.IO path always ends with a slash',
};

function refuse(name: string, where: string): never {
  const hint = REFUSED_HINTS[name];
  throw new TypeError(
    hint === undefined ? `unknown ${where} option "${name}"` : `${where} option "${name}" is not supported: ${hint}`,
  );
}

/**
 * Checks the value of option `name` against its kind; a `TypeError` names the option, what it
 * must be and what it got.
 */
export function checkOption<T>(
  name: string,
  value: T,
  kind: Kind = MANAGER_OPTIONS[name]?.[0] ?? SOCKET_OPTIONS[name]!,
): T {
  const [expected, test] = KINDS[kind];
  if (!test(value)) {
    throw new TypeError(`option "${name}" must be ${expected}, got ${typeof value == 'number' ? value : typeof value}`);
  }
  return value;
}

/** Query parameters (or headers) as strings, from an object or a `a=1&b=2` string. */
function params(name: string, value: unknown): Record<string, string> {
  if (typeof value === 'string') return Object.fromEntries(new URLSearchParams(value));
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as object)) {
    if (!['string', 'number', 'boolean'].includes(typeof item))
      throw new TypeError(`option "${name}.${key}" must be a string, number or boolean`);
    out[key] = String(item);
  }
  return out;
}

/** Refuses the keys of `given` that `known` does not hold. */
function checkKeys(given: object, known: object, where: string, other: object, otherHint: string): void {
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(known, key)) continue;
    if (Object.hasOwn(other, key)) throw new TypeError(`"${key}" is a ${otherHint}, options)`);
    refuse(key, where);
  }
}

/** Checks {@link OfflineBufferOptions} and fills in the defaults. */
export function resolveOfflineBuffer(value: unknown, fallback?: OfflineLimits): OfflineLimits {
  if (value === undefined && fallback) return fallback;
  const given = checkOption('offlineBuffer', value ?? {}) as OfflineBufferOptions;
  checkKeys(given, { maxPackets: 0, maxBytes: 0 }, 'offlineBuffer', {}, '');
  return Object.freeze({
    maxPackets: checkOption('offlineBuffer.maxPackets', given.maxPackets ?? DEFAULT_OFFLINE_MAX_PACKETS, 'limit'),
    maxBytes: checkOption('offlineBuffer.maxBytes', given.maxBytes ?? DEFAULT_OFFLINE_MAX_BYTES, 'limit'),
  });
}

type OfflineLimits = Readonly<Required<OfflineBufferOptions>>;

/**
 * Checks a manager's options once and fills in the defaults. Unknown options and the official ones
 * this client does not take throw a `TypeError` naming them (with what to use instead).
 * `available` lists the transports of the entry point, in their default order.
 */
export function resolveManagerOptions(
  options: Partial<ManagerOptions>,
  platform: ClientPlatform,
  available: readonly TransportName[],
): ResolvedManagerOptions {
  const given = options as Record<string, unknown>;
  checkKeys(
    given,
    MANAGER_OPTIONS,
    'Manager',
    SOCKET_OPTIONS,
    'socket option: pass it to io() or to manager.socket(namespace',
  );
  const out: Record<string, unknown> = {};
  for (const [name, [, fallback]] of Object.entries(MANAGER_OPTIONS)) {
    const value = given[name] ?? fallback;
    out[name] = value === undefined ? value : checkOption(name, value);
  }
  out.query = params('query', out.query);
  out.extraHeaders = params('extraHeaders', out.extraHeaders);
  out.offlineBuffer = resolveOfflineBuffer(given.offlineBuffer);
  const transports = (out.transports ?? available) as unknown[];
  for (const name of transports) {
    if (!available.includes(name as TransportName)) {
      throw new TypeError(
        `option "transports": ${typeof name === 'string' ? `"${name}"` : 'a transport class'} is not supported; use ${available.map((item) => `"${item}"`).join(' or ')}${available.length > 1 ? '' : ' (or the full switchboard/client entry for long-polling)'}`,
      );
    }
  }
  out.transports = [...transports];
  if (Object.keys(out.extraHeaders as object).length > 0 && !platform.canSetHeaders) {
    throw new TypeError(
      'option "extraHeaders" cannot be honoured in a browser: a page\'s WebSocket cannot send headers; send credentials with `auth` (or `query`) instead',
    );
  }
  return out as unknown as ResolvedManagerOptions;
}

/** The checked options of one socket. */
export interface ResolvedSocketOptions {
  readonly auth: AuthOption | undefined;
  readonly retries: number;
  readonly ackTimeout: number | undefined;
  readonly offlineBuffer: OfflineLimits;
}

/** Checks a socket's options once (unknown ones throw a `TypeError` naming them). */
export function resolveSocketOptions(
  options: Partial<SocketOptions>,
  managerBuffer: OfflineLimits,
): ResolvedSocketOptions {
  const { auth, retries = 0, ackTimeout, offlineBuffer } = options;
  checkKeys(
    options,
    SOCKET_OPTIONS,
    'socket',
    MANAGER_OPTIONS,
    'Manager option: pass it to io() or to new Manager(url',
  );
  return {
    auth: auth === undefined ? auth : checkOption('auth', auth),
    retries: checkOption('retries', retries),
    ackTimeout: ackTimeout === undefined ? ackTimeout : checkOption('ackTimeout', ackTimeout),
    offlineBuffer: resolveOfflineBuffer(offlineBuffer, managerBuffer),
  };
}

/** Splits the options `io()` takes into the manager's and the socket's. */
export function splitLookupOptions(options: Partial<ManagerOptions & SocketOptions>): {
  manager: Partial<ManagerOptions>;
  socket: Partial<SocketOptions>;
} {
  const manager: Record<string, unknown> = {};
  const socket: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options))
    (Object.hasOwn(SOCKET_OPTIONS, key) ? socket : manager)[key] = value;
  return { manager, socket };
}
