/**
 * The browser's {@link ClientPlatform}: the page's `WebSocket` and `fetch`, its `online`, `offline`
 * and `beforeunload` events, and its `location`. Read from the global scope when used, so importing
 * this module where there is no page (a test runner, a worker) costs nothing.
 */
import type { ClientPlatform, WebSocketLike } from '../engine/types.js';

/** The parts of the page's global scope the client uses (the project builds without the DOM types). */
interface PageScope {
  readonly WebSocket: new (url: string) => WebSocketLike;
  readonly fetch: typeof fetch;
  readonly addEventListener?: (type: string, listener: () => void) => void;
  readonly removeEventListener?: (type: string, listener: () => void) => void;
  readonly location?: { readonly protocol: string; readonly host: string };
}

const page = globalThis as unknown as PageScope;

/** Listening to the page's event `type`, where there is a page; the result stops listening. */
const listen =
  (type: string) =>
  (listener: () => void): (() => void) => {
    page.addEventListener?.(type, listener);
    return () => page.removeEventListener?.(type, listener);
  };

/**
 * The browser platform. Binary messages reach the application as `ArrayBuffer`s, as with
 * `socket.io-client` in a browser. A browser's WebSocket cannot send request headers, so
 * `canSetHeaders` is false.
 */
export const browserPlatform: ClientPlatform = {
  // The manager refuses `extraHeaders` in a browser (`canSetHeaders` is false): there are none.
  createWebSocket(url) {
    const socket = new page.WebSocket(url);
    socket.binaryType = 'arraybuffer';
    return socket;
  },
  fetch: (input, init) => page.fetch(input, init),
  // A view of a whole ArrayBuffer (a WebSocket frame, a decoded base64 packet) is handed over as is.
  wrapBinary: (bytes) => (bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()).buffer as ArrayBuffer,
  canSetHeaders: false,
  onNetworkOnline: listen('online'),
  onNetworkOffline: listen('offline'),
  onBeforeUnload: listen('beforeunload'),
  get pageLocation() {
    return page.location;
  },
};
