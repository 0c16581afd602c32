/**
 * What the soak run's processes tell each other over IPC: the server reports what it holds and
 * how its connections ended, role by role; each generator reports its healthy clients' latency
 * and what its attackers got.
 */
import type { LatencySummary } from '../lib/protocol.js';

/** Which server the soak run attacks: the WebSocket server, or the realtime (Socket.IO) server. */
export type SoakServerKind = 'ws' | 'io';

/**
 * What a connection does. `healthy` clients measure round trips, `idle` ones hold a connection
 * and answer heartbeats, `slow` ones ask for echoes they never read; every other role is an attack.
 */
export const Role = {
  Healthy: 'healthy',
  Idle: 'idle',
  Slow: 'slow',
  PingFlood: 'ping-flood',
  Fragments: 'fragments',
  DeflateBomb: 'deflate-bomb',
  TrickledHead: 'trickled-head',
  RepeatedHeader: 'repeated-header',
  MalformedHead: 'malformed-head',
  WideEvent: 'wide-event',
  WideAck: 'wide-ack',
  UnfinishedBinary: 'unfinished-binary',
  NamespaceFlood: 'namespace-flood',
  NoJoin: 'no-join',
  OversizedPoll: 'oversized-poll',
} as const;

/** One of the roles. */
export type Role = (typeof Role)[keyof typeof Role];

/** Attacks against both servers. */
export const COMMON_ATTACKS: readonly Role[] = [
  Role.Slow,
  Role.PingFlood,
  Role.Fragments,
  Role.DeflateBomb,
  Role.TrickledHead,
  Role.RepeatedHeader,
  Role.MalformedHead,
];

/** Attacks on Socket.IO packets and sessions, against the realtime server only. */
export const REALTIME_ATTACKS: readonly Role[] = [
  Role.WideEvent,
  Role.WideAck,
  Role.UnfinishedBinary,
  Role.NamespaceFlood,
  Role.NoJoin,
  Role.OversizedPoll,
];

/** A count of outcomes by name: close codes, statuses, disconnect reasons. */
export type Tally = Record<string, number>;

/** How the server saw one role's connections. */
export interface ServerRoleStats {
  /** Connections of the role open now. */
  open: number;
  /** Connections of the role accepted since the start. */
  accepted: number;
  /** How they ended: `close <code>` for the WebSocket server, the disconnect reason for the realtime server. */
  ended: Tally;
  /**
   * Most bytes the server held for one connection of the role, by its own counters: the
   * WebSocket's `bufferedAmount` (WebSocket server), or binary attachments waiting for the rest
   * of their packet (realtime server). Sampled twice a second.
   */
  peakHeldBytes: number;
}

/** A process-wide budget's reading. */
export interface BudgetStats {
  readonly limit: number;
  /** Bytes held now. */
  readonly held: number;
  /** Most bytes held at a sample. */
  readonly peak: number;
  /** Connections it has closed since the start. */
  readonly closedConnections: number;
}

/** What the server process reports. */
export interface ServerStats {
  readonly connections: number;
  readonly roles: Record<string, ServerRoleStats>;
  readonly sendBudget: BudgetStats;
  readonly inflateBudget: BudgetStats;
  /** Exceptions the realtime server contained (reported to `io.on('error')`). */
  readonly containedErrors: number;
  /** Event-loop delay since the previous report, in microseconds. */
  readonly eventLoopDelay: LatencySummary;
}

/** Requests to the server process. */
export type SoakServerRequest = { readonly id: number; readonly type: 'stats' };

/** How many connections of each role one generator runs. */
export type RolePlan = Partial<Record<Role, number>>;

/** Requests to a generator process. */
export type GeneratorRequest =
  | { readonly id: number; readonly type: 'open'; readonly plan: RolePlan }
  | { readonly id: number; readonly type: 'sample' }
  | { readonly id: number; readonly type: 'finish' };

/** A generator's periodic report. */
export interface GeneratorSample {
  /** Round trips of the healthy clients since the previous sample, in microseconds. */
  readonly latency: LatencySummary;
  /** Round trips that got no answer within 5 s, since the previous sample. */
  readonly lost: number;
  /** Connections open now. */
  readonly open: number;
}

/** What one role's attackers got, as they saw it. */
export interface RoleOutcome {
  /** Connections (or requests) the role made. */
  attempts: number;
  /** What each attempt ended with: `close <code>`, `HTTP <status>`, `closed`, `pushed back`, ... */
  outcomes: Tally;
}

/** A generator's final report. */
export interface GeneratorResult {
  readonly roles: Record<string, RoleOutcome>;
  /** Round trips of its healthy clients over the whole run. */
  readonly latency: LatencySummary;
  readonly lost: number;
}
