// The declarations name Node's types (Buffer, EventEmitter): `preserve` keeps this in the emitted
// .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * Redis for a cluster of Socket.IO servers: the adapters (`createAdapter` over pub/sub,
 * `createShardedAdapter` over sharded pub/sub, `createStreamsAdapter` over Redis Streams, with
 * connection state recovery on any node) and the `Emitter`, wire-compatible with
 * `@socket.io/redis-adapter`, `@socket.io/redis-streams-adapter` and `@socket.io/redis-emitter`.
 */
export { Emitter, EmitterBroadcastOperator, type EmitterEvents } from './emitter.js';
export type {
  EmitterOptions,
  RedisAdapterOptions,
  ShardedRedisAdapterOptions,
  StreamsAdapterOptions,
  SubscriptionMode,
} from './options.js';
export { MSGPACK_PARSER, type Parser } from './parser.js';
export { RedisAdapter, createAdapter } from './redis-adapter.js';
export { RedisAdapterBase, type RedisAdapterEvents } from './redis-adapter-base.js';
export type { IoRedisClient, MessageHandler, NodeRedisClient, RedisClient } from './redis-client.js';
export { ShardedRedisAdapter, createShardedAdapter } from './sharded-adapter.js';
export { StreamsRedisAdapter, createStreamsAdapter } from './streams-adapter.js';
export {
  RedisSessionRelay,
  createSessionRelay,
  type RelayRequest,
  type RelayRequestHandler,
  type RelayResponse,
  type RelayRefusal,
  type RelayStream,
  type RelayStreamHandler,
  type RelayStreamListener,
  type SessionRelayEvents,
  type SessionRelayOptions,
} from './session-relay.js';
