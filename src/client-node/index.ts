/**
 * `switchboard/client` in Node: the same API as the browser entry (socket.io-client 4.8's `io`,
 * `Manager`, `Socket`), on Switchboard's own WebSocket client and Node's `fetch`, so `extraHeaders`
 * work on every transport. Received binary data arrives as `Buffer`s.
 *
 * @example
 * import { io } from 'switchboard/client';
 * const socket = io('http://localhost:3000', { extraHeaders: { authorization: `Bearer ${token}` } });
 */
import { PollingTransport } from '../client/engine/polling-transport.js';
import { WebSocketTransport } from '../client/engine/websocket-transport.js';
import { createLookup } from '../client/lookup.js';
import { Manager as BaseManager } from '../client/manager.js';
import type { DefaultEventsMap, EventsMap } from '../client/typed-events.js';
import { nodePlatform } from './platform.js';

/**
 * One connection to a server, shared by the sockets of its namespaces; reconnects when it is lost.
 *
 * @example
 * const manager = new Manager('http://localhost:3000');
 * const admin = manager.socket('/admin');
 */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends BaseManager<ListenEvents, EmitEvents> {
  protected static override platform = nodePlatform;
  protected static override transports = { websocket: WebSocketTransport, polling: PollingTransport };
}

/**
 * The socket of the URL's namespace, on a connection shared with the server's other namespaces
 * unless `forceNew` or `multiplex: false`. Node has no page: the URL is required.
 *
 * @example
 * const socket = io('http://localhost:3000/chat', { auth: { token } });
 */
export const io = createLookup(Manager, nodePlatform);
export { io as connect };
export default io;

export * from '../client/exports.js';
