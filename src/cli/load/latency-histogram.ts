/** Each bucket is 1% wider than the one before it, so a percentile is exact to within 1%. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** GROWTH^2400 µs is past 6 hours: longer than any run may last. */
const BUCKETS = 2400;

/** The percentiles every report shows, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** How many samples fell at or below `upToMs` and above the previous bin's bound. */
export interface HistogramBin {
  readonly upToMs: number;
  readonly count: number;
}

/**
 * Bin bounds for display, in ms: a 1-2-5 series, readable on a log scale. The last bound, past the
 * longest run, holds everything above the one before it.
 */
const DISPLAY_BOUNDS_MS = [
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
  2000,
  5000,
  10_000,
  20_000,
  50_000,
  100_000,
  GROWTH ** BUCKETS / 1000,
];

/**
 * Latencies in logarithmic buckets: constant memory and constant cost per sample, however many
 * million samples a run records. Samples are in microseconds; summaries are in milliseconds.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS + 1);
  private total = 0;
  private sum = 0;
  private largest = 0;

  /** The number of samples. */
  get count(): number {
    return this.total;
  }

  /** Adds one sample, in microseconds. */
  record(micros: number): void {
    const index = micros <= 1 ? 0 : Math.min(BUCKETS, Math.ceil(Math.log(micros) / LOG_GROWTH));
    this.counts[index]!++;
    this.total++;
    this.sum += micros;
    if (micros > this.largest) this.largest = micros;
  }

  /** Forgets every sample. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.largest = 0;
  }

  /** The bucket bound at or below which `fraction` of the samples lie, in microseconds (0 when empty). */
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

  /** Count, mean, p50, p90, p99, p99.9 and maximum, in milliseconds. */
  summary(): LatencySummary {
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      count: this.total,
      mean: this.total === 0 ? 0 : ms(this.sum / this.total),
      p50: ms(this.percentile(0.5)),
      p90: ms(this.percentile(0.9)),
      p99: ms(this.percentile(0.99)),
      p999: ms(this.percentile(0.999)),
      max: ms(this.largest),
    };
  }

  /** The samples in a few readable bins (1-2-5 ms bounds), without the empty ones at either end. */
  bins(): HistogramBin[] {
    const counts = new Array<number>(DISPLAY_BOUNDS_MS.length).fill(0);
    let bin = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      const count = this.counts[i]!;
      if (count === 0) continue;
      const upperMs = GROWTH ** i / 1000;
      while (upperMs > DISPLAY_BOUNDS_MS[bin]!) bin++;
      counts[bin]! += count;
    }
    const first = counts.findIndex((count) => count > 0);
    if (first === -1) return [];
    let last = counts.length - 1;
    while (counts[last] === 0) last--;
    return counts.slice(first, last + 1).map((count, index) => ({ upToMs: DISPLAY_BOUNDS_MS[first + index]!, count }));
  }
}
