import { LatencyHistogram as Buckets } from '../../src/cli/load/latency-histogram.js';
import type { LatencySummary } from './protocol.js';

/**
 * Latencies in microseconds, in the logarithmic buckets of `switchboard load` (constant memory and
 * cost per sample, percentiles exact to within 1%), summarised as the bench reports them: in
 * microseconds, with the median, the 99th percentile and the maximum.
 */
export class LatencyHistogram {
  private readonly buckets = new Buckets();

  /** Adds one sample, in microseconds. */
  record(micros: number): void {
    this.buckets.record(micros);
  }

  /** Forgets every sample. */
  reset(): void {
    this.buckets.reset();
  }

  /** Count, median, 99th percentile and maximum, in microseconds. */
  summary(): LatencySummary {
    const { buckets } = this;
    // The 100th percentile is the largest sample itself: the buckets' bound is capped by it.
    return {
      count: buckets.count,
      p50: buckets.percentile(0.5),
      p99: buckets.percentile(0.99),
      max: buckets.percentile(1),
    };
  }
}
