/**
 * `npm run soak`: holds thousands of connections to a server in a child process for minutes, with
 * a share of hostile and slow ones, and reports what one client can cost it: the server's peak
 * RSS, its healthy clients' round trips over time, and what each attacker got.
 *
 *   npm run soak -- [--server ws|io] [--connections 10000] [--duration 180] [--generators 2]
 *
 * The server (default limits, permessage-deflate accepted) runs on core 0, the client processes
 * on core 1 (when `taskset` exists), all on loopback; each client process connects from its own
 * 127.x address, so that none runs out of source ports. The run stops by itself, kills every
 * child it started by PID, prints its tables and writes `bench/results/soak-<server>-<time>.json`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileForBenchmarks, removeBuild } from '../lib/build.js';
import { BenchChild, ROOT, runCompiledFrom, runStoppingChildren } from '../lib/children.js';
import { machineInfo } from '../lib/machine.js';
import type { LatencySummary } from '../lib/protocol.js';
import {
  COMMON_ATTACKS,
  REALTIME_ATTACKS,
  Role,
  type GeneratorResult,
  type GeneratorSample,
  type RoleOutcome,
  type RolePlan,
  type ServerStats,
  type SoakServerKind,
  type Tally,
} from './protocol.js';

const HEALTHY = 20;
const SLOW = 20;
/** Connections of each attack: "a few". */
const PER_ATTACK = 5;
/** File descriptors each process keeps beyond its connections (pipes, the listener, zlib, files). */
const SPARE_DESCRIPTORS = 512;
const SAMPLE_SECONDS = 5;

interface Options {
  readonly server: SoakServerKind;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly generators: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'ws' },
      connections: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '180' },
      generators: { type: 'string', default: '2' },
    },
  });
  const server = values.server;
  if (server !== 'ws' && server !== 'io') throw new TypeError(`--server must be ws or io, got ${server}`);
  const connections = Number(values.connections);
  const durationSeconds = Number(values.duration);
  const generators = Number(values.generators);
  if (!Number.isInteger(connections) || connections < 1)
    throw new TypeError(`--connections must be a positive integer, got ${values.connections}`);
  if (!(durationSeconds > 0) || durationSeconds > 24 * 3600)
    throw new TypeError(`--duration must be 1 to 86400 seconds, got ${values.duration}`);
  if (!Number.isInteger(generators) || generators < 1 || generators > 200)
    throw new TypeError(`--generators must be 1 to 200, got ${values.generators}`);
  return { server, connections, durationSeconds, generators };
}

/** The soft and hard limits on open files of this process (Linux), or `undefined` elsewhere. */
function openFileLimits(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const [soft, hard] = line!.slice('Max open files'.length).trim().split(/\s+/);
    const read = (value: string | undefined): number => (value === 'unlimited' ? Infinity : Number(value));
    return { soft: read(soft), hard: read(hard) };
  } catch {
    return undefined;
  }
}

/**
 * Warns when this process may not open `needed` files. Node raises its soft limit on open files to
 * the hard one as it starts (children inherit it), so only the hard limit can be short; client
 * processes hold a share each, the server all the connections.
 */
function checkDescriptorLimit(needed: number): void {
  const limits = openFileLimits();
  if (limits === undefined || limits.soft >= needed) return;
  console.warn(
    `open files: limit ${limits.soft} (hard ${limits.hard}), ${needed} needed: the server will refuse connections; raise it with ulimit -n`,
  );
}

/**
 * Splits the connections among the client processes: the healthy clients alone in the first (one
 * histogram, and no attack's CPU work delaying their round trips on the client side), every
 * other role dealt out among the rest.
 */
