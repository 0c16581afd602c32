// The declarations name Node's types (Buffer, EventEmitter, node:http): `preserve` keeps this in
// the emitted .d.ts, so a project compiled with `"types": []` still loads @types/node.
/// <reference types="node" preserve="true" />
/**
 * The package root: the names a user reaches for first, the realtime server of
 * `switchboard/server` (Socket.IO protocol) and the `WebSocket` and `WebSocketServer` of
 * `switchboard/ws`. No two of them share a name; everything else is in its subpath.
 *
 * @example
 * import { Server, WebSocketServer } from 'switchboard';
 */
export { Namespace, Server, Socket, type ServerOptions } from './server/index.js';
export { WebSocket, WebSocketServer, type WebSocketOptions, type WebSocketServerOptions } from './ws/index.js';
