import type { AdapterConstructor } from '../adapter/index.js';
import type { EngineServerOptions } from '../engine/index.js';

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

/** Options of {@link Server}: Socket.IO options, plus every Engine.IO option, passed through. */
export interface ServerOptions extends EngineServerOptions {
  /**
   * The request path the server answers on.
   * @default '/socket.io/'
   */
  path?: string;
  /**
   * Serving the official client bundle is not supported; only `false` is accepted.
   * @default false
   */
  serveClient?: false;
  /**
   * The adapter class each namespace gets.
   * @default InMemoryAdapter
   */
  adapter?: AdapterConstructor;
  /**
   * Milliseconds a client has to join a namespace after connecting before its connection is closed.
   * @default 45000
   */
  connectTimeout?: number;
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
}

/** Default values of {@link ServerOptions}. */
export const SERVER_DEFAULTS = {
  path: '/socket.io/',
  connectTimeout: 45_000,
  maxDisconnectionDuration: 120_000,
  skipMiddlewares: true,
  cleanupEmptyChildNamespaces: false,
  maxAttachments: 10,
  maxNestingDepth: 128,
  maxNamespaceLength: 256,
} as const;
