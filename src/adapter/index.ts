/**
 * The adapter port (rooms and delivery for a namespace), the default in-memory adapter and the
 * abstract cluster adapter that multi-node adapters (Redis, ...) extend.
 */
export {
  ClusterAdapter,
  ClusterMessageType,
  type ClusterAdapterOptions,
  type ClusterMessage,
  type ClusterResponse,
  type SerializedBroadcastOptions,
  type SerializedSocket,
} from './cluster-adapter.js';
export { InMemoryAdapter } from './in-memory-adapter.js';
export type {
  AckCallback,
  Adapter,
  AdapterConstructor,
  AdapterEvents,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  PrivateSessionId,
  RecoverySettings,
  Room,
  Session,
  SessionToPersist,
  SocketDetails,
  SocketId,
  WireChunks,
} from './types.js';
export { toWireChunks } from './wire.js';
