/**
 * The messages the Socket.IO benchmarks exchange with their child processes: what a Socket.IO
 * server process answers, and the loads a generator process can apply. Replies and samples share
 * the shapes of the WebSocket benchmarks (`Reply`, `LoadSample`, `LoadResult`).
 */

/** Event names the benchmark server listens to, the same on every implementation. */
export const BenchEvent = {
  /** The server emits the same event, with the same argument, back to the sender. */
  Echo: 'echo',
  /** The server acknowledges with the argument it received. */
  Ack: 'ack',
  /** The server emits the same event, with the same argument, to every connected client. */
  Broadcast: 'broadcast',
} as const;

/** The Engine.IO transports a benchmark server accepts. */
export type TransportSet = 'websocket' | 'polling,websocket';

/** Requests a Socket.IO server process answers (besides those of the WebSocket servers). */
export type SocketIoServerRequest =
  | { readonly id: number; readonly type: 'cpu' }
  /** Memory after full collections; `settle` first waits for V8 to shrink its young generation (see collected-memory.ts). */
  | { readonly id: number; readonly type: 'memory'; readonly settle?: boolean }
  | { readonly id: number; readonly type: 'connections' }
  /** Writes a heap snapshot to `path` after a full collection. */
  | { readonly id: number; readonly type: 'heap-snapshot'; readonly path: string }
  /** Exits the process cleanly (so `--cpu-prof` writes its profile). */
  | { readonly id: number; readonly type: 'exit' };

/** Which client drives a load: raw pre-encoded frames, or the official `socket.io-client`. */
export type Driver = 'raw' | 'client';

/**
 * Events echoed back: `connections` clients, each keeping `window` events in flight and emitting
 * the next one for every echo it receives.
 */
export interface EmitLoad {
  readonly kind: 'emit';
  readonly driver: Driver;
  readonly port: number;
  readonly connections: number;
  readonly window: number;
}

/**
 * Emits with an acknowledgement: `connections` clients, each keeping `window` events in flight,
 * and the round trip of each recorded from the emit to its acknowledgement.
 */
export interface AckLoad {
  readonly kind: 'ack';
  readonly driver: Driver;
  readonly port: number;
  readonly connections: number;
  readonly window: number;
  /** Transports the client may use (`socket.io-client` only; raw frames always use WebSocket). */
  readonly transport: 'websocket' | 'polling';
}

/**
 * Broadcast: `clients` clients listen, the first also publishes; the server emits every published
 * event to all. `window` events are in flight: the next is published whenever one has reached
 * every client.
 */
export interface FanOutLoad {
  readonly kind: 'fan-out';
  readonly driver: 'raw';
  readonly port: number;
  readonly clients: number;
  readonly window: number;
  /** Connections being opened at the same time while the clients join. */
  readonly concurrency: number;
  /**
   * More ports to spread the clients over (nodes of a cluster): client `i` connects to
   * `[port, ...spreadOver][i % n]`, so the publisher, client 0, is on `port`. @default []
   */
  readonly spreadOver?: readonly number[];
  /**
   * The latency recorded: of every delivery, or of each event's last delivery (from the publish
   * to the last client's read). @default 'every'
   */
  readonly latencyOf?: 'every' | 'last';
}

/** Idle clients: connected to the main namespace, then silent but for answering heartbeats. */
export interface IdleClientsLoad {
  readonly kind: 'idle-clients';
  readonly driver: 'raw';
  readonly port: number;
  readonly connections: number;
  readonly localAddress: string;
  readonly concurrency: number;
}

/** Any load a Socket.IO generator can apply. */
export type SocketIoLoad = EmitLoad | AckLoad | FanOutLoad | IdleClientsLoad;

/** Requests a Socket.IO generator process answers. */
export type SocketIoGeneratorRequest =
  | { readonly id: number; readonly type: 'start'; readonly load: SocketIoLoad }
  | { readonly id: number; readonly type: 'go' }
  | { readonly id: number; readonly type: 'sample'; readonly resetLatency: boolean }
  | { readonly id: number; readonly type: 'stop' };
