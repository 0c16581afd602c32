// The declarations name Node's types (Buffer, EventEmitter, node:http): `preserve` keeps this in
// the emitted .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * The Socket.IO protocol v5 server: namespaces, sockets, rooms, broadcasts with acknowledgements,
 * middlewares and connection state recovery, on Switchboard's Engine.IO server.
 */
export { ACK_TIMEOUT_MESSAGE, DISCONNECTED_MESSAGE } from './ack-errors.js';
export { BroadcastOperator, RemoteSocket, type BroadcastAckCallback } from './broadcast-operator.js';
export { Client } from './client.js';
export { DisconnectReason, RECOVERABLE_DISCONNECT_REASONS } from './disconnect-reason.js';
export type { EngineConnection } from './engine-port.js';
export {
  Namespace,
  type ConnectionError,
  type ConnectionMiddleware,
  type NamespaceEventNames,
  type NamespaceEvents,
  type NamespaceListener,
} from './namespace.js';
export { SERVER_DEFAULTS, type ConnectionStateRecoveryOptions, type ServerOptions } from './options.js';
export { ParentNamespace, type NamespaceMatcher } from './parent-namespace.js';
export { Server } from './server.js';
export { Socket, type AnyListener, type EventMiddleware, type SocketReservedEvents } from './socket.js';
export type {
  AckResponse,
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithSingleResponse,
  DefaultEventsMap,
  EmitWithAckResult,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from './typed-events.js';
// What `error` listeners and the "parse error" disconnect receive for a malformed packet.
export { SocketIoErrorCode, SocketIoParseError } from '../protocol/socket-io/index.js';
