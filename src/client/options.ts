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

/** Default of {@link OfflineBufferOptions.maxPackets}. */
export const DEFAULT_OFFLINE_MAX_PACKETS = 1000;
/** Default of {@link OfflineBufferOptions.maxBytes}. */
export const DEFAULT_OFFLINE_MAX_BYTES = 1024 * 1024;

/**
 * The defaults of the manager's options. A manager keeps the options as given and reads
 * `given ?? default`: no per-client copy. Also the prototype of each session's options, so a
 * session object holds only what differs from them.
 */
export const MANAGER_DEFAULTS = {
  forceNew: false,
  multiplex: true,
  path: '/socket.io',
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  timeout: 20_000 as number | false,
  autoConnect: true,
  upgrade: true,
  rememberUpgrade: false,
  tryAllTransports: false,
  withCredentials: false,
  closeOnBeforeunload: false,
  timestampRequests: true,
  timestampParam: 't',
};

/**
 * Shared by every socket made without socket options, every session without query parameters
 * or headers (an empty object each would be kept for as long as its client lives) and every emit
 * without flags.
 */
export const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

type Check = (value: unknown) => boolean;

const isCount = (value: unknown): value is number => typeof value === 'number' && value >= 0;
/** A finite number ≥ 0 (a count, a delay). */
export const isFiniteCount = (value: unknown): value is number => isCount(value) && value < Infinity;
/** A plain object (not null, not an array). */
export const isRecord: Check = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** What an option must be: the words of its error (`option "x" must be <words>, got <value>`) and its test. */
type Kind = readonly [string, Check];

const NUMBER: Kind = ['a number ≥ 0', isFiniteCount];
const LIMIT: Kind = ['a number ≥ 0 or Infinity', isCount];
const OBJECT: Kind = ['an object', isRecord];
const PARAMS: Kind = ['an object or a query string', (value) => typeof value === 'string' || isRecord(value)];

/**
 * The kind of each option the defaults do not settle (those follow their default's type: a
 * boolean, a string, a finite number).
 */
const MANAGER_KINDS: Readonly<Record<string, Kind>> = {
  reconnectionAttempts: LIMIT,
  randomizationFactor: ['a number from 0 to 1', (value) => isCount(value) && value <= 1],
  timeout: ['a number ≥ 0 or false', (value) => value === false || isFiniteCount(value)],
  query: PARAMS,
  extraHeaders: PARAMS,
  transports: ['a non-empty array of transport names', (value) => Array.isArray(value) && value.length > 0],
  offlineBuffer: OBJECT,
};

/** Every option of a socket, with its kind. */
const SOCKET_KINDS: Readonly<Record<string, Kind>> = {
  auth: ['an object or a function', (value) => typeof value === 'function' || isRecord(value)],
  retries: LIMIT,
  ackTimeout: NUMBER,
  offlineBuffer: OBJECT,
};

const kindOf = (name: string): Kind | undefined => {
  if (Object.hasOwn(MANAGER_KINDS, name)) return MANAGER_KINDS[name];
  if (!Object.hasOwn(MANAGER_DEFAULTS, name)) return undefined;
  const type = typeof MANAGER_DEFAULTS[name as keyof typeof MANAGER_DEFAULTS];
  // A boolean or a string; a number default is a finite one.
  return type === 'number' ? NUMBER : [`a ${type}`, (value) => typeof value === type];
};

const IN_THE_URL = 'put it in the URL';

/** What to use instead of the socket.io-client (or engine.io-client) options this client does not take. */
const REFUSED_HINTS: Readonly<Record<string, string>> = {
  parser: 'only the default parser (no msgpack)',
  'force new connection': 'use forceNew',
  host: IN_THE_URL,
  hostname: IN_THE_URL,
  port: IN_THE_URL,
  secure: 'use an https:// URL',
  agent: 'use extraHeaders',
  forceBase64: 'binary is sent as binary',
  transportOptions: 'use extraHeaders and query',
  requestTimeout: 'use timeout',
  autoUnref: 'close the socket',
  protocols: 'no WebSocket subprotocols',
  perMessageDeflate: 'negotiated',
  useNativeTimers: 'host timers are used',
  addTrailingSlash: 'paths end with /',
};

