import type { Buffer } from 'node:buffer';
import { CloseCode } from '../protocol/index.js';
import {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  WebSocketEvent,
  type EventListenerLike,
  type WebSocketEventType,
} from './events.js';
import type { WebSocket } from './websocket.js';

/*
 * The browser-style listeners of a `WebSocket` are Node-style listeners that build the event object
 * from the arguments their Node-style event is emitted with. An `addEventListener` listener gets a
 * wrapper of its own, which carries the listener it wraps, by which `removeEventListener` finds it
 * again. The `on<event>` handlers, which every Socket.IO client sets, cost no closure: the handler
 * sits in the socket's `EventHandlers`, and one shared function per event type, called by
 * EventEmitter with the socket as `this`, stands for it among the listeners.
 */
const BROWSER_LISTENER = Symbol('browserListener');

// EventEmitter's own listener type; the wrappers below take the arguments each event is emitted with.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any[]`, as EventEmitter's, so every listener fits.
type NodeListener = ((...args: any[]) => void) & { [BROWSER_LISTENER]?: unknown };

/** An `on<event>` handler. */
type Handler = (event: WebSocketEvent) => void;

/** The `on<event>` handlers of one socket, created when the first is set. */
export class EventHandlers {
  open: Handler | null = null;
  message: Handler | null = null;
  error: Handler | null = null;
  close: Handler | null = null;
}

function isEventType(type: string): type is WebSocketEventType {
  return type === 'open' || type === 'message' || type === 'error' || type === 'close';
}

/** `type`'s event object, from the arguments of its Node-style event. */
function toEvent(socket: WebSocket, type: WebSocketEventType, first: unknown, second: unknown): WebSocketEvent {
  switch (type) {
    case 'open':
      return new WebSocketEvent('open', socket);
    case 'message':
      // (data, isBinary). Text always arrives as a Buffer: `binaryType` shapes binary messages only.
      return new MessageEvent(socket, second === true ? first : (first as Buffer).toString());
    case 'error':
      return new ErrorEvent(socket, first);
    case 'close': {
      // (code, reason)
      const code = first as number;
      const wasClean = socket.closedCleanly && code !== CloseCode.AbnormalClosure;
      return new CloseEvent(socket, code, (second as Buffer).toString(), wasClean);
    }
  }
}

/** The listener that stands for `type`'s `on<type>` handler on every socket (see the top of this file). */
function handlerDispatcher(type: WebSocketEventType): NodeListener {
  return function dispatch(this: WebSocket, first: unknown, second: unknown): void {
    // Read when called, as the DOM reads an event handler: one changed meanwhile is the one called.
    const handler = this.eventHandlers?.[type];
    if (handler) handler.call(this, toEvent(this, type, first, second));
  };
}

const DISPATCHERS: Readonly<Record<WebSocketEventType, NodeListener>> = {
  open: handlerDispatcher('open'),
  message: handlerDispatcher('message'),
  error: handlerDispatcher('error'),
  close: handlerDispatcher('close'),
};

/**
 * `addEventListener`: a listener already added for `type` is not added twice, as in the DOM; an
 * `on<type>` handler is apart from these, as in `ws`.
 */
export function addBrowserListener(
  socket: WebSocket,
  type: WebSocketEventType,
  listener: EventListenerLike<WebSocketEvent>,
  once: boolean | undefined,
): void {
  if (!isEventType(type)) return;
  if (socket.listeners(type).some((existing) => (existing as NodeListener)[BROWSER_LISTENER] === listener)) return;
  const wrapped: NodeListener = (first: unknown, second: unknown) => {
    const event = toEvent(socket, type, first, second);
    if (typeof listener === 'function') listener.call(socket, event);
    else listener.handleEvent(event);
  };
  wrapped[BROWSER_LISTENER] = listener;
  // The wrapper takes the Node-style arguments of `type`; the generic signature cannot say so.
  if (once) socket.once(type, wrapped as never);
  else socket.on(type, wrapped as never);
}

/** `removeEventListener`. */
export function removeBrowserListener(
  socket: WebSocket,
  type: WebSocketEventType,
  listener: EventListenerLike<WebSocketEvent>,
): void {
  for (const existing of socket.listeners(type)) {
    if ((existing as NodeListener)[BROWSER_LISTENER] === listener) {
      socket.removeListener(type, existing);
      return;
    }
  }
}

/** The handler an `on<type>` property holds, `null` if none (or if its listener was removed, by `removeAllListeners`). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- E is each `on<event>` getter's type.
export function handlerProperty<E>(socket: WebSocket, type: WebSocketEventType): ((event: E) => void) | null {
  const handler = socket.eventHandlers?.[type];
  if (!handler || !socket.listeners(type).includes(DISPATCHERS[type])) return null;
  return handler as (event: E) => void;
}

/**
 * Sets an `on<type>` property: anything but a function clears it. As in `ws`, a handler set
 * anew runs after the listeners added before it.
 */
export function setHandlerProperty(
  socket: WebSocket,
  type: WebSocketEventType,
  handler: ((event: never) => void) | null,
): void {
  const dispatcher = DISPATCHERS[type];
  socket.removeListener(type, dispatcher as never);
  if (typeof handler !== 'function') {
    if (socket.eventHandlers) socket.eventHandlers[type] = null;
    return;
  }
  (socket.eventHandlers ??= new EventHandlers())[type] = handler as Handler;
  socket.on(type, dispatcher as never);
}