function plans(options: Options): RolePlan[] {
  const attacks = options.server === 'io' ? [...COMMON_ATTACKS, ...REALTIME_ATTACKS] : COMMON_ATTACKS;
  const special = attacks.map((role): [Role, number] => [role, role === Role.Slow ? SLOW : PER_ATTACK]);
  const idle = Math.max(0, options.connections - HEALTHY - special.reduce((sum, [, count]) => sum + count, 0));
  const others: RolePlan[] = Array.from({ length: options.generators }, () => ({}));
  let turn = 0;
  for (const [role, count] of special) {
    for (let i = 0; i < count; i++) {
      const plan = others[turn++ % options.generators]!;
      plan[role] = (plan[role] ?? 0) + 1;
    }
  }
  others.forEach(
    (plan, g) => (plan[Role.Idle] = Math.floor(idle / options.generators) + (g < idle % options.generators ? 1 : 0)),
  );
  return [{ [Role.Healthy]: HEALTHY }, ...others];
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '?');
const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const ms = (micros: number): string => (micros / 1000).toFixed(micros < 10_000 ? 2 : 0);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** A tally as text, largest first: `close 1008 ×12, HTTP 431 ×3`. */
function describe(tally: Tally | undefined): string {
  const entries = Object.entries(tally ?? {}).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? '-' : entries.map(([what, count]) => `${what} ×${count}`).join(', ');
}

function mergeOutcomes(results: readonly GeneratorResult[]): Record<string, RoleOutcome> {
  const merged: Record<string, RoleOutcome> = {};
  for (const result of results) {
    for (const [role, outcome] of Object.entries(result.roles)) {
      const into = (merged[role] ??= { attempts: 0, outcomes: {} });
      into.attempts += outcome.attempts;
      for (const [what, count] of Object.entries(outcome.outcomes))
        into.outcomes[what] = (into.outcomes[what] ?? 0) + count;
    }
  }
  return merged;
}

interface TimelineRow {
  readonly seconds: number;
  readonly connections: number;
  readonly rss: number;
  readonly peakRss: number;
  readonly sendBudgetHeld: number;
  readonly inflateBudgetHeld: number;
  readonly eventLoopDelay: LatencySummary;
  readonly healthy: LatencySummary;
  readonly lost: number;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const generators = options.generators;
  checkDescriptorLimit(options.connections + SPARE_DESCRIPTORS);
  const started = new Date();
  console.log(
    `# Soak: ${options.server === 'ws' ? 'WebSocketServer' : 'realtime Server'}, ${options.connections} connections, ` +
      `${options.durationSeconds} s, ${generators} client processes and one for the healthy clients (${started.toISOString()})`,
  );
  const build = compileForBenchmarks();
  process.once('exit', () => removeBuild(build));
  runCompiledFrom(build);

  const server = new BenchChild({
    name: 'soak server',
    script: 'bench/soak/server.ts',
    args: [options.server],
    core: 0,
  });
  const ready = (await server.ready) as { port: number; pid: number };
  // The healthy clients' process is not pinned: the attackers' processes keep core 1 busy.
  const clients = Array.from(
    { length: generators + 1 },
    (_, index) =>
      new BenchChild({
        name: index === 0 ? 'soak healthy clients' : `soak client ${index}`,
        script: 'bench/soak/generator.ts',
        args: [options.server, String(ready.port), `127.0.0.${2 + (index % 250)}`],
        core: index === 0 ? undefined : 1,
      }),
  );
  await Promise.all(clients.map((client) => client.ready));

  const opening = Date.now();
  const split = plans(options);
  const opened = await Promise.all(
    clients.map((client, index) =>
      client.request<{ opened: number }>({ type: 'open', plan: split[index]! }, 15 * 60_000),
    ),
  );
  const idle = opened.reduce((sum, { opened: count }) => sum + count, 0);
  console.log(
    `opened ${idle} idle connections in ${((Date.now() - opening) / 1000).toFixed(1)} s; the other roles start now; holding for ${options.durationSeconds} s\n`,
  );

