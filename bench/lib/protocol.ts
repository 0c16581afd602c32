/**
 * The messages the benchmark runner exchanges with its child processes over the Node IPC channel.
 * Every request carries an `id`; the child answers with a {@link Reply} carrying the same `id`.
 */

/** The implementations under test. */
export const ImplId = {
  Switchboard: 'switchboard',
  Ws: 'ws',
  WsNative: 'ws-native',
  RawTcp: 'raw-tcp',
  /** Switchboard's Socket.IO server (src/server), in the Socket.IO scenarios. */
  SocketIoSwitchboard: 'switchboard-io',
  /** The official socket.io server, in the Socket.IO scenarios. */
  SocketIo: 'socket.io',
  /** Switchboard's Socket.IO client (src/client-node), in the client scenarios. */
  SwitchboardClient: 'switchboard-client',
  /** The official socket.io-client, in the client scenarios. */
  SocketIoClient: 'socket.io-client',
  /** Pre-encoded Socket.IO frames on a bare socket, in the client scenarios: the floor under any client. */
  RawFrames: 'raw-frames',
} as const;

/** One of the implementations under test. */
export type ImplId = (typeof ImplId)[keyof typeof ImplId];

/** CPU time a process has used so far, in microseconds, and when it was read (ns, monotonic clock). */
export interface CpuSample {
  readonly user: number;
  readonly system: number;
  readonly time: number;
}

/** The server's memory after a forced garbage collection, in bytes. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** What a server process reports once it listens. */
export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
  /** Free text on what is running, e.g. whether native helpers are active. */
  readonly details: string;
}

/** Requests a server process answers. */
export type ServerRequest =
  | { readonly id: number; readonly type: 'cpu' }
  /** Memory after full collections; `settle` first waits for V8 to shrink its young generation (see collected-memory.ts). */
  | { readonly id: number; readonly type: 'memory'; readonly settle?: boolean }
  | { readonly id: number; readonly type: 'connections' };

/** Echo load: `connections` sockets, each keeping `window` messages of `size` bytes in flight. */
export interface EchoLoad {
  readonly kind: 'echo';
  readonly port: number;
  readonly connections: number;
  readonly size: number;
  readonly window: number;
  /** Record the round trip of every message (meaningful with a window of 1). */
  readonly latency: boolean;
}

/**
 * Compressed echo: permessage-deflate negotiated, a loop of `messages` chat-like JSON messages
 * sent pre-compressed, `window` in flight per connection.
 */
export interface CompressedEchoLoad {
  readonly kind: 'compressed-echo';
  readonly port: number;
  readonly connections: number;
  readonly window: number;
  readonly messages: number;
}

/** Broadcast load: `clients` sockets; the first publishes, the server fans every message out to all. */
export interface BroadcastLoad {
  readonly kind: 'broadcast';
  readonly port: number;
  readonly clients: number;
  readonly size: number;
  /** Broadcasts in flight: the next goes out when one has reached every client. */
  readonly window: number;
  /** Handshakes in flight while the clients connect. */
  readonly concurrency: number;
}

/** Idle connections that only complete the handshake and stay open. */
export interface IdleLoad {
  readonly kind: 'idle';
  readonly port: number;
  readonly connections: number;
  readonly localAddress: string;
  readonly concurrency: number;
}

/** Handshakes as fast as possible: connect, upgrade, drop the connection, repeat. */
export interface HandshakeLoad {
  readonly kind: 'handshake';
  readonly port: number;
  readonly concurrency: number;
  /** Source addresses to rotate through, so closed connections in TIME_WAIT never exhaust the ports. */
  readonly localAddresses: readonly string[];
}

/** Any load the generator can apply. */
export type Load = EchoLoad | CompressedEchoLoad | BroadcastLoad | IdleLoad | HandshakeLoad;

/** Requests a generator process answers. */
export type GeneratorRequest =
  | { readonly id: number; readonly type: 'start'; readonly load: Load }
  | { readonly id: number; readonly type: 'go' }
  | { readonly id: number; readonly type: 'sample'; readonly resetLatency: boolean }
  | { readonly id: number; readonly type: 'stop' };

/** Counters of a running load at one instant. */
export interface LoadSample {
  /** Messages received (echoes, broadcast deliveries) or handshakes completed, since the start. */
  readonly count: number;
  /** Payload bytes received since the start. */
  readonly bytes: number;
  /** Bytes read from the sockets since the start, frame headers included (what went over the wire). */
  readonly wireBytes: number;
  readonly cpu: CpuSample;
}

/** Percentiles of a latency distribution, in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What a generator reports when a load stops. */
export interface LoadResult {
  readonly latency: LatencySummary;
  readonly errors: number;
  /** Free text, e.g. the negotiated extension. */
  readonly details: string;
}

/** A child's answer to a request. */
export type Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };
