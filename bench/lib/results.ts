import type { MachineInfo } from './machine.js';

/** How a metric is printed. */
export type MetricFormat = 'rate' | 'mibps' | 'micros' | 'bytes' | 'percent' | 'count';

/** One number measured in every run of a cell. */
export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly format: MetricFormat;
  readonly better: 'higher' | 'lower';
  /** Shown as its own table; the others are kept in the JSON for diagnosis. */
  readonly table: boolean;
}

/** One run of one implementation in one cell: its metrics, or why it failed. */
export type RunRecord =
  { readonly metrics: Readonly<Record<string, number>>; readonly details?: string } | { readonly error: string };

/** One configuration of a scenario (e.g. 100 connections, 1 KiB), run by every implementation. */
export interface CellResult {
  readonly id: string;
  readonly label: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** Runs in round order, by implementation id. */
  readonly runs: Record<string, RunRecord[]>;
  /** Per implementation, the median of each metric over its successful runs. */
  median: Record<string, Record<string, number>>;
}

/** A scenario and its cells. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly metrics: readonly MetricDef[];
  readonly cells: CellResult[];
  /** The implementations compared, in table order, when not those of the WebSocket scenarios. */
  readonly implementations?: readonly ImplementationInfo[];
  /** The pairs whose ratios the tables show (first / second), when not the WebSocket scenarios' pairs. */
  readonly ratios?: readonly (readonly [string, string])[];
}

/** An implementation as the results describe it. */
export interface ImplementationInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly details: string;
}

/** Everything a run produced; written to bench/results/<timestamp>.json. */
export interface BenchResults {
  readonly schema: 1;
  readonly mode: 'full' | 'smoke';
  readonly startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly notes: string[];
  readonly implementations: ImplementationInfo[];
  readonly scenarios: ScenarioResult[];
}

/** The median of some numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Fills `cell.median` from its runs. */
export function computeMedians(cell: CellResult, metrics: readonly MetricDef[]): void {
  cell.median = {};
  for (const [impl, runs] of Object.entries(cell.runs)) {
    const ok = runs.flatMap((run) => ('metrics' in run ? [run.metrics] : []));
    if (ok.length === 0) continue;
    const medians: Record<string, number> = {};
    for (const metric of metrics) {
      const values = ok
        .map((m) => m[metric.key])
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (values.length > 0) medians[metric.key] = median(values);
    }
    cell.median[impl] = medians;
  }
}
