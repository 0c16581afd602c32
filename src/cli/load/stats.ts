import { LatencyHistogram } from './latency-histogram.js';
import { nowMicros } from './payload.js';

/** One second of a run (the last point may be shorter), for the progress line and the report's plots. */
export interface TimelinePoint {
  /** Seconds since the start, at the end of the interval. */
  readonly t: number;
  /** Connections open at the end of the interval. */
  readonly connections: number;
  readonly sentPerSecond: number;
  readonly receivedPerSecond: number;
  /** Errors in the interval. */
  readonly errors: number;
  /** Latency percentiles of the replies received in the interval, in ms (0 when none came). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** This process's CPU time over the interval, in percent of one core. */
  readonly cpuPercent: number;
}

/** An error message and how many times it happened. */
export interface ErrorCount {
  readonly message: string;
  readonly count: number;
}

/** Distinct error messages kept; past it, errors are still counted, under the ones kept. */
const DISTINCT_ERRORS = 20;

/**
 * The counters of a load run: what was sent, what came back and when, what failed, and the
 * per-second timeline. Every reply is timed into the whole run's histogram and the current
 * second's.
 */
export class LoadStats {
  sent = 0;
  received = 0;
  /** Sends skipped because the connection's send buffer was full. */
  throttled = 0;
  opened = 0;
  failed = 0;
  /** Connections the server closed (or that failed) before the run ended. */
  closedEarly = 0;
  errorCount = 0;
  /** When the last reply came, in microseconds (see {@link nowMicros}). */
  lastReplyMicros = 0;
  readonly latency = new LatencyHistogram();
  readonly timeline: TimelinePoint[] = [];
  private readonly interval = new LatencyHistogram();
  private readonly errorMessages = new Map<string, number>();
  private mark = { t: 0, sent: 0, received: 0, errors: 0, cpu: process.cpuUsage() };

  /** Times a reply that carried `sentAtMicros`. */
  reply(sentAtMicros: number): void {
    const now = nowMicros();
    const micros = now - sentAtMicros;
    this.latency.record(micros);
    this.interval.record(micros);
    this.received++;
    this.lastReplyMicros = now;
  }

  /** Counts an error under its message. */
  error(message: string): void {
    this.errorCount++;
    const known = this.errorMessages.get(message);
    if (known !== undefined || this.errorMessages.size < DISTINCT_ERRORS)
      this.errorMessages.set(message, (known ?? 0) + 1);
  }

  /** The errors by message, most frequent first. */
  errors(): ErrorCount[] {
    return [...this.errorMessages].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count);
  }

  /** Closes the interval that ends at `t` seconds with `connections` open, and starts the next. */
  closeInterval(t: number, connections: number): TimelinePoint {
    const span = t - this.mark.t;
    const cpu = process.cpuUsage(this.mark.cpu);
    const latency = this.interval.summary();
    const point: TimelinePoint = {
      t: Math.round(t * 1000) / 1000,
      connections,
      sentPerSecond: Math.round((this.sent - this.mark.sent) / span),
      receivedPerSecond: Math.round((this.received - this.mark.received) / span),
      errors: this.errorCount - this.mark.errors,
      p50: latency.p50,
      p99: latency.p99,
      max: latency.max,
      cpuPercent: percentOfOneCore(cpu, span),
    };
    this.timeline.push(point);
    this.interval.reset();
    this.mark = { t, sent: this.sent, received: this.received, errors: this.errorCount, cpu: process.cpuUsage() };
    return point;
  }
}

/** CPU time over `seconds` of wall time, in percent of one core, to a tenth. */
export function percentOfOneCore(cpu: NodeJS.CpuUsage, seconds: number): number {
  return seconds <= 0 ? 0 : Math.round((cpu.user + cpu.system) / seconds / 1000) / 10;
}
