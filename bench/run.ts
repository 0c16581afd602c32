/**
 * The benchmark suite. `npm run bench` runs it in full (about 12 minutes on two cores) and rewrites
 * BENCHMARKS.md; `npm run bench:smoke` runs every scenario and implementation briefly, to prove
 * they all work. Options: --only=echo,compressed,broadcast,memory,handshake to pick scenarios (and
 * socketio-emit,socketio-ack,socketio-broadcast,socketio-memory, which compare our Socket.IO server
 * with the official one, and client,client-size, which compare our Socket.IO client with the
 * official one, and redis-broadcast, three nodes of each Socket.IO server on one Redis),
 * --impl=switchboard,ws,ws-native,raw-tcp to pick implementations of the
 * WebSocket scenarios, --rounds=N to change the number of rounds, --src=REV to measure the library
 * as committed at git revision REV rather than the working tree. BENCHMARKS.md is only rewritten by a full run of everything.
 *
 * Servers and load generators run in separate processes pinned to separate cores; every
 * implementation runs every cell once per round, in turn, and the tables show medians.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { compileForBenchmarks, removeBuild } from './lib/build.js';
import { ROOT, runCompiledFrom, runStoppingChildren } from './lib/children.js';
import { FULL, SMOKE } from './lib/config.js';
import type { RunContext } from './lib/context.js';
import { IMPLEMENTATIONS } from './lib/implementations.js';
import { machineInfo } from './lib/machine.js';
import type { ImplId } from './lib/protocol.js';
import type { BenchResults, ScenarioResult } from './lib/results.js';
import { renderMachine, renderTables } from './lib/table.js';
import { writeBenchmarksMarkdown } from './report.js';
import { runBroadcast } from './scenarios/broadcast.js';
import { runClient } from './scenarios/client.js';
import { runClientSize } from './scenarios/client-size.js';
import { runCompressedEcho } from './scenarios/compressed-echo.js';
import { runEcho } from './scenarios/echo.js';
import { runHandshake } from './scenarios/handshake.js';
import { runMemory } from './scenarios/memory.js';
import { runRedisBroadcast } from './scenarios/redis-broadcast.js';
import { SOCKET_IO_SCENARIOS } from './scenarios/socketio.js';

const SCENARIOS: Readonly<Record<string, (context: RunContext) => Promise<ScenarioResult | ScenarioResult[]>>> = {
  echo: runEcho,
  compressed: runCompressedEcho,
  broadcast: runBroadcast,
  memory: runMemory,
  handshake: runHandshake,
  ...SOCKET_IO_SCENARIOS,
  'redis-broadcast': runRedisBroadcast,
  client: runClient,
  'client-size': runClientSize,
};

function option(name: string): string[] | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg
    ?.slice(name.length + 3)
    .split(',')
    .filter(Boolean);
}

async function main(): Promise<void> {
  const base = process.argv.includes('--smoke') ? SMOKE : FULL;
  const rounds = option('rounds');
  const config =
    rounds === undefined
      ? base
      : { ...base, rounds: Math.max(1, Number(rounds[0])), notes: [...base.notes, `rounds set to ${rounds[0]}`] };
  if (!Number.isInteger(config.rounds)) throw new Error('--rounds takes a whole number');
  const only = option('only') ?? Object.keys(SCENARIOS);
  const unknown = only.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  // --src=REV measures the library as committed at REV (e.g. HEAD) instead of the working tree.
  const revision = option('src')?.[0];
  const implIds = option('impl');
  const implementations = IMPLEMENTATIONS.filter(
    (implementation) => implIds === undefined || implIds.includes(implementation.id),
  );
  if (implementations.length === 0)
    throw new Error(`no implementation selected; known: ${IMPLEMENTATIONS.map((i) => i.id).join(', ')}`);

  const started = new Date();
  const results: BenchResults = {
    schema: 1,
    mode: config.mode,
    startedAt: started.toISOString(),
    finishedAt: '',
    durationSeconds: 0,
    machine: machineInfo(revision),
    settings: { ...config, scenarios: only },
    notes: [...config.notes],
    implementations: [],
    scenarios: [],
  };
  if (only.length < Object.keys(SCENARIOS).length) results.notes.push(`only these scenarios: ${only.join(', ')}`);
  const details = new Map<ImplId, string>();
  const elapsed = (): string => {
    const seconds = Math.floor((Date.now() - started.getTime()) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const context: RunContext = {
    config,
    implementations,
    details,
    log: (line) => console.log(`[${elapsed()}]${line}`),
    overBudget: () => Date.now() - started.getTime() > config.budgetSeconds * 1000,
    note: (text) => {
      results.notes.push(text);
      console.log(`  note: ${text}`);
    },
  };

  console.log(`# Switchboard benchmarks (${config.mode})\n\n${renderMachine(results)}\n`);
  const build = compileForBenchmarks(revision);
  process.once('exit', () => removeBuild(build));
  runCompiledFrom(build);
  for (const name of only) {
    console.log(`\n== ${name}`);
    const scenario = await SCENARIOS[name]!(context);
    results.scenarios.push(...(Array.isArray(scenario) ? scenario : [scenario]));
  }

  const finished = new Date();
  results.finishedAt = finished.toISOString();
  results.durationSeconds = (finished.getTime() - started.getTime()) / 1000;
  results.notes.push(`load average at the end: ${loadavg()[0]!.toFixed(2)} (${cpus().length} cores)`);
  results.implementations.push(
    ...implementations.map((implementation) => ({
      id: implementation.id,
      label: implementation.label,
      description: implementation.description,
      details: details.get(implementation.id) ?? '',
    })),
  );
  // Scenarios that compare other implementations (the Socket.IO servers) name them themselves.
  for (const implementation of results.scenarios.flatMap((scenario) => scenario.implementations ?? [])) {
    if (!results.implementations.some((known) => known.id === implementation.id))
      results.implementations.push(implementation);
  }

  // Only a full run of everything is named by its timestamp alone (and committed); smoke and
  // narrowed runs are marked as such and ignored by git and by the report.
  const complete =
    only.length === Object.keys(SCENARIOS).length &&
    implementations.length === IMPLEMENTATIONS.length &&
    rounds === undefined;
  const directory = join(ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const prefix = config.mode === 'smoke' ? 'smoke-' : complete ? '' : 'partial-';
  const file = join(directory, `${prefix}${stamp}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');

  console.log(`\n${renderMachine(results)}\n\n${renderTables(results)}`);
  console.log(`results: ${file}`);
  if (config.mode === 'full' && complete) {
    writeBenchmarksMarkdown(results, file);
    console.log('BENCHMARKS.md updated');
  }
  // The smoke run is CI's proof that every scenario runs for every implementation: any failed run
  // fails the command (the full run too, after its results are written).
  const failures = results.scenarios.flatMap((scenario) =>
    scenario.cells.flatMap((cell) =>
      Object.entries(cell.runs).flatMap(([impl, runs]) =>
        runs.flatMap((run) => ('error' in run ? [`${scenario.id} | ${cell.label} | ${impl}: ${run.error}`] : [])),
      ),
    ),
  );
  if (failures.length > 0) {
    console.error(`\n${failures.length} run(s) failed:\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

await runStoppingChildren(main, 'benchmark processes');
