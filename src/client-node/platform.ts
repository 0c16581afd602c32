/**
 * Node's {@link ClientPlatform}: Switchboard's own WebSocket client (which can send request
 * headers) and Node's `fetch`. Node has no page: no `online`, `offline` or `beforeunload` event, no location.
 */
import type { ClientPlatform, WebSocketLike } from '../client/engine/types.js';
import { WebSocket } from '../ws/index.js';

const stopNothing = (): void => {};

/** The Node platform. Binary messages reach the application as `Buffer`s, as with `socket.io-client` in Node. */
export const nodePlatform: ClientPlatform = {
  createWebSocket(url, headers) {
    const socket = new WebSocket(url, { headers: { ...headers } });
    socket.binaryType = 'nodebuffer';
    // Its handlers take its own event classes, which carry what the client reads (`data`; `code`
    // and `reason`): only their declared parameter types differ from the browser shape's.
    return socket as WebSocketLike;
  },
  fetch: (input, init) => fetch(input, init),
  wrapBinary: (bytes) =>
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  canSetHeaders: true,
  onNetworkOnline: () => stopNothing,
  onNetworkOffline: () => stopNothing,
  onBeforeUnload: () => stopNothing,
  pageLocation: undefined,
};
