/*
 * The classic wire format of `@socket.io/redis-adapter` (its `createAdapter`) and of
 * `@socket.io/redis-emitter`, translated to and from the cluster adapter's vocabulary
 * (`ClusterMessage`, `ClusterResponse`), so the adapter logic stays in one place.
 *
 * Per namespace `nsp` and key `key` (default `socket.io`) there are three kinds of channels:
 * - `key#nsp#` and `key#nsp#room#` carry broadcasts, as `[uid, packet, opts]`; a broadcast to
 *   exactly one room goes to that room's channel, and nodes subscribe to the pattern `key#nsp#*`;
 * - `key-request#nsp#` carries requests `{ uid, type, requestId?, ... }`, the `type` one of
 *   {@link RequestType}; every node subscribes, so its subscriber count is the node count;
 * - `key-response#nsp#` (and `key-response#nsp#uid#`, for one node) carries responses
 *   `{ requestId, ... }`, which name their request's type only for acknowledgements.
 */
import { ClusterMessageType, type ClusterMessage, type ClusterResponse } from '../adapter/index.js';
import type { Room, SerializedBroadcastOptions, SerializedSocket } from '../adapter/index.js';
import type { Packet } from '../protocol/socket-io/index.js';
import { isFields, isRoomList } from './cluster-wire.js';

/** Kinds of classic requests. Values are part of the wire format. */
export const RequestType = {
  Sockets: 0,
  AllRooms: 1,
  RemoteJoin: 2,
  RemoteLeave: 3,
  RemoteDisconnect: 4,
  RemoteFetch: 5,
  ServerSideEmit: 6,
  Broadcast: 7,
  BroadcastClientCount: 8,
  BroadcastAck: 9,
} as const;

/** The classic channels of one namespace. */
export interface ClassicChannels {
  /** Broadcasts to everyone; a room's broadcasts go to `${broadcast}${room}#`. */
  readonly broadcast: string;
  /** Requests to every node. */
  readonly request: string;
  /** Responses to any node; `${response}${uid}#` reaches only the node `uid`. */
  readonly response: string;
}

/** The channels of namespace `nsp` under `key`. */
export function classicChannels(key: string, nsp: string): ClassicChannels {
  return { broadcast: `${key}#${nsp}#`, request: `${key}-request#${nsp}#`, response: `${key}-response#${nsp}#` };
}

/** A message to publish: the channel and the value to encode. */
export interface Outgoing {
  readonly channel: string;
  readonly body: unknown;
}

/** A request only the classic protocol has, answered from this node's rooms alone. */
export interface RoomQuery {
  readonly query: 'sockets' | 'rooms';
  readonly uid: string;
  readonly requestId: string;
  readonly rooms: Room[];
}

function targets(opts: SerializedBroadcastOptions): { rooms: Room[]; except: Room[] } {
  return { rooms: opts.rooms, except: opts.except };
}

/**
 * The classic form of a cluster message, or `undefined` for the kinds the classic protocol does
 * without (heartbeats, close notices: it counts nodes by their subscriptions instead).
 */
export function toClassic(message: ClusterMessage, channels: ClassicChannels): Outgoing | undefined {
  const { uid, nsp } = message;
  const request = channels.request;
  switch (message.type) {
    case ClusterMessageType.Broadcast: {
      const { packet, opts, requestId } = message.data;
      const withNsp = { ...packet, nsp };
      if (requestId !== undefined) {
        return { channel: request, body: { uid, requestId, type: RequestType.Broadcast, packet: withNsp, opts } };
      }
      const channel = opts.rooms.length === 1 ? `${channels.broadcast}${opts.rooms[0]}#` : channels.broadcast;
      return { channel, body: [uid, withNsp, opts] };
    }
    case ClusterMessageType.SocketsJoin:
    case ClusterMessageType.SocketsLeave: {
      const type = message.type === ClusterMessageType.SocketsJoin ? RequestType.RemoteJoin : RequestType.RemoteLeave;
      return { channel: request, body: { uid, type, opts: targets(message.data.opts), rooms: message.data.rooms } };
    }
    case ClusterMessageType.DisconnectSockets: {
      const { opts, close } = message.data;
      return { channel: request, body: { uid, type: RequestType.RemoteDisconnect, opts: targets(opts), close } };
    }
    case ClusterMessageType.FetchSockets: {
      const { opts, requestId } = message.data;
      return { channel: request, body: { uid, requestId, type: RequestType.RemoteFetch, opts: targets(opts) } };
    }
    case ClusterMessageType.ServerSideEmit: {
      const { packet, requestId } = message.data;
      // Official nodes expect an answer whenever the field is there, even empty: it is left out.
      const body =
        requestId === undefined
          ? { uid, type: RequestType.ServerSideEmit, data: packet }
          : { uid, requestId, type: RequestType.ServerSideEmit, data: packet };
      return { channel: request, body };
    }
    default:
      return undefined;
  }
}

/** The classic form of a response. */
export function toClassicResponse(response: ClusterResponse): unknown {
  switch (response.type) {
    case ClusterMessageType.FetchSocketsResponse:
      return { requestId: response.data.requestId, sockets: response.data.sockets };
    case ClusterMessageType.ServerSideEmitResponse:
      return { type: RequestType.ServerSideEmit, requestId: response.data.requestId, data: response.data.packet };
    case ClusterMessageType.BroadcastClientCount:
      return { type: RequestType.BroadcastClientCount, ...response.data };
    case ClusterMessageType.BroadcastAck:
      return { type: RequestType.BroadcastAck, requestId: response.data.requestId, packet: response.data.packet };
  }
}

type Fields = Record<string, unknown>;

