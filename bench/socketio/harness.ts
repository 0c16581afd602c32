import type { BenchChild } from '../lib/children.js';
import { ServerPool, startGenerator, startServerProcess, type RunContext, type StartedServer } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import { sleep } from '../lib/measure.js';
import type { CpuSample, LoadResult, LoadSample } from '../lib/protocol.js';
import type { ImplementationInfo, ScenarioResult } from '../lib/results.js';
import { SOCKET_IO_IMPLEMENTATIONS, SOCKET_IO_RATIOS } from './implementations.js';
import type { SocketIoLoad, TransportSet } from './protocol.js';

/** Starts one implementation's Socket.IO server process, pinned to the server core, with --expose-gc. */
export function startSocketIoServerProcess(
  context: RunContext,
  implementation: Implementation,
  transports: TransportSet = 'websocket',
): Promise<StartedServer> {
  return startServerProcess(context, implementation, 'bench/socketio/server-main.ts', [implementation.id, transports]);
}

/** The Socket.IO servers of a scenario, accepting the transports named by `transports`. */
export class SocketIoServerSet extends ServerPool {
  constructor(context: RunContext, transports: TransportSet = 'websocket') {
    super((implementation) => startSocketIoServerProcess(context, implementation, transports));
  }
}

/** Generator processes, all pinned to the generator core. */
export class GeneratorPool {
  private readonly children: BenchChild[] = [];

  /** The first `count` generators, started when missing. */
  async take(count: number): Promise<BenchChild[]> {
    for (let i = 0; i < this.children.length; i++) {
      if (!this.children[i]!.alive) this.children[i] = await startSocketIoGenerator(`Socket.IO generator ${i + 1}`);
    }
    while (this.children.length < count)
      this.children.push(await startSocketIoGenerator(`Socket.IO generator ${this.children.length + 1}`));
    return this.children.slice(0, count);
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => child.kill()));
    this.children.length = 0;
  }
}

function startSocketIoGenerator(name: string): Promise<BenchChild> {
  return startGenerator(name, 'bench/socketio/generator-main.ts');
}

/** Splits `total` clients over `parts` processes as evenly as possible (the first ones get the extra). */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0)).filter(
    (n) => n > 0,
  );
}

/** What a measurement window saw over every generator of a load. */
export interface PoolWindow {
  readonly seconds: number;
  /** Events (echoes, acknowledgements, deliveries) counted by all generators. */
  readonly count: number;
  /** Server CPU time (user + system) spent in the window, in microseconds. */
  readonly serverCpuMicros: number;
  /** Server CPU time over wall time, in percent of one core. */
  readonly serverCpuPercent: number;
  /** CPU time of all generators together over wall time, in percent of one core (they share one). */
  readonly generatorCpuPercent: number;
}

function used(start: CpuSample, end: CpuSample): number {
  return end.user + end.system - start.user - start.system;
}

async function sampleAll(
  generators: readonly BenchChild[],
  server: BenchChild,
  resetLatency: boolean,
): Promise<[LoadSample[], CpuSample]> {
  const [server0, ...samples] = await Promise.all([
    server.request<CpuSample>({ type: 'cpu' }),
    ...generators.map((generator) => generator.request<LoadSample>({ type: 'sample', resetLatency })),
  ]);
  return [samples as LoadSample[], server0 as CpuSample];
}

/**
 * Lets a running load warm up, then samples every generator's counters and the server's CPU
 * clock at the start and end of the measurement window.
 */
export async function measurePool(
  generators: readonly BenchChild[],
  server: BenchChild,
  warmupMs: number,
  measureMs: number,
): Promise<PoolWindow> {
  await sleep(warmupMs);
  const [g0, s0] = await sampleAll(generators, server, true);
  await sleep(measureMs);
  const [g1, s1] = await sampleAll(generators, server, false);
  const wallMicros = (s1.time - s0.time) / 1000;
  let count = 0;
  let generatorMicros = 0;
  for (let i = 0; i < generators.length; i++) {
    count += g1[i]!.count - g0[i]!.count;
    generatorMicros += used(g0[i]!.cpu, g1[i]!.cpu);
  }
  return {
    seconds: wallMicros / 1e6,
    count,
    serverCpuMicros: used(s0, s1),
    serverCpuPercent: (used(s0, s1) / wallMicros) * 100,
    generatorCpuPercent: (generatorMicros / wallMicros) * 100,
  };
}

/**
 * Starts `loads[i]` on `generators[i]`, runs `measure` on them, and stops every load whatever
 * happens; returns what `measure` returned and the stop results.
 */
export async function withLoads<T>(
  generators: readonly BenchChild[],
  loads: readonly SocketIoLoad[],
  measure: () => Promise<T>,
): Promise<{ value: T; results: LoadResult[] }> {
  const started: BenchChild[] = [];
  try {
    await Promise.all(
      loads.map(async (load, i) => {
        await generators[i]!.request({ type: 'start', load }, 120_000);
        started.push(generators[i]!);
      }),
    );
    const value = await measure();
    const results = await Promise.all(
      started.splice(0).map((generator) => generator.request<LoadResult>({ type: 'stop' })),
    );
    return { value, results };
  } finally {
    await Promise.all(started.map((generator) => generator.request({ type: 'stop' }).catch(() => {})));
  }
}

/**
 * The implementations compared (the Socket.IO servers unless given) and their ratio, added to a
 * scenario's result for the tables.
 */
export function withImplementations(
  context: RunContext,
  result: ScenarioResult,
  compared: readonly Implementation[] = SOCKET_IO_IMPLEMENTATIONS,
  ratios: readonly (readonly [string, string])[] = SOCKET_IO_RATIOS,
): ScenarioResult {
  const implementations: ImplementationInfo[] = compared.map((implementation) => ({
    id: implementation.id,
    label: implementation.label,
    description: implementation.description,
    details: context.details.get(implementation.id) ?? '',
  }));
  return { ...result, implementations, ratios };
}

/** A goal for the ratio ours / official of one metric in one cell. */
export interface RatioGoal {
  readonly cellId: string;
  readonly metric: string;
  readonly atMost?: number;
  readonly atLeast?: number;
}

/**
 * Logs the ratio ours / official of the medians next to its goal, so a full run shows at once where
 * we stand (not in smoke runs, whose numbers mean nothing). The pair is the result's first ratio,
 * the Socket.IO servers' when it names none.
 */
export function logGoals(context: RunContext, result: ScenarioResult, goals: readonly RatioGoal[]): void {
  if (context.config.mode === 'smoke') return;
  const [ours, theirs] = (result.ratios ?? SOCKET_IO_RATIOS)[0]!;
  for (const goal of goals) {
    const cell = result.cells.find((candidate) => candidate.id === goal.cellId);
    const a = cell?.median[ours]?.[goal.metric];
    const b = cell?.median[theirs]?.[goal.metric];
    if (cell === undefined || a === undefined || b === undefined || b === 0) {
      context.log(`  goal ${goal.metric} (${goal.cellId}): no ratio, a run failed`);
      continue;
    }
    const ratio = a / b;
    const met =
      (goal.atMost === undefined || ratio <= goal.atMost) && (goal.atLeast === undefined || ratio >= goal.atLeast);
    const bound = goal.atMost !== undefined ? `≤ ${goal.atMost}×` : `≥ ${goal.atLeast}×`;
    const label = result.metrics.find((metric) => metric.key === goal.metric)?.label ?? goal.metric;
    context.log(
      `  goal: ${label}, ${cell.label}: ours / official = ${ratio.toFixed(2)}× (goal ${bound}: ${met ? 'met' : 'NOT met'})`,
    );
  }
}