  const timeline: TimelineRow[] = [];
  const header = [
    't (s)',
    'conns',
    'RSS MiB',
    'peak MiB',
    'slow MiB',
    'inflating MiB',
    'loop p99 ms',
    'healthy p50 ms',
    'p99 ms',
    'max ms',
    'lost',
  ];
  console.log(table(header, []));
  const holdStart = Date.now();
  let next = holdStart;
  while (Date.now() - holdStart < options.durationSeconds * 1000) {
    next += SAMPLE_SECONDS * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    const [stats, healthy] = await Promise.all([
      server.request<ServerStats>({ type: 'stats' }),
      clients[0]!.request<GeneratorSample>({ type: 'sample' }),
    ]);
    const memory = memoryOf(ready.pid);
    const row: TimelineRow = {
      seconds: Math.round((Date.now() - holdStart) / 1000),
      connections: stats.connections,
      rss: memory.rss,
      peakRss: memory.peak,
      sendBudgetHeld: stats.sendBudget.held,
      inflateBudgetHeld: stats.inflateBudget.held,
      eventLoopDelay: stats.eventLoopDelay,
      healthy: healthy.latency,
      lost: healthy.lost,
    };
    timeline.push(row);
    console.log(
      table(header, [
        [
          String(row.seconds),
          String(row.connections),
          mib(row.rss),
          mib(row.peakRss),
          mib(row.sendBudgetHeld),
          mib(row.inflateBudgetHeld),
          ms(row.eventLoopDelay.p99),
          ms(row.healthy.p50),
          ms(row.healthy.p99),
          ms(row.healthy.max),
          String(row.lost),
        ],
      ])
        .split('\n')
        .at(-1),
    );
  }

  const finalStats = await server.request<ServerStats>({ type: 'stats' });
  const memory = memoryOf(ready.pid);
  const results = await Promise.all(
    clients.map((client) => client.request<GeneratorResult>({ type: 'finish' }, 30_000)),
  );
  const attackers = mergeOutcomes(results);
  const healthy = results[0]!.latency;

  const roleRows = Object.keys({ ...attackers, ...finalStats.roles })
    .sort()
    .map((role) => {
      const seen = finalStats.roles[role];
      const ended = seen === undefined ? undefined : { ...(seen.open > 0 ? { open: seen.open } : {}), ...seen.ended };
      return [
        role,
        String(attackers[role]?.attempts ?? 0),
        describe(attackers[role]?.outcomes),
        describe(ended),
        seen ? kib(seen.peakHeldBytes) : '-',
      ];
    });
  const heldMeaning = options.server === 'ws' ? 'bufferedAmount' : 'attachment bytes';
  console.log(
    `\n## What each role got\n\n${table(['role', 'attempts', 'what the client saw', 'what the server saw', `peak ${heldMeaning} / conn, KiB`], roleRows)}`,
  );
  const budgets = [
    ['send budget (bytes queued to slow peers)', finalStats.sendBudget],
    ['inflate budget (bytes inflating at once)', finalStats.inflateBudget],
  ] as const;
  console.log(
    `\n## Process-wide budgets\n\n${table(
      ['budget', 'limit MiB', 'peak MiB', 'connections closed'],
      budgets.map(([name, budget]) => [name, mib(budget.limit), mib(budget.peak), String(budget.closedConnections)]),
    )}`,
  );
  const summary = {
    peakRssBytes: memory.peak,
    finalRssBytes: memory.rss,
    healthyLatencyMicros: healthy,
    healthyLost: results[0]!.lost,
    containedErrors: finalStats.containedErrors,
  };
  console.log(
    `\n## Summary\n\nserver peak RSS (VmHWM): ${mib(summary.peakRssBytes)} MiB; at the end ${mib(summary.finalRssBytes)} MiB\n` +
      `healthy round trips: ${healthy.count}, p50 ${ms(healthy.p50)} ms, p99 ${ms(healthy.p99)} ms, max ${ms(healthy.max)} ms; lost (no answer in 5 s): ${summary.healthyLost}\n` +
      (options.server === 'io' ? `exceptions contained by the realtime server: ${summary.containedErrors}\n` : ''),
  );

  const directory = join(ROOT, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `soak-${options.server}-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        options,
        machine: machineInfo(),
        summary,
        timeline,
        attackers,
        server: finalStats,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`results: ${file}`);
}

await runStoppingChildren(main, 'soak processes');
