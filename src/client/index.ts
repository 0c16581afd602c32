/**
 * `switchboard/client`: a Socket.IO client with socket.io-client 4.8's API (`io`, `Manager`,
 * `Socket`), for browsers. It opens a WebSocket first and falls back to long-polling, reconnects
 * with full-jitter backoff, and bounds what it buffers while offline.
 *
 * @example
 * import { io } from 'switchboard/client';
 * const socket = io('https://example.com');
 * socket.on('connect', () => socket.emit('hello', 'world'));
 */
import { Manager as BaseManager } from './manager.js';
import { PollingTransport } from './engine/polling-transport.js';
import { WebSocketTransport } from './engine/websocket-transport.js';
import { createLookup } from './lookup.js';
import { browserPlatform } from './platform/browser.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';

/**
 * One connection to a server, shared by the sockets of its namespaces; reconnects when it is lost.
 *
 * @example
 * const manager = new Manager('https://example.com');
 * const admin = manager.socket('/admin');
 */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends BaseManager<ListenEvents, EmitEvents> {
  protected static override platform = browserPlatform;
  protected static override transports = { websocket: WebSocketTransport, polling: PollingTransport };
}

/**
 * The socket of the URL's namespace (the page's origin when no URL is given), on a connection
 * shared with the server's other namespaces unless `forceNew` or `multiplex: false`.
 *
 * @example
 * const socket = io('https://example.com/chat', { auth: { token } });
 */
export const io = createLookup(Manager, browserPlatform);
export { io as connect };
export default io;

export * from './exports.js';
