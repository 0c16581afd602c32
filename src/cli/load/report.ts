import type { HistogramBin, LatencySummary } from './latency-histogram.js';
import type { LoadPlan, Pattern } from './plan.js';
import type { RunOutcome } from './run-load.js';
import type { ErrorCount, TimelinePoint } from './stats.js';

/**
 * CPU use, in percent of one core, from which the generator counts as the bottleneck: Node runs
 * the load on one thread, so near a full core the schedule slips and latencies include its queue.
 */
export const SATURATED_CPU_PERCENT = 90;

/** Everything a run measured: what `--json` prints and both reports show. */
export interface LoadReport {
  readonly url: string;
  readonly protocol: LoadPlan['protocol'];
  readonly pattern: Pattern;
  readonly settings: {
    readonly connections: number;
    readonly rampPerSecond: number;
    /** Messages per second per connection, or null when a total rate was set. */
    readonly ratePerConnection: number | null;
    /** Messages per second in all, or null when a per-connection rate was set. */
    readonly totalRate: number | null;
    readonly size: number;
    readonly durationMs: number;
    /** Socket.IO only: the event emitted, and whether acknowledgements were timed. */
    readonly event: string | null;
    readonly ack: boolean;
  };
  /** Wall time of the sending phase, and of the whole run (drain and close included), in ms. */
  readonly elapsedMs: number;
  readonly totalMs: number;
  /** Stopped early by Ctrl+C or SIGTERM. */
  readonly interrupted: boolean;
  readonly connections: { readonly opened: number; readonly failed: number; readonly closedEarly: number };
  readonly messages: {
    readonly sent: number;
    readonly received: number;
    /** Sends skipped because a connection's send buffer was full. */
    readonly throttled: number;
    /** Echo pattern: messages sent that never came back; null for broadcast. */
    readonly unanswered: number | null;
    readonly sentPerSecond: number;
    readonly receivedPerSecond: number;
  };
  readonly errors: { readonly count: number; readonly messages: readonly ErrorCount[] };
  /** Send-to-reply latency, in ms. */
  readonly latencyMs: LatencySummary & { readonly histogram: readonly HistogramBin[] };
  /** This process's CPU time over the whole run. */
  readonly cpu: {
    readonly userMs: number;
    readonly systemMs: number;
    readonly percentOfOneCore: number;
    /** Whether the generator itself was near its limit, so the server may have been faster than measured. */
    readonly saturated: boolean;
  };
  readonly timeline: readonly TimelinePoint[];
}

/** Builds the report of a finished run. */
export function buildReport(plan: LoadPlan, outcome: Extract<RunOutcome, { kind: 'done' }>, url: string): LoadReport {
  const { stats, elapsedMs, totalMs, interrupted, cpu } = outcome;
  const perSecond = (count: number): number => (elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0);
  return {
    url,
    protocol: plan.protocol,
    pattern: plan.pattern,
    settings: {
      connections: plan.connections,
      rampPerSecond: plan.rampPerSecond,
      ratePerConnection: 'perConnection' in plan.rate ? plan.rate.perConnection : null,
      totalRate: 'total' in plan.rate ? plan.rate.total : null,
      size: plan.size,
      durationMs: plan.durationMs,
      event: plan.protocol === 'socket.io' ? plan.event : null,
      ack: plan.ack,
    },
    elapsedMs: Math.round(elapsedMs),
    totalMs: Math.round(totalMs),
    interrupted,
    connections: { opened: stats.opened, failed: stats.failed, closedEarly: stats.closedEarly },
    messages: {
      sent: stats.sent,
      received: stats.received,
      throttled: stats.throttled,
      unanswered: plan.pattern === 'echo' ? Math.max(0, stats.sent - stats.received) : null,
      sentPerSecond: perSecond(stats.sent),
      receivedPerSecond: perSecond(stats.received),
    },
    errors: { count: stats.errorCount, messages: stats.errors() },
    latencyMs: { ...stats.latency.summary(), histogram: stats.latency.bins() },
    cpu: { ...cpu, saturated: cpu.percentOfOneCore >= SATURATED_CPU_PERCENT },
    timeline: stats.timeline,
  };
}
