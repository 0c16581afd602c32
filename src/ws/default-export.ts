import { createWebSocketStream } from './stream.js';
import { WebSocket } from './websocket.js';
import { WebSocketServer } from './websocket-server.js';

/** What `ws`'s default export carries beside being the WebSocket class. */
export interface WsModuleStatics {
  readonly WebSocket: typeof WebSocket;
  /** `ws`'s older name of {@link WebSocketServer}. */
  readonly Server: typeof WebSocketServer;
  readonly WebSocketServer: typeof WebSocketServer;
  readonly createWebSocketStream: typeof createWebSocketStream;
}

/**
 * The module's default export, shaped as `ws`'s: the {@link WebSocket} class, which also carries
 * `WebSocket`, `Server`, `WebSocketServer` and `createWebSocketStream`, so that code written
 * against `import WebSocket from 'ws'` ports by changing the module name.
 *
 * @example
 * import WebSocket from 'switchboard/ws';
 * const wss = new WebSocket.Server({ port: 8080 });
 * const client = new WebSocket('ws://localhost:8080');
 */
const WsDefault: typeof WebSocket & WsModuleStatics = Object.assign(WebSocket, {
  WebSocket,
  Server: WebSocketServer,
  WebSocketServer,
  createWebSocketStream,
});
/** The instance type, so that the default import names a type too, as `ws`'s class does. */
type WsDefault = WebSocket;

export default WsDefault;
