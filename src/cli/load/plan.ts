/** The traffic a server is expected to answer with. */
export type Pattern = 'echo' | 'broadcast';

/** What a load run does, as the command line set it. */
export interface LoadPlan {
  readonly url: URL;
  readonly protocol: 'websocket' | 'socket.io';
  /** `echo`: each message comes back to its sender; `broadcast`: each goes to every connection. */
  readonly pattern: Pattern;
  readonly connections: number;
  /** Connections opened per second; 0 opens them all at once (a bounded number of handshakes at a time). */
  readonly rampPerSecond: number;
  /** Messages per second, per open connection or in all. */
  readonly rate: { readonly perConnection: number } | { readonly total: number };
  /** Bytes per message (Socket.IO: characters of the event's string argument). */
  readonly size: number;
  readonly durationMs: number;
  /** Bound on each connection's opening. */
  readonly timeoutMs: number;
  /** Socket.IO: the event emitted. */
  readonly event: string;
  /** Socket.IO: time acknowledgements instead of echoed events. */
  readonly ack: boolean;
}

/** Messages per second the plan asks for with `open` connections. */
export function targetRate(plan: LoadPlan, open: number): number {
  return 'total' in plan.rate ? plan.rate.total : plan.rate.perConnection * open;
}
