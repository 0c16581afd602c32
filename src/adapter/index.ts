// The declarations name Node's types (Buffer, EventEmitter, node:http): `preserve` keeps this in
// the emitted .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * The adapter port (rooms and delivery for a namespace), the default in-memory adapter and the
 * abstract cluster adapter that multi-node adapters (Redis, ...) extend.
 */
export {
  ClusterAdapter,
  ClusterMessageType,
  serializeOptions,
  type ClusterAdapterOptions,
  type DistributiveOmit,
  type ClusterMessage,
  type ClusterResponse,
  type SerializedBroadcastOptions,
  type SerializedSocket,
} from './cluster-adapter.js';
export {
  ClusterAdapterWithHeartbeat,
  type ClusterAdapterWithHeartbeatOptions,
} from './cluster-adapter-with-heartbeat.js';
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
export { WIRE_ENCODER, toWireChunks, type PacketEncoder } from './wire.js';
