/**
 * `switchboard/client/websocket`: the same client as `switchboard/client` (`io`, `Manager`,
 * `Socket`, with reconnection, acknowledgements, retries and connection-state recovery) over
 * WebSocket only, for pages that do not need the long-polling fallback: its bundle holds no
 * polling code. `transports` other than `['websocket']` are refused.
 *
 * @example
 * import { io } from 'switchboard/client/websocket';
 * const socket = io('https://example.com');
 * socket.on('connect', () => socket.emit('hello', 'world'));
 */
import { WebSocketTransport } from './engine/websocket-transport.js';
import { createLookup } from './lookup.js';
import { Manager as BaseManager } from './manager.js';
import { browserPlatform } from './platform/browser.js';
import type { DefaultEventsMap, EventsMap } from './typed-events.js';

/**
 * One WebSocket connection to a server, shared by the sockets of its namespaces; reconnects when
 * it is lost.
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
  protected static override transports = { websocket: WebSocketTransport };
}

/**
 * The socket of the URL's namespace (the page's origin when no URL is given), over WebSocket.
 *
 * @example
 * const socket = io('https://example.com/chat', { auth: { token } });
 */
export const io = createLookup(Manager, browserPlatform);
export { io as connect };
export default io;

export * from './exports.js';
