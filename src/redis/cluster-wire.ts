import { ClusterMessageType, type ClusterMessage, type ClusterResponse, type Room } from '../adapter/index.js';

/** The message types that answer a request, sent to the one node that asked. */
const RESPONSE_TYPES: ReadonlySet<number> = new Set([
  ClusterMessageType.FetchSocketsResponse,
  ClusterMessageType.ServerSideEmitResponse,
  ClusterMessageType.BroadcastClientCount,
  ClusterMessageType.BroadcastAck,
]);

/** Whether a decoded value is an object of named fields (not an array, not `null`). */
export function isFields(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a decoded value is a list of room names (strings or numbers). */
export function isRoomList(value: unknown): value is Room[] {
  return Array.isArray(value) && value.every((room) => typeof room === 'string' || typeof room === 'number');
}

/**
 * Reads a message the way the official cluster adapter publishes them (`{ uid, nsp, type, data }`,
 * the sharded and the Streams adapters' format); throws on anything that is not one. The fields
 * of each type are checked further by the cluster adapter, which ignores what it cannot act on.
 */
export function readClusterMessage(value: unknown): ClusterMessage | ClusterResponse {
  if (!isFields(value) || typeof value.uid !== 'string' || typeof value.type !== 'number') {
    throw new Error('a message without uid or type');
  }
  if (RESPONSE_TYPES.has(value.type) && (!isFields(value.data) || typeof value.data.requestId !== 'string')) {
    throw new Error('a response without a request id');
  }
  return value as unknown as ClusterMessage | ClusterResponse;
}

/** Whether a message read by {@link readClusterMessage} is a response to a request of this node. */
export function isClusterResponse(message: ClusterMessage | ClusterResponse): message is ClusterResponse {
  return RESPONSE_TYPES.has(message.type);
}
