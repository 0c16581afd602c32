import type { BenchChild } from '../lib/children.js';
import { startServerProcess, type RunContext, type StartedServer } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import { sleep, waitForConnections } from '../lib/measure.js';
import type { CpuSample, LoadSample } from '../lib/protocol.js';
import type { BenchRedis } from './redis-server.js';

/**
 * The clusters of a scenario, one per implementation, each `size` node processes on the server
 * core sharing one Redis (each implementation under its own channel prefix); started when first
 * needed, and again when a node has died.
 */
export class ClusterPool {
  private readonly clusters = new Map<string, StartedServer[]>();

  constructor(
    private readonly context: RunContext,
    private readonly redisUrl: string,
    private readonly size: number,
  ) {}

  async get(implementation: Implementation): Promise<StartedServer[]> {
    const running = this.clusters.get(implementation.id);
    if (running?.every((node) => node.child.alive)) return running;
    await Promise.all((running ?? []).map((node) => node.child.kill()));
    this.clusters.delete(implementation.id);
    const nodes: StartedServer[] = [];
    try {
      for (let i = 0; i < this.size; i++) {
        nodes.push(
          await startServerProcess(this.context, implementation, 'bench/redis/server-main.ts', [
            implementation.id,
            this.redisUrl,
            `bench-${implementation.id}`,
          ]),
        );
      }
    } catch (error) {
      await Promise.all(nodes.map((node) => node.child.kill()));
      throw error;
    }
    this.clusters.set(implementation.id, nodes);
    return nodes;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clusters.values()].flat().map((node) => node.child.kill()));
    this.clusters.clear();
  }
}

/** Polls every node until each reports its share of the clients; gives up after `timeoutMs`. */
export async function waitForShares(
  nodes: readonly BenchChild[],
  shares: readonly number[],
  timeoutMs: number,
): Promise<boolean> {
  const reached = await Promise.all(nodes.map((node, i) => waitForConnections(node, shares[i]!, timeoutMs)));
  return reached.every(Boolean);
}

/** What a measurement window of a cluster saw. */
export interface ClusterWindow {
  readonly seconds: number;
  /** Deliveries counted by the generator. */
  readonly count: number;
  /** CPU time of every node together, in microseconds. */
  readonly serverCpuMicros: number;
  /** CPU time of Redis, in microseconds. */
  readonly redisCpuMicros: number;
  /** Commands Redis ran (the runner's own INFO excluded). */
  readonly redisCommands: number;
  /** Of them, PUBLISH commands. */
  readonly publishes: number;
  readonly generatorCpuMicros: number;
}

interface ClusterSample {
  readonly load: LoadSample;
  readonly nodes: readonly CpuSample[];
  readonly calls: Map<string, number>;
  readonly redisCpu: number;
}

async function sample(
  generator: BenchChild,
  nodes: readonly BenchChild[],
  redis: BenchRedis,
  resetLatency: boolean,
): Promise<ClusterSample> {
  const [load, cpus, calls, redisCpu] = await Promise.all([
    generator.request<LoadSample>({ type: 'sample', resetLatency }),
    Promise.all(nodes.map((node) => node.request<CpuSample>({ type: 'cpu' }))),
    redis.commandCalls(),
    redis.cpuMicros(),
  ]);
  return { load, nodes: cpus, calls, redisCpu };
}

function cpuUsed(start: CpuSample, end: CpuSample): number {
  return end.user + end.system - start.user - start.system;
}

function callsBetween(start: Map<string, number>, end: Map<string, number>, only?: string): number {
  let total = 0;
  for (const [command, calls] of end) {
    if (command === 'info' || (only !== undefined && command !== only)) continue;
    total += calls - (start.get(command) ?? 0);
  }
  return total;
}

/**
 * Lets a running load warm up, then reads the generator's counters, every node's CPU clock and
 * Redis' command counts and CPU time at the start and end of the measurement window.
 */
export async function measureCluster(
  generator: BenchChild,
  nodes: readonly BenchChild[],
  redis: BenchRedis,
  warmupMs: number,
  measureMs: number,
): Promise<ClusterWindow> {
  await sleep(warmupMs);
  const start = await sample(generator, nodes, redis, true);
  await sleep(measureMs);
  const end = await sample(generator, nodes, redis, false);
  return {
    seconds: (end.load.cpu.time - start.load.cpu.time) / 1e9,
    count: end.load.count - start.load.count,
    serverCpuMicros: end.nodes.reduce((sum, cpu, i) => sum + cpuUsed(start.nodes[i]!, cpu), 0),
    redisCpuMicros: end.redisCpu - start.redisCpu,
    redisCommands: callsBetween(start.calls, end.calls),
    publishes: callsBetween(start.calls, end.calls, 'publish'),
    generatorCpuMicros: cpuUsed(start.load.cpu, end.load.cpu),
  };
}
