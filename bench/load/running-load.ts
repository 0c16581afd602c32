import { cpuNow } from '../lib/child-ipc.js';
import { LatencyHistogram } from '../lib/histogram.js';
import type { LoadResult, LoadSample } from '../lib/protocol.js';

/**
 * What every load shares: the counters the runner samples, a latency histogram, and the sockets to
 * tear down at the end.
 */
export abstract class RunningLoad {
  protected count = 0;
  protected bytes = 0;
  protected wireBytes = 0;
  protected errors = 0;
  protected running = true;
  protected readonly latency = new LatencyHistogram();

  /** Free text for the report, e.g. the extension the server agreed to. */
  details = '';

  /** Starts traffic that waits for the runner's signal (the broadcast publisher); others ignore it. */
  go(): void {}

  /** The counters now; `resetLatency` starts a fresh latency distribution (at the start of measurement). */
  sample(resetLatency: boolean): LoadSample {
    if (resetLatency) this.latency.reset();
    return { count: this.count, bytes: this.bytes, wireBytes: this.wireBytes, cpu: cpuNow() };
  }

  /** Stops all traffic, closes every socket and reports the latency since the last reset. */
  stop(): LoadResult {
    this.running = false;
    this.close();
    return { latency: this.latency.summary(), errors: this.errors, details: this.details };
  }

  protected abstract close(): void;
}
