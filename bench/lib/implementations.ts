import { ImplId } from './protocol.js';

/** An implementation under test and how its server process is started. */
export interface Implementation {
  readonly id: ImplId;
  readonly label: string;
  readonly description: string;
  /** Environment of its server process. */
  readonly env: Readonly<Record<string, string>>;
}

/** The implementations, in the order each round runs them. */
export const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: ImplId.Switchboard,
    label: 'switchboard',
    description: 'our WebSocketServer (src/ws), default options',
    env: {},
  },
  {
    id: ImplId.Ws,
    label: 'ws',
    description: 'ws without native helpers (WS_NO_BUFFER_UTIL=1, WS_NO_UTF_8_VALIDATE=1)',
    env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
  },
  {
    id: ImplId.WsNative,
    label: 'ws+native',
    description: 'ws with bufferutil and utf-8-validate installed',
    env: {},
  },
  {
    id: ImplId.RawTcp,
    label: 'raw TCP',
    description: 'ceiling: node:net echo that rewrites client frames into server frames in place (no validation)',
    env: {},
  },
];

/** The pairs whose ratio each table shows: ours against both flavours of ws, and the ceiling against ws. */
export const RATIOS: readonly (readonly [ImplId, ImplId])[] = [
  [ImplId.Switchboard, ImplId.Ws],
  [ImplId.Switchboard, ImplId.WsNative],
  [ImplId.RawTcp, ImplId.Ws],
];
