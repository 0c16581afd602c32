// The declarations name Node's types (Buffer, EventEmitter, node:http): `preserve` keeps this in
// the emitted .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * Node bindings of the WebSocket protocol: {@link WebSocketServer} and the browser-shaped
 * {@link WebSocket} (client and server side alike), with `ws`'s option and event names.
 */
export {
  allOf,
  allowOrigins,
  basicAuth,
  bearerToken,
  type AuthenticateHook,
  type HandshakeRejection,
  type VerifyClient,
  type VerifyClientCallback,
  type VerifyClientInfo,
} from './auth.js';
export { default, type WsModuleStatics } from './default-export.js';
export {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  WebSocketEvent,
  type EventListenerLike,
  type WebSocketEventType,
} from './events.js';
export { DEFAULT_INFLATE_BUDGET, InflateBudget, defaultInflateBudget } from './inflate-budget.js';
export { BackpressurePolicy, type ConnectionSettings } from './options.js';
export { DEFAULT_DEFLATE_THRESHOLD, type PerMessageDeflateOptions } from './permessage-deflate.js';
export type { BinaryType, ControlData, SendData } from './send-data.js';
export { createWebSocketStream } from './stream.js';
export { DEFAULT_SEND_BUDGET, SendBudget, defaultSendBudget } from './send-budget.js';
export {
  WebSocket,
  type RawData,
  type SendCallback,
  type SendOptions,
  type WebSocketEventMap,
  type WebSocketEvents,
  type WebSocketOptions,
} from './websocket.js';
export {
  WebSocketServer,
  type BroadcastOptions,
  type WebSocketServerEvents,
  type WebSocketServerOptions,
} from './websocket-server.js';
export { DEFAULT_ZLIB_CONCURRENCY, ZlibLimiter, defaultZlibLimiter, type LimitedJob } from './zlib-limiter.js';
export type { ZlibDeflateSettings, ZlibInflateSettings } from './zlib-options.js';
export { CloseCode, ErrorCode, WebSocketError } from '../protocol/index.js';
