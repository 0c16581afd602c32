import type { ClientPlatform } from './engine/types.js';
import type { Manager } from './manager.js';
import {
  MANAGER_DEFAULTS,
  checkSocketOptions,
  splitLookupOptions,
  type ManagerOptions,
  type SocketOptions,
} from './options.js';
import type { Socket } from './socket.js';
import { parseUrl } from './url.js';

/** The options `io()` takes: the manager's and the socket's in one object. */
export type LookupOptions = Partial<ManagerOptions & SocketOptions>;

/** `io()`: the socket of the URL's namespace, on a shared or a new connection. */
export interface Lookup {
  (opts?: LookupOptions): Socket;
  (uri?: string, opts?: LookupOptions): Socket;
}

/** A manager class as an entry point exports it (with its host). */
export type ManagerClass = new (uri?: string, opts?: Partial<ManagerOptions>) => Manager;

/**
 * Throws when `io()` would reuse a cached connection while given options that differ from the
 * ones it was made with: those would otherwise be silently ignored.
 */
function checkSameOptions(manager: Manager, given: Partial<ManagerOptions>, server: string): void {
  const made = manager.opts as Record<string, unknown>;
  const defaults = MANAGER_DEFAULTS as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    // forceNew and multiplex only steer the choice of connection; a default given or left out is the same.
    if (
      key === 'forceNew' ||
      key === 'multiplex' ||
      JSON.stringify(value ?? defaults[key]) === JSON.stringify(made[key] ?? defaults[key])
    )
      continue;
    throw new TypeError(`io(): the connection to ${server} has another "${key}": pass forceNew: true`);
  }
}

/**
 * Makes the `io()` of an entry point: one manager per server (scheme, host, port and path) shared
 * by its namespaces, unless `forceNew` or `multiplex: false` asks for a new one, or the namespace
 * already has a socket on the cached manager (then the new socket gets a connection of its own,
 * as with socket.io-client).
 */
export function createLookup(ManagerClass: ManagerClass, platform: ClientPlatform): Lookup {
  const cache = new Map<string, Manager>();
  function lookup(uri?: string | LookupOptions, opts?: LookupOptions): Socket {
    const url = typeof uri === 'object' ? undefined : uri;
    const { manager: managerOptions, socket: socketOptions } = splitLookupOptions(
      typeof uri === 'object' ? uri : (opts ?? {}),
    );
    // Checked before a manager is made: a new one starts connecting at once.
    checkSocketOptions(socketOptions);
    const { origin, pathname } = parseUrl(url, platform.pageLocation);
    const key = origin + (managerOptions.path ?? '/socket.io');
    let manager = cache.get(key);
    if (managerOptions.forceNew === true || managerOptions.multiplex === false || manager?._hasSocket(pathname)) {
      manager = new ManagerClass(url, managerOptions);
    } else if (manager === undefined) {
      manager = new ManagerClass(url, managerOptions);
      cache.set(key, manager);
    } else checkSameOptions(manager, managerOptions, origin);
    return manager.socket(pathname, socketOptions);
  }
  return lookup;
}
