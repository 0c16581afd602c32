import type { LatencySummary } from './protocol.js';

/** Each bucket is 1% wider than the one before, so percentiles are exact to within 1%. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets up to GROWTH^2000 µs (about 7 minutes): more than any sane round trip. */
const BUCKETS = 2000;

/**
 * Records latencies in microseconds into logarithmic buckets: constant memory and cost per sample,
 * however many millions of samples a fan-out run produces.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS + 1);
  private total = 0;
  private largest = 0;

  /** Adds one sample, in microseconds. */
  record(micros: number): void {
    const index = micros <= 1 ? 0 : Math.min(BUCKETS, Math.ceil(Math.log(micros) / LOG_GROWTH));
    this.counts[index]!++;
    this.total++;
    if (micros > this.largest) this.largest = micros;
  }

  /** Forgets every sample. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.largest = 0;
  }

  /** The smallest bucket bound at or below which `fraction` of the samples lie (0 when empty). */
  percentile(fraction: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.total));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(GROWTH ** i, this.largest);
    }
    return this.largest;
  }

  /** Count, median, 99th percentile and maximum. */
  summary(): LatencySummary {
    return { count: this.total, p50: this.percentile(0.5), p99: this.percentile(0.99), max: this.largest };
  }
}
