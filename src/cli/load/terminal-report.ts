import { formatDuration } from '../connect/duration.js';
import type { LoadPlan } from './plan.js';
import { SATURATED_CPU_PERCENT, type LoadReport } from './report.js';
import type { LoadStats, TimelinePoint } from './stats.js';

const BAR_WIDTH = 40;

/** A millisecond figure to three significant digits: `0.213`, `12.4`, `1250`. */
export function ms(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/** What the run is about to do, in two lines. */
export function describePlan(plan: LoadPlan, url: string): string {
  const protocol =
    plan.protocol === 'socket.io' ? `Socket.IO event "${plan.event}"${plan.ack ? ' with acks' : ''}` : 'WebSocket';
  const ramp = plan.rampPerSecond > 0 ? `${plan.rampPerSecond}/s` : 'all at once';
  const rate = 'total' in plan.rate ? `${plan.rate.total} msg/s in all` : `${plan.rate.perConnection} msg/s each`;
  return (
    `switchboard load: ${url}, ${plan.pattern} over ${protocol}\n` +
    `  ${plan.connections} connections (${ramp}), ${rate}, ${plan.size}-byte messages, ${formatDuration(plan.durationMs)}\n`
  );
}

/** The live line: the last second's rates, latency and errors. */
export function progressLine(point: TimelinePoint, stats: LoadStats, plan: LoadPlan): string {
  return (
    `${String(Math.round(point.t)).padStart(4)} s  connections ${point.connections}/${plan.connections}` +
    `  sent ${point.sentPerSecond}/s  received ${point.receivedPerSecond}/s` +
    `  p99 ${ms(point.p99)} ms  errors ${stats.errorCount}  cpu ${Math.round(point.cpuPercent)}%`
  );
}

/** The summary printed at the end: counts, the latency percentiles and histogram, the generator's CPU. */
export function formatReport(report: LoadReport): string {
  const { connections, messages, errors, latencyMs, cpu } = report;
  const lines = [
    report.interrupted ? `Interrupted after ${formatDuration(report.elapsedMs)}.` : '',
    `Connections  ${connections.opened} opened, ${connections.failed} failed, ${connections.closedEarly} closed early`,
    `Messages     ${messages.sent} sent (${messages.sentPerSecond}/s), ${messages.received} received (${messages.receivedPerSecond}/s)` +
      (messages.unanswered === null ? '' : `, ${messages.unanswered} unanswered`) +
      (messages.throttled > 0 ? `, ${messages.throttled} skipped (send buffer full)` : ''),
    `Errors       ${errors.count === 0 ? 'none' : String(errors.count)}`,
    ...errors.messages.map(({ message, count }) => `  ${String(count).padStart(6)} × ${message}`),
    latencyMs.count === 0
      ? 'Latency      no replies'
      : `Latency      p50 ${ms(latencyMs.p50)} ms  p90 ${ms(latencyMs.p90)} ms  p99 ${ms(latencyMs.p99)} ms` +
        `  p99.9 ${ms(latencyMs.p999)} ms  max ${ms(latencyMs.max)} ms  (${latencyMs.count} replies)`,
    ...histogramLines(report),
    `Generator    CPU ${cpu.percentOfOneCore}% of one core (user ${cpu.userMs} ms, system ${cpu.systemMs} ms)`,
    cpu.saturated
      ? `Warning: the generator used ${cpu.percentOfOneCore}% of a core (≥ ${SATURATED_CPU_PERCENT}%): it may have been the ` +
        'bottleneck, not the server. Lower --rate or --connections, or run several generators.'
      : '',
  ];
  return `${lines.filter((line) => line !== '').join('\n')}\n`;
}

function histogramLines({ latencyMs }: LoadReport): string[] {
  const largest = Math.max(...latencyMs.histogram.map((bin) => bin.count));
  const labels = latencyMs.histogram.map((bin, index) =>
    index === latencyMs.histogram.length - 1 && bin.upToMs > latencyMs.max
      ? `≤ ${ms(latencyMs.max)} ms`
      : `≤ ${ms(bin.upToMs)} ms`,
  );
  const width = Math.max(0, ...labels.map((label) => label.length));
  return latencyMs.histogram.map((bin, index) => {
    const bar = '█'.repeat(Math.max(bin.count > 0 ? 1 : 0, Math.round((bin.count / largest) * BAR_WIDTH)));
    return `  ${labels[index]!.padStart(width)}  ${bar.padEnd(BAR_WIDTH)}  ${bin.count}`;
  });
}
