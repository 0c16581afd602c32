import type { Implementation } from '../lib/implementations.js';
import { ImplId } from '../lib/protocol.js';

/** The Socket.IO servers compared. */
export const SocketIoImplId = {
  Switchboard: ImplId.SocketIoSwitchboard,
  Official: ImplId.SocketIo,
} as const;

/** The Socket.IO servers, in the order each round runs them. */
export const SOCKET_IO_IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: SocketIoImplId.Switchboard,
    label: 'switchboard/server',
    description: 'our Socket.IO server (src/server) on our Engine.IO (src/engine) and WebSocket (src/ws) layers',
    env: {},
  },
  {
    id: SocketIoImplId.Official,
    label: 'socket.io',
    description: 'the official socket.io server (engine.io on ws, with bufferutil when it loads)',
    env: {},
  },
];

/** The ratio every Socket.IO table shows: ours over the official server. */
export const SOCKET_IO_RATIOS: readonly (readonly [string, string])[] = [
  [SocketIoImplId.Switchboard, SocketIoImplId.Official],
];
