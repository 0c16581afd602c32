import type { Implementation } from '../lib/implementations.js';
import { ImplId } from '../lib/protocol.js';
import type { Driver } from '../socketio/protocol.js';

/** The Socket.IO clients compared. */
export const ClientImplId = {
  Switchboard: ImplId.SwitchboardClient,
  Official: ImplId.SocketIoClient,
} as const;

/** One of the clients compared. */
export type ClientImplId = (typeof ClientImplId)[keyof typeof ClientImplId];

/** An implementation the client loads run with, and what drives them: a client's `io()` or raw frames. */
export interface LoadImplementation extends Implementation {
  readonly driver: Driver;
}

/** The clients, in the order each round runs them; both talk to our Socket.IO server. */
export const CLIENT_IMPLEMENTATIONS: readonly (LoadImplementation & { readonly id: ClientImplId })[] = [
  {
    id: ClientImplId.Switchboard,
    label: 'switchboard/client',
    description: 'our Socket.IO client, Node entry (src/client-node: src/client on our WebSocket client, src/ws)',
    env: {},
    driver: 'client',
  },
  {
    id: ClientImplId.Official,
    label: 'socket.io-client',
    description: 'the official socket.io-client (engine.io-client on ws)',
    env: {},
    driver: 'client',
  },
];

/**
 * No client at all: the Socket.IO scenarios' raw frames (pre-encoded and pre-masked, replies known
 * by their first bytes) on a bare socket, in a process of its own like the clients. What it measures
 * is the server, the kernel and the two wake-ups every client pays too: with one event in flight, the
 * floor under any client's round trip on this machine. With many in flight it is a reference only:
 * it writes once per read, so a client that writes sooner can pass it.
 */
export const RAW_FRAMES: LoadImplementation = {
  id: ImplId.RawFrames,
  label: 'raw frames (no client)',
  description: 'no client library: pre-encoded Socket.IO frames on a bare TCP socket (bench/socketio/raw-loads.ts)',
  env: {},
  driver: 'raw',
};

/** What the emit and ack cells run: both clients, then the floor. */
export const LOAD_IMPLEMENTATIONS: readonly LoadImplementation[] = [...CLIENT_IMPLEMENTATIONS, RAW_FRAMES];

/** The ratio every client table shows: ours over the official client. */
export const CLIENT_RATIOS: readonly (readonly [string, string])[] = [
  [ClientImplId.Switchboard, ClientImplId.Official],
];

/** The emit and ack tables add the raw frames' ratio to the official client (for the round trip, the best any client could reach). */
export const LOAD_RATIOS: readonly (readonly [string, string])[] = [
  ...CLIENT_RATIOS,
  [RAW_FRAMES.id, ClientImplId.Official],
];
