// The declarations name Node's types (Buffer, EventEmitter, node:http): `preserve` keeps this in
// the emitted .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * Engine.IO protocol v4 server: sessions over HTTP long-polling and WebSocket, upgrades,
 * heartbeats, CORS and the protocol's HTTP errors. The layer the Socket.IO server runs on.
 */
export {
  ENGINE_DEFAULTS,
  TransportName,
  type AllowRequest,
  type ConnectionLimits,
  type CookieOptions,
  type EngineServerOptions,
  type HttpCompressionOptions,
  type ResolvedEngineOptions,
} from './options.js';
export {
  EngineServer,
  type AttachOptions,
  type ConnectionError,
  type EngineHeaders,
  type EngineServerEvents,
} from './server.js';
export {
  CloseReason,
  EngineSocket,
  type CreatedPacket,
  type EngineSendOptions,
  type EngineSocketEvents,
  type EngineSocketState,
} from './socket.js';
export { HandshakeRequest } from './handshake-request.js';
export type {
  RelayHandler,
  RelayStreamHandler,
  RelayedRefusal,
  RelayedRequest,
  RelayedResponse,
  RelayedStream,
  RelayedStreamListener,
  SessionRelay,
} from './session-relay.js';
export { type CorsOptions, type CorsOptionsDelegate, type CorsOriginFunction, type StaticOrigin } from './cors.js';
export { type EngineMiddleware } from './middleware.js';
export { HTTP_SERVER_LIMITS, createHttpServer, type HttpServerLimits, type HttpServerOptions } from './http-server.js';
export { PreparedMessage } from './prepared-message.js';
export { TransportError, type EngineTransport } from './transport.js';
// What a session's close reports as its description after "parse error".
export { EngineErrorCode, EngineIOParseError, ParseErrorCode } from '../protocol/engine-io/index.js';
