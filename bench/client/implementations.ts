import type { Implementation } from '../lib/implementations.js';
import { ImplId } from '../lib/protocol.js';

/** The Socket.IO clients compared. */
export const ClientImplId = {
  Switchboard: ImplId.SwitchboardClient,
  Official: ImplId.SocketIoClient,
} as const;

/** One of the clients compared. */
export type ClientImplId = (typeof ClientImplId)[keyof typeof ClientImplId];

/** The clients, in the order each round runs them; both talk to our Socket.IO server. */
export const CLIENT_IMPLEMENTATIONS: readonly (Implementation & { readonly id: ClientImplId })[] = [
  {
    id: ClientImplId.Switchboard,
    label: 'switchboard/client',
    description: 'our Socket.IO client, Node entry (src/client-node: src/client on our WebSocket client, src/ws)',
    env: {},
  },
  {
    id: ClientImplId.Official,
    label: 'socket.io-client',
    description: 'the official socket.io-client (engine.io-client on ws)',
    env: {},
  },
];

/** The ratio every client table shows: ours over the official client. */
export const CLIENT_RATIOS: readonly (readonly [string, string])[] = [
  [ClientImplId.Switchboard, ClientImplId.Official],
];
