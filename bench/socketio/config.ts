import type { BenchConfig } from '../lib/config.js';

/** What the Socket.IO scenarios measure and for how long, on top of the suite's rounds. */
export interface SocketIoConfig {
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Emit throughput: clients, events in flight per client, generator processes for `socket.io-client`. */
  readonly emit: { readonly connections: number; readonly window: number; readonly clientProcesses: number };
  /** Ack round trips under load: clients, one ack in flight each. */
  readonly ack: { readonly loadedConnections: number };
  /** Broadcast: clients, and the events in flight of each cell (1 for latency, more for throughput). */
  readonly broadcast: {
    readonly clients: number;
    readonly windows: readonly number[];
    readonly warmupMs: number;
    readonly measureMs: number;
  };
  readonly memory: { readonly connections: number };
  /** Whether the ack scenario also measures the HTTP long-polling transport. */
  readonly polling: boolean;
}

/** The full run: about three minutes on two cores. */
const FULL: SocketIoConfig = {
  warmupMs: 300,
  measureMs: 1000,
  emit: { connections: 100, window: 16, clientProcesses: 2 },
  ack: { loadedConnections: 100 },
  broadcast: { clients: 1000, windows: [1, 16], warmupMs: 300, measureMs: 1000 },
  memory: { connections: 3000 },
  polling: true,
};

/** The smoke run: every cell end to end in about 20 seconds; the numbers are not meaningful. */
const SMOKE: SocketIoConfig = {
  warmupMs: 50,
  measureMs: 150,
  emit: { connections: 20, window: 16, clientProcesses: 2 },
  ack: { loadedConnections: 20 },
  broadcast: { clients: 100, windows: [1, 16], warmupMs: 50, measureMs: 200 },
  memory: { connections: 200 },
  polling: true,
};

/** The Socket.IO settings for the suite's mode. */
export function socketIoConfig(config: BenchConfig): SocketIoConfig {
  return config.mode === 'smoke' ? SMOKE : FULL;
}
