import type { BenchConfig } from '../lib/config.js';

/** What the client scenario measures and for how long, on top of the suite's rounds. */
export interface ClientBenchConfig {
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Emit throughput: the client counts of its cells, and the events each client keeps in flight. */
  readonly emit: { readonly connections: readonly number[]; readonly window: number };
  /** Idle client objects held by one process. */
  readonly memory: { readonly connections: number };
  /**
   * Whether memory is read once V8 has shrunk its young generation back (see collected-memory.ts):
   * right for thousands of clients, seconds of waiting that a smoke run does without.
   */
  readonly settleMemory: boolean;
}

/**
 * The full run: about two and a half minutes on two cores. Each window runs 3 s after a 1 s warmup:
 * one client's throughput moves between runs as its batches and the server's settle differently,
 * and in a 1 s window that started 0.3 s after connecting one round could read 1.6 times another.
 */
const FULL: ClientBenchConfig = {
  warmupMs: 1000,
  measureMs: 3000,
  emit: { connections: [1, 100], window: 16 },
  memory: { connections: 1000 },
  settleMemory: true,
};

/** The smoke run: every cell end to end in a few seconds; the numbers are not meaningful. */
const SMOKE: ClientBenchConfig = {
  warmupMs: 50,
  measureMs: 150,
  emit: { connections: [1, 100], window: 16 },
  memory: { connections: 50 },
  settleMemory: false,
};

/** The client settings for the suite's mode. */
export function clientConfig(config: BenchConfig): ClientBenchConfig {
  return config.mode === 'smoke' ? SMOKE : FULL;
}