/** Reads `{ rooms, except?, flags? }`; throws when it is not that. */
function readOptions(value: unknown): SerializedBroadcastOptions {
  if (!isFields(value) || !isRoomList(value.rooms)) throw new Error('options without a list of rooms');
  const except = value.except ?? [];
  if (!isRoomList(except)) throw new Error('options with an invalid list of excluded rooms');
  const flags = isFields(value.flags) ? value.flags : {};
  return { rooms: value.rooms, except, flags };
}

function readPacket(value: unknown): Packet {
  if (!isFields(value) || typeof value.type !== 'number') throw new Error('a packet without a type');
  return value as unknown as Packet;
}

function readString(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw new Error(`no ${name}`);
  return value;
}

/**
 * Reads a broadcast `[uid, packet, opts]` from a broadcast channel. Returns `undefined` for a
 * broadcast of another namespace; throws on anything that is not a broadcast.
 */
export function fromClassicBroadcast(value: unknown, nsp: string): ClusterMessage | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string')
    throw new Error('a broadcast that is not [uid, packet, opts]');
  const packet = readPacket(value[1]);
  // Senders before the namespace field existed meant the main namespace.
  if ((packet.nsp ?? '/') !== nsp) return undefined;
  return { uid: value[0], nsp, type: ClusterMessageType.Broadcast, data: { packet, opts: readOptions(value[2]) } };
}

/**
 * Reads a request from the request channel of namespace `nsp`. Returns `undefined` for the kinds
 * this node ignores (the per-socket form of join, leave and disconnect, which no current sender
 * uses); throws on anything malformed. Requests from an emitter carry no uid: they get `emitter`.
 */
export function fromClassicRequest(value: unknown, nsp: string): ClusterMessage | RoomQuery | undefined {
  if (!isFields(value)) throw new Error('a request that is not an object');
  const uid = typeof value.uid === 'string' ? value.uid : 'emitter';
  const requestId = value.requestId;
  if (requestId !== undefined && typeof requestId !== 'string') throw new Error('a request id that is not a string');
  switch (value.type) {
    case RequestType.Sockets:
    case RequestType.AllRooms: {
      const rooms = value.rooms ?? [];
      if (!isRoomList(rooms)) throw new Error('a query with an invalid list of rooms');
      const query = value.type === RequestType.Sockets ? 'sockets' : 'rooms';
      return { query, uid, requestId: readString(value, 'requestId'), rooms };
    }
    case RequestType.RemoteJoin:
    case RequestType.RemoteLeave: {
      if (value.opts === undefined) return undefined;
      const rooms = value.rooms;
      if (!isRoomList(rooms)) throw new Error('a join or leave request without a list of rooms');
      const type =
        value.type === RequestType.RemoteJoin ? ClusterMessageType.SocketsJoin : ClusterMessageType.SocketsLeave;
      return { uid, nsp, type, data: { opts: readOptions(value.opts), rooms } };
    }
    case RequestType.RemoteDisconnect: {
      if (value.opts === undefined) return undefined;
      const data = { opts: readOptions(value.opts), close: value.close === true };
      return { uid, nsp, type: ClusterMessageType.DisconnectSockets, data };
    }
    case RequestType.RemoteFetch: {
      const data = { opts: readOptions(value.opts), requestId: readString(value, 'requestId') };
      return { uid, nsp, type: ClusterMessageType.FetchSockets, data };
    }
    case RequestType.ServerSideEmit: {
      const packet = value.data;
      if (!Array.isArray(packet)) throw new Error('a server-side emit without arguments');
      const data = requestId === undefined ? { packet } : { packet, requestId };
      return { uid, nsp, type: ClusterMessageType.ServerSideEmit, data };
    }
    case RequestType.Broadcast: {
      const data = {
        packet: readPacket(value.packet),
        opts: readOptions(value.opts),
        requestId: readString(value, 'requestId'),
      };
      return { uid, nsp, type: ClusterMessageType.Broadcast, data };
    }
    default:
      throw new Error(`a request of unknown type ${String(value.type)}`);
  }
}

function readSocket(value: unknown): SerializedSocket {
  if (!isFields(value) || typeof value.id !== 'string' || !isRoomList(value.rooms) || !isFields(value.handshake)) {
    throw new Error('a socket description without id, rooms or handshake');
  }
  return value as unknown as SerializedSocket;
}

/**
 * Reads a response from a response channel of namespace `nsp`. Returns `undefined` for answers
 * to requests this node never sends (room lists, socket ids); throws on anything malformed.
 */
export function fromClassicResponse(value: unknown, nsp: string): ClusterResponse | undefined {
  if (!isFields(value)) throw new Error('a response that is not an object');
  const requestId = readString(value, 'requestId');
  const uid = '';
  switch (value.type) {
    case RequestType.BroadcastClientCount: {
      const clientCount = value.clientCount;
      if (typeof clientCount !== 'number') throw new Error('a client count that is not a number');
      return { uid, nsp, type: ClusterMessageType.BroadcastClientCount, data: { requestId, clientCount } };
    }
    case RequestType.BroadcastAck:
      return { uid, nsp, type: ClusterMessageType.BroadcastAck, data: { requestId, packet: value.packet } };
    case RequestType.ServerSideEmit:
      return {
        uid,
        nsp,
        type: ClusterMessageType.ServerSideEmitResponse,
        data: { requestId, packet: value.data },
      };
  }
  const sockets = value.sockets;
  if (!Array.isArray(sockets) || sockets.some((socket) => typeof socket === 'string')) return undefined;
  return {
    uid,
    nsp,
    type: ClusterMessageType.FetchSocketsResponse,
    data: { requestId, sockets: sockets.map(readSocket) },
  };
}
