/**
 * What the client's Socket.IO layer (Manager, Socket) needs from its Engine.IO layer, and what the
 * Engine.IO layer needs from the host (browser or Node). Both sides are written against these
 * types, so the browser bundle never reaches Node-only code: the Node entry passes a platform built
 * on our own WebSocket client, the browser entry one built on the page's `WebSocket` and `fetch`.
 */

/** What a WebSocket hands its event handlers: the event's `type` (`open`, `message`, `error`, `close`), a message's `data`. */
export interface WebSocketEventLike {
  readonly type: string;
  readonly data?: unknown;
}

/** A WebSocket as the browser defines it: the only shape the client's WebSocket transport uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: WebSocketEventLike) => void) | null;
  onmessage: ((event: WebSocketEventLike) => void) | null;
  onclose: ((event: WebSocketEventLike) => void) | null;
  onerror: ((event: WebSocketEventLike) => void) | null;
  /**
   * `options` is read by Node's WebSocket (`compress: false` for a message sent so); a browser's
   * WebSocket takes no second argument and ignores it.
   */
  send(data: string | ArrayBufferView | ArrayBuffer, options?: { compress?: boolean }): void;
  close(code?: number, reason?: string): void;
}

/** What the host provides: how to open a WebSocket and make HTTP requests. */
export interface ClientPlatform {
  /**
   * Opens a WebSocket. `headers` is only honoured where the host can send them (Node); in a
   * browser it is always empty (the entry refuses `extraHeaders` for WebSocket there).
   */
  createWebSocket(url: string, headers: Readonly<Record<string, string>>): WebSocketLike;
  /** The `fetch` used by the long-polling transport. */
  fetch: typeof fetch;
  /**
   * How received binary data is handed to the application: `ArrayBuffer` in browsers,
   * `Buffer` in Node (as `socket.io-client` does).
   */
  wrapBinary(bytes: Uint8Array): Uint8Array | ArrayBuffer;
  /** Whether request headers (`extraHeaders`) can be set on every transport. */
  readonly canSetHeaders: boolean;
  /**
   * Calls `listener` when the host reports that the network came back (`online` in browsers);
   * returns the function that stops listening. Node has no such event: a no-op.
   */
  onNetworkOnline(listener: () => void): () => void;
  /**
   * Calls `listener` when the host reports that the network is gone (`offline` in browsers), so a
   * session closes at once rather than after its ping timeout; returns the function that stops
   * listening. Node: a no-op.
   */
  onNetworkOffline(listener: () => void): () => void;
  /**
   * Calls `listener` before the page unloads (`beforeunload`), for `closeOnBeforeunload`; returns
   * the function that stops listening. Node: a no-op.
   */
  onBeforeUnload(listener: () => void): () => void;
  /** The page's origin (`location`) in a browser, for `io()` with no URL; `undefined` in Node. */
  readonly pageLocation: { readonly protocol: string; readonly host: string } | undefined;
}

/** The transports a client can use, by their Engine.IO names. */
export type TransportName = 'websocket' | 'polling';

/** The transport a session uses, as the application sees it (`manager.engine.transport.name`). */
export interface TransportInfo {
  readonly name: TransportName;
}

/**
 * Why an Engine.IO session ended: the reason strings `socket.io-client` hands to `disconnect`.
 * `forced close` is the application's own `close()`.
 */
export type EngineCloseReason = 'transport close' | 'transport error' | 'ping timeout' | 'parse error' | 'forced close';

/** Options of one Engine.IO session (a subset of the Manager's options, already checked). */
export interface EngineSocketOptions {
  /** `ws:`/`wss:`/`http:`/`https:` URL of the server's origin, without path (e.g. `http://localhost:3000`). */
  readonly origin: string;
  /** The Engine.IO path, with leading and trailing slash (`/socket.io/`). */
  readonly path: string;
  /** Extra query parameters sent on every request. */
  readonly query: Readonly<Record<string, string>>;
  /**
   * Transports in order of preference. The default `['websocket', 'polling']` opens a WebSocket
   * first and falls back to long-polling when it cannot open; `['polling', 'websocket']` starts
   * with polling and upgrades, as the official client does.
   */
  readonly transports: readonly TransportName[];
  /** Whether to upgrade from polling to WebSocket when the server offers it. */
  readonly upgrade: boolean;
  /** Start with WebSocket next time if the last upgrade to it succeeded (official meaning). */
  readonly rememberUpgrade: boolean;
  /** On failure of the first transport, try the next ones in `transports` (official meaning). */
  readonly tryAllTransports: boolean;
  /** `fetch` credentials: `include` when true, `same-origin` otherwise. */
  readonly withCredentials: boolean;
  /** Headers sent with every request (where the platform allows). */
  readonly extraHeaders: Readonly<Record<string, string>>;
  /** Milliseconds the whole opening (handshake included) may take before `connect_error`. */
  readonly timeout: number;
  /** Whether to close the session when the page unloads. */
  readonly closeOnBeforeunload: boolean;
  /** Append a timestamp query parameter to polling requests (cache busting), as `timestampRequests`. */
  readonly timestampRequests: boolean;
  /** Name of that query parameter (`t`). */
  readonly timestampParam: string;
}

/** The events an Engine.IO session emits to the Manager. */
export interface EngineSocketEvents {
  /** The handshake completed: `id` is set and `send` works. */
  open: [];
  /** One Engine.IO message: text, or bytes (as {@link ClientPlatform.wrapBinary} made them). */
  message: [data: string | Uint8Array | ArrayBuffer];
  /** A server ping arrived (answered by the session itself). */
  ping: [];
  /** Every packet written to the transport has been flushed. */
  drain: [];
  /** The session moved to another transport (after an upgrade or a fallback). */
  upgrade: [transport: TransportInfo];
  /** The session ended; emitted once. `description` carries the underlying error or close event. */
  close: [reason: EngineCloseReason, description?: unknown];
  /** The session could not open (no transport worked, or the server refused); followed by `close`. */
  error: [error: Error];
}

/** One Engine.IO session, as the Manager drives it. */
export interface EngineSocketLike {
  /** The session id from the handshake; `undefined` before `open`. */
  readonly id: string | undefined;
  /** The transport in use. */
  readonly transport: TransportInfo;
  /** True when a packet sent now would be written at once (not queued): what `volatile` checks. */
  readonly writable: boolean;
  /** Sends one Engine.IO message packet; queued while an upgrade or a poll is in flight. */
  send(data: string | Uint8Array, options?: { compress?: boolean }): void;
  /** Ends the session (`close` with `forced close`). */
  close(): void;
  on<E extends keyof EngineSocketEvents>(event: E, listener: (...args: EngineSocketEvents[E]) => void): this;
  off<E extends keyof EngineSocketEvents>(event: E, listener: (...args: EngineSocketEvents[E]) => void): this;
}
