/** What one run of the suite measures and for how long. */
export interface BenchConfig {
  readonly mode: 'full' | 'smoke';
  /** Interleaved rounds: every implementation runs every cell once per round. */
  readonly rounds: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly echo: { readonly connections: readonly number[]; readonly sizes: readonly number[] };
  readonly latency: { readonly sizes: readonly number[] };
  readonly broadcast: {
    readonly clients: readonly number[];
    readonly size: number;
    readonly window: number;
    readonly warmupMs: number;
    readonly measureMs: number;
  };
  readonly memory: { readonly connections: number; readonly perProcess: number };
  readonly handshake: { readonly concurrency: number };
  /**
   * Wall-clock budget of the whole run in seconds: past it, cells still to run get fewer rounds (at
   * least one), and the results say so. Only a busy machine should ever reach it.
   */
  readonly budgetSeconds: number;
  /** Anything scaled down from what the suite is meant to measure, printed with the results. */
  readonly notes: readonly string[];
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** The full suite: about 12 minutes on two cores (every scenario gets its three rounds). */
export const FULL: BenchConfig = {
  mode: 'full',
  rounds: 3,
  warmupMs: 250,
  measureMs: 700,
  echo: { connections: [1, 100], sizes: [32, KIB, 64 * KIB, MIB] },
  latency: { sizes: [32, 64 * KIB] },
  broadcast: { clients: [1000, 5000], size: 64, window: 1, warmupMs: 250, measureMs: 1000 },
  memory: { connections: 10_000, perProcess: 5000 },
  handshake: { concurrency: 32 },
  budgetSeconds: 780,
  notes: [],
};

/** The smoke run: every scenario, cell and implementation end to end in about a minute; numbers are not meaningful. */
export const SMOKE: BenchConfig = {
  mode: 'smoke',
  rounds: 1,
  warmupMs: 50,
  measureMs: 150,
  echo: { connections: [1, 100], sizes: [32, KIB, 64 * KIB, MIB] },
  latency: { sizes: [32, 64 * KIB] },
  broadcast: { clients: [100, 500], size: 64, window: 1, warmupMs: 50, measureMs: 200 },
  memory: { connections: 400, perProcess: 200 },
  handshake: { concurrency: 16 },
  budgetSeconds: 240,
  notes: [
    'smoke mode: 1 round, 150 ms windows, 100/500 broadcast clients, 400 idle connections; numbers are not comparable',
  ],
};

/**
 * Messages in flight per connection: up to 64, but no more than 8 MiB in flight over all
 * connections (at least one each), so large payloads measure throughput rather than queueing.
 */
export function echoWindow(size: number, connections: number): number {
  return Math.max(1, Math.min(64, Math.floor((8 * MIB) / (size * connections))));
}

/** A payload size for labels: 32 B, 1 KiB, 64 KiB, 1 MiB. */
export function formatSize(bytes: number): string {
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= KIB && bytes % KIB === 0) return `${bytes / KIB} KiB`;
  return `${bytes} B`;
}