/**
 * Checks the value of option `name` against its kind; a `TypeError` names the option, what it
 * must be and what it got. `undefined` (not given) passes.
 */
export function checkOption<T>(name: string, value: T, kind = kindOf(name) ?? SOCKET_KINDS[name]!): T {
  if (value !== undefined && !kind[1](value)) {
    throw new TypeError(`option "${name}" must be ${kind[0]}, got ${typeof value == 'number' ? value : typeof value}`);
  }
  return value;
}

/** Query parameters (or headers) as strings, from an object or a `a=1&b=2` string. */
export function params(name: string, value: unknown): Readonly<Record<string, string>> {
  if (typeof value === 'string') return Object.fromEntries(new URLSearchParams(value));
  if (value === undefined) return NO_OPTIONS;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as object)) {
    if (!['string', 'number', 'boolean'].includes(typeof item))
      throw new TypeError(`option "${name}.${key}" must be a string, number or boolean`);
    out[key] = String(item);
  }
  return out;
}

/**
 * Checks options once: each key must be one of this side's (`isOwn`) — an option of the other side
 * (`isOther`) is named as such, `otherHint` saying where it goes; an official option this client
 * does not take, with what to use instead — and each value of its kind, `offlineBuffer`'s included.
 */
function checkOptions(
  given: Partial<ManagerOptions | SocketOptions>,
  where: string,
  isOwn: (key: string) => unknown,
  isOther: (key: string) => unknown,
  otherHint: string,
): void {
  for (const [key, value] of Object.entries(given)) {
    if (!isOwn(key)) {
      throw new TypeError(
        isOther(key)
          ? `"${key}" is a ${otherHint}`
          : Object.hasOwn(REFUSED_HINTS, key)
            ? `${where} option "${key}" is not supported: ${REFUSED_HINTS[key]}`
            : `unknown ${where} option "${key}"`,
      );
    }
    checkOption(key, value);
  }
  for (const [key, value] of Object.entries(given.offlineBuffer ?? {})) {
    if (key !== 'maxPackets' && key !== 'maxBytes') throw new TypeError(`unknown offlineBuffer option "${key}"`);
    checkOption(`offlineBuffer.${key}`, value, LIMIT);
  }
}

const isSocketOption = (key: string): boolean => Object.hasOwn(SOCKET_KINDS, key);

/**
 * Checks a manager's options once. Unknown options and the official ones this client does not
 * take throw a `TypeError` naming them (with what to use instead). `available` lists the
 * transports of the entry point, in their default order.
 */
export function checkManagerOptions(
  options: Partial<ManagerOptions>,
  platform: ClientPlatform,
  available: readonly TransportName[],
): void {
  checkOptions(options, 'Manager', kindOf, isSocketOption, 'socket option: give it to io() or manager.socket()');
  params('query', options.query);
  for (const name of options.transports ?? []) {
    if (!available.includes(name)) {
      throw new TypeError(
        `option "transports": ${typeof name === 'string' ? `"${name}"` : 'a transport class'} is not supported; use "${available.join('" or "')}"${available[1] ? '' : ' (or import switchboard/client)'}`,
      );
    }
  }
  if (Object.keys(params('extraHeaders', options.extraHeaders)).length > 0 && !platform.canSetHeaders) {
    // A page's WebSocket cannot send headers.
    throw new TypeError('option "extraHeaders" works in Node only: use auth or query');
  }
}

/** Checks a socket's options once (unknown ones throw a `TypeError` naming them). */
export function checkSocketOptions(options: Partial<SocketOptions>): void {
  checkOptions(options, 'socket', isSocketOption, kindOf, 'Manager option: give it to io() or new Manager()');
}

/** Splits the options `io()` takes into the manager's and the socket's. */
export function splitLookupOptions(options: Partial<ManagerOptions & SocketOptions>): {
  manager: Partial<ManagerOptions>;
  socket: Partial<SocketOptions>;
} {
  const manager: Record<string, unknown> = {};
  let socket: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (isSocketOption(key)) (socket ??= {})[key] = value;
    else manager[key] = value;
  }
  return { manager, socket: socket ?? NO_OPTIONS };
}
