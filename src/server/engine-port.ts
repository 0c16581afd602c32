import type { IncomingMessage } from 'node:http';
import type { CreatedPacket, PreparedMessage } from '../engine/index.js';
import type { Packet } from '../protocol/engine-io/index.js';

/**
 * The part of an Engine.IO session the Socket.IO layer uses: one per client connection.
 * `EngineSocket` of `switchboard/engine` implements it.
 */
export interface EngineConnection {
  /** Engine.IO session id. */
  readonly id: string;
  /** The HTTP request that opened the session (or the engine's lighter copy of it). */
  readonly request: IncomingMessage;
  /** Engine.IO protocol revision (4). */
  readonly protocol: number;
  /** `opening`, `open`, `closing` or `closed`. */
  readonly readyState: string;
  /** Name of the transport in use: `polling` or `websocket`. */
  readonly transportName: string;
  /** The transport in use: its `name` (`polling` or `websocket`) and whether it takes packets now. */
  readonly transport: { readonly name: string; readonly writable: boolean };
  /** Remote address, when the engine records it. */
  readonly remoteAddress?: string;
  /** Whether a write would go out now rather than wait in a buffer (volatile packets are dropped otherwise). */
  readonly writable?: boolean;
  /** Sends one Engine.IO message. */
  send(data: string | Buffer, options?: { compress?: boolean }, callback?: () => void): unknown;
  /** Sends a message encoded once for many connections (a broadcast). */
  sendPrepared(message: PreparedMessage, callback?: () => void): unknown;
  /** Closes the session (reason "forced close"). */
  close(): unknown;
  on(event: 'message', listener: (data: string | Buffer) => void): unknown;
  on(event: 'close', listener: (reason: string, description?: unknown) => void): unknown;
  /** The client probed the transport it may move to. */
  on(event: 'upgrading', listener: (transport: { readonly name: string }) => void): unknown;
  /** The session moved to another transport (polling to WebSocket). */
  on(event: 'upgrade', listener: (transport: { readonly name: string }) => void): unknown;
  /** Everything buffered was handed to the transport. */
  on(event: 'drain', listener: () => void): unknown;
  /** Any Engine.IO packet from the client, before it is acted on. */
  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  /** Any Engine.IO packet queued for the client, with the options it was sent with (`options.compress`). */
  on(event: 'packetCreate', listener: (packet: CreatedPacket) => void): unknown;
  /** The data of a message from the client, as `message` gives it. */
  on(event: 'data', listener: (data: string | Buffer) => void): unknown;
  /** The buffered packets about to be handed to the transport. */
  on(event: 'flush', listener: (packets: readonly Packet[]) => void): unknown;
  /** The client answered a ping. */
  on(event: 'heartbeat', listener: () => void): unknown;
  off(event: 'message', listener: (data: string | Buffer) => void): unknown;
  off(event: 'close', listener: (reason: string, description?: unknown) => void): unknown;
}
