/**
 * The event objects of the browser's WebSocket interface (WHATWG WebSockets): `open`, `message`,
 * `error` and `close`, and the `addEventListener` plumbing that maps them onto the Node-style
 * events every `WebSocket` also emits.
 */

/** A plain event: `type` and the `target` it was fired at. */
export class WebSocketEvent {
  readonly type: string;
  readonly target: unknown;

  constructor(type: string, target: unknown) {
    this.type = type;
    this.target = target;
  }

  /** The object the listener was registered on. */
  get currentTarget(): unknown {
    return this.target;
  }
}

/** A received message; `data` is a string for text, and for binary follows `binaryType`. */
export class MessageEvent extends WebSocketEvent {
  readonly data: unknown;

  constructor(target: unknown, data: unknown) {
    super('message', target);
    this.data = data;
  }
}

/** The connection closed; `wasClean` tells whether the close handshake completed (RFC 6455 §7.1.4). */
export class CloseEvent extends WebSocketEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(target: unknown, code: number, reason: string, wasClean: boolean) {
    super('close', target);
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/** The connection failed; `error` holds the cause (browsers expose none, Node code usually wants it). */
export class ErrorEvent extends WebSocketEvent {
  readonly error: unknown;
  readonly message: string;

  constructor(target: unknown, error: unknown) {
    super('error', target);
    this.error = error;
    this.message = error instanceof Error ? error.message : String(error);
  }
}

/** A listener as `addEventListener` accepts it: a function or an object with `handleEvent`. */
export type EventListenerLike<E> = ((event: E) => void) | { handleEvent(event: E): void };

/** The browser-style event types. */
export type WebSocketEventType = 'open' | 'message' | 'error' | 'close';
