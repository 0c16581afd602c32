/**
 * Profiles a Socket.IO server under one of the benchmark loads and prints where its CPU time, or
 * its memory per idle client, goes:
 *
 *   node --import tsx bench/socketio/profile.ts [emit|ack|broadcast] [switchboard-io|socket.io] [seconds]
 *   node --import tsx bench/socketio/profile.ts memory [switchboard-io|socket.io] [clients]
 *
 * The server runs from compiled JavaScript, as in `npm run bench`, pinned to the server core; a
 * raw-frame generator on the other core applies the load. For CPU, the server runs with
 * `--cpu-prof` and exits cleanly so V8 writes the profile, and the summary lists the functions with
 * the most self time, then the same time grouped by source file. For memory, heap snapshots are
 * taken before and with the idle clients, and the difference per client is listed by kind of
 * object. Files go to bench/.build/profiles/, ignored by git.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compileForBenchmarks, removeBuild } from '../lib/build.js';
import { BenchChild, ROOT, runCompiledFrom, runStoppingChildren } from '../lib/children.js';
import { GENERATOR_CORE, SERVER_CORE } from '../lib/context.js';
import { sleep, waitForConnections } from '../lib/measure.js';
import { SocketIoImplId } from './implementations.js';
import type { SocketIoLoad } from './protocol.js';

/** A node of a V8 `.cpuprofile`. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

/** The parts of a V8 `.cpuprofile` the summary reads. */
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time (µs) per function and per file, from the samples of a profile. */
export function summarizeProfile(profile: CpuProfile): {
  functions: Map<string, number>;
  files: Map<string, number>;
  total: number;
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const micros = profile.timeDeltas[i] ?? 0;
    if (node === undefined) continue;
    total += micros;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url === '' ? '(native or V8)' : shortPath(url);
    const name = `${functionName || '(anonymous)'} ${url === '' ? '' : `${file}:${lineNumber + 1}`}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
    files.set(file, (files.get(file) ?? 0) + micros);
  }
  return { functions, files, total };
}

function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const build = path.indexOf('/bench/.build/run-');
  if (build !== -1) return path.slice(build).replace(/^\/bench\/\.build\/run-\d+\//, '');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

function top(entries: Map<string, number>, total: number, count: number): string[] {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

function loadFor(kind: string, port: number): SocketIoLoad {
  switch (kind) {
    case 'emit':
      return { kind: 'emit', driver: 'raw', port, connections: 100, window: 16 };
    case 'ack':
      return { kind: 'ack', driver: 'raw', port, connections: 100, window: 1, transport: 'websocket' };
    case 'broadcast':
      return { kind: 'fan-out', driver: 'raw', port, clients: 1000, window: 1, concurrency: 100 };
    default:
      throw new Error(`unknown load ${kind}; one of emit, ack, broadcast`);
  }
}

/** A V8 heap snapshot, as far as the histogram reads it. */
interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
    };
  };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

/** Shallow bytes and counts per kind of heap object (`object Foo`, `closure bar`, `string`, ...). */
export function heapHistogram(snapshot: HeapSnapshot): Map<string, { bytes: number; count: number }> {
  const fields = snapshot.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snapshot.snapshot.meta.node_types[0];
  const histogram = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? 'unknown';
    // Objects and closures by constructor or function name; strings, arrays and code by type only.
    const key =
      type === 'object' || type === 'closure' || type === 'native'
        ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]!]}`
        : type;
    const entry = histogram.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += snapshot.nodes[i + sizeAt]!;
    entry.count++;
    histogram.set(key, entry);
  }
  return histogram;
}

function startChildren(
  implementation: string,
  serverNodeOptions: readonly string[],
): { server: BenchChild; generator: BenchChild } {
  const server = new BenchChild({
    name: `${implementation} server`,
    script: 'bench/socketio/server-main.ts',
    args: [implementation, 'websocket'],
    core: SERVER_CORE,
    nodeOptions: serverNodeOptions,
  });
  const generator = new BenchChild({
    name: 'generator',
    script: 'bench/socketio/generator-main.ts',
    core: GENERATOR_CORE,
  });
  return { server, generator };
}

