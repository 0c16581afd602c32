import { cpus } from 'node:os';
import { BenchChild } from './children.js';
import type { BenchConfig } from './config.js';
import type { Implementation } from './implementations.js';
import type { ImplId } from './protocol.js';
import { computeMedians, type CellResult, type MetricDef, type RunRecord, type ScenarioResult } from './results.js';

/** Core of the server under test and core of the load generators. */
export const SERVER_CORE = 0;
export const GENERATOR_CORE = cpus().length >= 2 ? 1 : 0;

/** What every scenario gets from the runner. */
export interface RunContext {
  readonly config: BenchConfig;
  readonly implementations: readonly Implementation[];
  /** What each server reported about itself, by implementation id. */
  readonly details: Map<ImplId, string>;
  log(line: string): void;
  /** Whether the run has used up its time budget. */
  overBudget(): boolean;
  /** Records that something was measured less than planned. */
  note(text: string): void;
}

/** A running server under test. */
export interface StartedServer {
  readonly child: BenchChild;
  readonly port: number;
}

/**
 * Starts one implementation's server process, pinned to the server core, with --expose-gc;
 * `deflate` turns permessage-deflate on with the shared settings.
 */
export function startServer(
  context: RunContext,
  implementation: Implementation,
  deflate = false,
): Promise<StartedServer> {
  return startServerProcess(
    context,
    implementation,
    'bench/server/main.ts',
    deflate ? [implementation.id, 'deflate'] : [implementation.id],
  );
}

/**
 * Starts `script` as one implementation's server process, pinned to the server core with
 * --expose-gc, and records the details it announces. A process that fails to get ready is killed.
 */
export async function startServerProcess(
  context: RunContext,
  implementation: Implementation,
  script: string,
  args: readonly string[],
): Promise<StartedServer> {
  const child = new BenchChild({
    name: `${implementation.label} server`,
    script,
    args: [...args],
    core: SERVER_CORE,
    env: implementation.env,
    nodeOptions: ['--expose-gc'],
  });
  try {
    const ready = await child.ready;
    context.details.set(implementation.id, String(ready['details']));
    return { child, port: Number(ready['port']) };
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/** Starts a load generator process (`script`, the WebSocket one by default) pinned to the generator core. */
export async function startGenerator(name = 'load generator', script = 'bench/load/main.ts'): Promise<BenchChild> {
  const child = new BenchChild({ name, script, core: GENERATOR_CORE });
  try {
    await child.ready;
    return child;
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/**
 * One long-lived server per implementation, all idle but the one under load, so cells can
 * interleave implementations without restarting them. A server that died is restarted with `start`.
 */
export class ServerPool {
  private readonly servers = new Map<ImplId, StartedServer>();

  constructor(private readonly start: (implementation: Implementation) => Promise<StartedServer>) {}

  async get(implementation: Implementation): Promise<StartedServer> {
    const running = this.servers.get(implementation.id);
    if (running?.child.alive) return running;
    const started = await this.start(implementation);
    this.servers.set(implementation.id, started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.child.kill()));
    this.servers.clear();
  }
}

/** The WebSocket servers of a scenario, with permessage-deflate on when `deflate` is set. */
export class ServerSet extends ServerPool {
  constructor(context: RunContext, deflate = false) {
    super((implementation) => startServer(context, implementation, deflate));
  }
}

/**
 * A cell to run: its description and how to measure one implementation once. A scenario whose
 * implementations carry more (`I`) gets them as it passed them to {@link runCells}.
 */
export interface CellPlan<I extends Implementation = Implementation> {
  readonly id: string;
  readonly label: string;
  readonly params: Readonly<Record<string, number | string>>;
  // A property, not a method: checked strictly, so a plan for `I` cannot be run with less.
  readonly run: (implementation: I) => Promise<Record<string, number>>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Runs every cell: for each round, every implementation in turn (A, B, C, D, A, B, C, D, ...),
 * recording failures as such instead of stopping the suite, then takes the medians.
 */
export function runCells(
  context: RunContext,
  scenario: Omit<ScenarioResult, 'cells'>,
  plans: readonly CellPlan[],
  headline: string,
): Promise<ScenarioResult>;
export function runCells<I extends Implementation>(
  context: RunContext,
  scenario: Omit<ScenarioResult, 'cells'>,
  plans: readonly CellPlan<I>[],
  headline: string,
  implementations: readonly I[],
): Promise<ScenarioResult>;
export async function runCells<I extends Implementation>(
  context: RunContext,
  scenario: Omit<ScenarioResult, 'cells'>,
  plans: readonly CellPlan<I>[],
  headline: string,
  // Only plans for any implementation (the first signature) may go without: `I` is then `Implementation`.
  implementations: readonly I[] = context.implementations as readonly I[],
): Promise<ScenarioResult> {
  const cells: CellResult[] = [];
  for (const plan of plans) {
    const cell: CellResult = { id: plan.id, label: plan.label, params: plan.params, runs: {}, median: {} };
    for (let round = 1; round <= context.config.rounds; round++) {
      if (round > 1 && context.overBudget()) {
        context.note(
          `${scenario.title}, ${plan.label}: ${round - 1} round(s) instead of ${context.config.rounds}, the time budget was used up`,
        );
        break;
      }
      for (const implementation of implementations) {
        let record: RunRecord;
        try {
          const metrics = await plan.run(implementation);
          record = { metrics };
          context.log(
            `  ${scenario.id} | ${plan.label} | round ${round} | ${implementation.label}: ${summarize(scenario.metrics, metrics, headline)}`,
          );
        } catch (error) {
          record = { error: describe(error) };
          context.log(
            `  ${scenario.id} | ${plan.label} | round ${round} | ${implementation.label}: FAILED ${describe(error)}`,
          );
        }
        (cell.runs[implementation.id] ??= []).push(record);
      }
    }
    computeMedians(cell, scenario.metrics);
    cells.push(cell);
  }
  return { ...scenario, cells };
}

function summarize(metrics: readonly MetricDef[], values: Record<string, number>, headline: string): string {
  const metric = metrics.find((m) => m.key === headline);
  const value = values[headline];
  return metric === undefined || value === undefined ? '' : `${metric.label} ${value.toPrecision(4)}`;
}
