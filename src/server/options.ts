import type { AdapterConstructor } from '../adapter/index.js';
import type { AttachOptions, EngineServerOptions } from '../engine/index.js';
import { ENGINE_OPTION_KEYS } from '../engine/options.js';
import {
  DEFAULT_MAX_ARGUMENTS,
  DEFAULT_MAX_ATTACHMENTS,
  DEFAULT_MAX_NAMESPACE_LENGTH,
  DEFAULT_MAX_NESTING_DEPTH,
} from '../protocol/socket-io/index.js';

/** Connection state recovery: a client that loses its connection briefly gets its id, rooms, data and missed events back. */
export interface ConnectionStateRecoveryOptions {
  /**
   * How long a session is kept after a disconnection, in ms.
   * @default 120000
   */
  maxDisconnectionDuration?: number;
  /**
   * Skip the connection middlewares when a session is recovered.
   * @default true
   */
  skipMiddlewares?: boolean;
}

/**
 * Options of {@link Server}: Socket.IO options, plus every Engine.IO option and those of the
 * engine's `attach()`, passed through. An option name it does not know (a misspelt one, or one of
 * the official server's that is not supported, such as `parser` or `wsEngine`) throws a
 * `TypeError` naming it.
 */
export interface ServerOptions extends EngineServerOptions, Omit<AttachOptions, 'path'> {
  /**
   * The request path the server answers on.
   * @default '/socket.io/'
   */
  path?: string;
  /**
   * Serve the browser bundle of `switchboard/client` at `<path>/socket.io.js` (a global `io`, as
   * the official bundle) and `socket.io.min.js`, `socket.io.esm.min.js`, as the official server
   * serves its own client. `true` throws
   * when the bundle has not been built (a source checkout before `npm run build`).
   * @default true when the bundle is built (always, in the published package)
   */
  serveClient?: boolean;
  /**
   * The adapter class each namespace gets.
   * @default InMemoryAdapter
   */
  adapter?: AdapterConstructor;
  /**
   * Milliseconds a client has to join a namespace after connecting before its connection is closed
   * (a whole number from 1 to 2³¹ − 1, the longest a timer waits).
   * @default 45000
   */
  connectTimeout?: number;
  /**
   * Most namespaces one client (one Engine.IO connection) may be in at once, those whose CONNECT
   * is still being handled included. A CONNECT past it is refused with a CONNECT_ERROR
   * `{"message":"Too many namespaces"}`, and the client stays in the namespaces it has. An
   * application uses a handful per client; each costs a socket, and with a dynamic parent
   * (`io.of(/^\/room-\d+$/)`) a namespace of its own, so without a bound one client could make
   * the server hold as many as it can send CONNECTs.
   * @default 100
   */
  maxNamespacesPerClient?: number;
  /**
   * Turn connection state recovery on; `true` uses the defaults.
   * @default off
   */
  connectionStateRecovery?: boolean | ConnectionStateRecoveryOptions;
  /**
   * Remove a dynamically created namespace when its last socket leaves.
   * @default false
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Most binary attachments one incoming packet may carry.
   * @default 10
   */
  maxAttachments?: number;
  /**
   * Deepest nesting of arrays and objects accepted in an incoming payload.
   * @default 128
   */
  maxNestingDepth?: number;
  /**
   * Longest namespace name a client may name, in characters (the leading `/` included).
   * @default 256
   */
  maxNamespaceLength?: number;
  /**
   * Most arguments an incoming EVENT may carry after its name, and most values an incoming ACK may
   * carry; past it the client is disconnected with `"parse error"`. Listeners receive them as
   * positional arguments, which live on the call stack: raised to some hundred thousand, a packet
   * can overflow it, and its client is then disconnected with `"server error"`.
   * @default 1000
   */
  maxArguments?: number;
  /**
   * Most bytes the binary attachments of one incoming packet may hold together, kept until the
   * last one arrives; past it the client is disconnected with `"parse error"`.
   * @default the Engine.IO server's `maxHttpBufferSize` (1000000), so that a packet costs no more than a message
   */
  maxAttachmentBytes?: number;
  /**
   * Milliseconds a client has, once it announced a binary packet, to send all of its attachments;
   * past it the client is disconnected with `"parse error"` and what it sent is let go of. A
   * client sends them right after the packet, so this only has to cover the transfer of
   * `maxAttachmentBytes` over a slow link (1 MB at 1 Mbit/s takes 8 s); raise both together. A
   * whole number from 1 to 2³¹ − 1, the longest a timer waits.
   * @default 10000
   */
  attachmentTimeout?: number;
}

/**
 * The options the Socket.IO layer reads, all at construction; the others are the Engine.IO
 * server's. A record over exactly the keys {@link ServerOptions} adds, so that an option added
 * there cannot be forgotten here.
 */
export const SOCKET_IO_OPTIONS: Readonly<
  Record<Exclude<keyof ServerOptions, keyof EngineServerOptions | keyof AttachOptions>, true>
> = Object.freeze({
  serveClient: true,
  adapter: true,
  connectTimeout: true,
  maxNamespacesPerClient: true,
  connectionStateRecovery: true,
  cleanupEmptyChildNamespaces: true,
  maxAttachments: true,
  maxNestingDepth: true,
  maxNamespaceLength: true,
  maxArguments: true,
  maxAttachmentBytes: true,
  attachmentTimeout: true,
});

/** Default values of {@link ServerOptions}. */
export const SERVER_DEFAULTS = {
  path: '/socket.io/',
  connectTimeout: 45_000,
  maxNamespacesPerClient: 100,
  maxDisconnectionDuration: 120_000,
  skipMiddlewares: true,
  cleanupEmptyChildNamespaces: false,
  maxAttachments: DEFAULT_MAX_ATTACHMENTS,
  maxNestingDepth: DEFAULT_MAX_NESTING_DEPTH,
  maxNamespaceLength: DEFAULT_MAX_NAMESPACE_LENGTH,
  maxArguments: DEFAULT_MAX_ARGUMENTS,
  attachmentTimeout: 10_000,
} as const;

/** Every option name the constructor takes: the Socket.IO ones and the Engine.IO ones. */
export const SERVER_OPTION_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(SOCKET_IO_OPTIONS),
  ...ENGINE_OPTION_KEYS,
]);

/** The Engine.IO part of `options` that is set: everything but what {@link SOCKET_IO_OPTIONS} names. */
export function engineOptionsOf(options: ServerOptions): EngineServerOptions & AttachOptions {
  const engineOptions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !Object.hasOwn(SOCKET_IO_OPTIONS, name)) engineOptions[name] = value;
  }
  return engineOptions;
}

/**
 * Refuses Socket.IO options (and `path`) given to `attach()`: the constructor reads them, once,
 * and given there they would have no effect.
 */
export function checkAttachOptions(options: object): void {
  const misplaced = Object.entries(options)
    .filter(([name, value]) => value !== undefined && (name === 'path' || Object.hasOwn(SOCKET_IO_OPTIONS, name)))
    .map(([name]) => name);
  if (misplaced.length > 0) {
    throw new TypeError(
      `${misplaced.join(', ')}: Socket.IO options take effect only when given to the constructor (new Server(httpServer, options)); attach() takes Engine.IO options`,
    );
  }
}

/** A path as the official `path()` reports it: without its trailing slash. */
export function trimPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`path must be a non-empty string, got ${String(path)}`);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