async function profileCpu(directory: string, kind: string, implementation: string, seconds: number): Promise<void> {
  const before = new Set(readdirSync(directory));
  const { server, generator } = startChildren(implementation, ['--cpu-prof', `--cpu-prof-dir=${directory}`]);
  const port = Number((await server.ready)['port']);
  await generator.ready;
  const load = loadFor(kind, port);
  await generator.request({ type: 'start', load }, 120_000);
  if (load.kind === 'fan-out' && !(await waitForConnections(server, load.clients, 30_000)))
    throw new Error('not every client connected');
  await generator.request({ type: 'go' });
  const start = await generator.request<{ count: number }>({ type: 'sample', resetLatency: true });
  await sleep(seconds * 1000);
  const end = await generator.request<{ count: number }>({ type: 'sample', resetLatency: false });
  await generator.request({ type: 'stop' });
  await server.request({ type: 'exit' }).catch(() => {});
  await server.exited;
  await generator.kill();
  const written = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile') && !before.has(name));
  if (written.length !== 1) throw new Error(`expected one new profile in ${directory}, found ${written.length}`);
  const file = join(directory, written[0]!);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(
    `${implementation}, ${kind} load for ${seconds} s: ${((end.count - start.count) / seconds).toFixed(0)} events/s counted by the generator`,
  );
  console.log(`profile: ${relative(ROOT, file)} (${(summary.total / 1e6).toFixed(2)} s sampled, start-up included)\n`);
  console.log('self time by function:');
  console.log(top(summary.functions, summary.total, 30).join('\n'));
  console.log('\nself time by file:');
  console.log(top(summary.files, summary.total, 15).join('\n'));
}

async function profileMemory(directory: string, implementation: string, clients: number): Promise<void> {
  const { server, generator } = startChildren(implementation, ['--expose-gc']);
  const port = Number((await server.ready)['port']);
  await generator.ready;
  const empty = join(directory, `${implementation}-empty.heapsnapshot`);
  const full = join(directory, `${implementation}-${clients}-idle.heapsnapshot`);
  await server.request({ type: 'heap-snapshot', path: empty }, 120_000);
  const load: SocketIoLoad = {
    kind: 'idle-clients',
    driver: 'raw',
    port,
    connections: clients,
    localAddress: '127.0.0.5',
    concurrency: 100,
  };
  await generator.request({ type: 'start', load }, 120_000);
  if (!(await waitForConnections(server, clients, 60_000))) throw new Error('not every client connected');
  await server.request({ type: 'heap-snapshot', path: full }, 120_000);
  await generator.request({ type: 'stop' });
  await Promise.all([server.kill(), generator.kill()]);
  const read = (file: string): Map<string, { bytes: number; count: number }> =>
    heapHistogram(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot);
  const [before, after] = [read(empty), read(full)];
  const rows = [...after]
    .map(([key, entry]) => {
      const base = before.get(key) ?? { bytes: 0, count: 0 };
      return { key, bytes: (entry.bytes - base.bytes) / clients, count: (entry.count - base.count) / clients };
    })
    .sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`${implementation}: JS heap per idle client (shallow sizes, ${clients} clients): ${total.toFixed(0)} B`);
  console.log(`snapshots: ${relative(ROOT, empty)}, ${relative(ROOT, full)}\n`);
  console.log('   bytes  objects  kind');
  for (const row of rows.slice(0, 30))
    console.log(`${row.bytes.toFixed(0).padStart(8)} ${row.count.toFixed(2).padStart(8)}  ${row.key}`);
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? 'emit';
  const implementation = process.argv[3] ?? SocketIoImplId.Switchboard;
  const amount = Number(process.argv[4] ?? (kind === 'memory' ? 2000 : 5));
  const directory = join(ROOT, 'bench', '.build', 'profiles');
  mkdirSync(directory, { recursive: true });
  const build = compileForBenchmarks();
  process.once('exit', () => removeBuild(build));
  runCompiledFrom(build);
  if (kind === 'memory') await profileMemory(directory, implementation, amount);
  else await profileCpu(directory, kind, implementation, amount);
}

await runStoppingChildren(main, 'profiled processes');
