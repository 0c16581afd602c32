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
import type { RawData, WebSocket } from './websocket.js';

/*
 * The browser-style listeners of a `WebSocket` (`addEventListener`, the `on<event>` properties) are
 * Node-style listeners that wrap the one given: each wrapper builds the event object from the
 * arguments its Node-style event is emitted with, and carries the listener it wraps, by which
 * `removeEventListener` and the `on<event>` getters find it again.
 */
const BROWSER_LISTENER = Symbol('browserListener');
const HANDLER_PROPERTY = Symbol('handlerProperty');

// EventEmitter's own listener type; the wrappers below take the arguments each event is emitted with.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any[]`, as EventEmitter's, so every listener fits.
type NodeListener = ((...args: any[]) => void) & { [BROWSER_LISTENER]?: unknown; [HANDLER_PROPERTY]?: boolean };

function invoke<E>(listener: EventListenerLike<E>, target: unknown, event: E): void {
  if (typeof listener === 'function') listener.call(target, event);
  else listener.handleEvent(event);
}

/** The Node-style listener that calls `listener` with `type`'s event object; `undefined` for an unknown type. */
function wrap(
  socket: WebSocket,
  type: WebSocketEventType,
  listener: EventListenerLike<WebSocketEvent>,
): NodeListener | undefined {
  let wrapped: NodeListener;
  switch (type) {
    case 'open':
      wrapped = () => invoke(listener, socket, new WebSocketEvent('open', socket));
      break;
    case 'message':
      // Text always arrives as a Buffer: `binaryType` shapes binary messages only.
      wrapped = (data: RawData, isBinary: boolean) =>
        invoke(listener, socket, new MessageEvent(socket, isBinary ? data : (data as Buffer).toString()));
      break;
    case 'error':
      wrapped = (error: unknown) => invoke(listener, socket, new ErrorEvent(socket, error));
      break;
    case 'close':
      wrapped = (code: number, reason: Buffer) =>
        invoke(
          listener,
          socket,
          new CloseEvent(socket, code, reason.toString(), socket.closedCleanly && code !== CloseCode.AbnormalClosure),
        );
      break;
    default:
      return undefined;
  }
  wrapped[BROWSER_LISTENER] = listener;
  return wrapped;
}

/** `addEventListener`: a listener already added for `type` is not added twice, as in the DOM. */
export function addBrowserListener(
  socket: WebSocket,
  type: WebSocketEventType,
  listener: EventListenerLike<WebSocketEvent>,
  once: boolean | undefined,
): void {
  const wrapped = wrap(socket, type, listener);
  if (wrapped === undefined) return;
  if (socket.listeners(type).some((existing) => (existing as NodeListener)[BROWSER_LISTENER] === listener)) return;
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

/** The handler an `on<type>` property holds, `null` if none. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- E is each `on<event>` getter's type.
export function handlerProperty<E>(socket: WebSocket, type: WebSocketEventType): ((event: E) => void) | null {
  for (const existing of socket.listeners(type)) {
    const original = (existing as NodeListener)[BROWSER_LISTENER];
    if ((existing as NodeListener)[HANDLER_PROPERTY] && typeof original === 'function') {
      return original as (event: E) => void;
    }
  }
  return null;
}

/** Sets an `on<type>` property: it replaces the handler before it; anything but a function clears it. */
export function setHandlerProperty(
  socket: WebSocket,
  type: WebSocketEventType,
  handler: ((event: never) => void) | null,
): void {
  for (const existing of socket.listeners(type)) {
    if ((existing as NodeListener)[HANDLER_PROPERTY]) socket.removeListener(type, existing);
  }
  if (typeof handler !== 'function') return;
  const wrapped = wrap(socket, type, handler as EventListenerLike<WebSocketEvent>)!;
  wrapped[HANDLER_PROPERTY] = true;
  socket.on(type, wrapped as never);
}
