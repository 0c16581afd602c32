import type { BenchChild } from './children.js';
import type { CpuSample, LoadSample } from './protocol.js';

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the measurement window saw, from the generator's counters and the server's CPU clock. */
export interface Window {
  readonly seconds: number;
  readonly count: number;
  readonly bytes: number;
  readonly wireBytes: number;
  /** Server CPU time (user + system) spent in the window, in microseconds. */
  readonly serverCpuMicros: number;
  /** Server CPU time over wall time, in percent of one core. */
  readonly serverCpuPercent: number;
  /** Generator CPU time over wall time, in percent of one core: near 100 would make it the bottleneck. */
  readonly generatorCpuPercent: number;
}

function cpuPercent(start: CpuSample, end: CpuSample): number {
  const used = end.user + end.system - start.user - start.system;
  return (used / ((end.time - start.time) / 1000)) * 100;
}

/**
 * Lets a running load warm up, then samples the generator's counters and the server's CPU time at
 * the start and end of the measurement window.
 */
export async function measureWindow(
  generator: BenchChild,
  server: BenchChild,
  warmupMs: number,
  measureMs: number,
): Promise<Window> {
  await sleep(warmupMs);
  const [g0, s0] = await Promise.all([
    generator.request<LoadSample>({ type: 'sample', resetLatency: true }),
    server.request<CpuSample>({ type: 'cpu' }),
  ]);
  await sleep(measureMs);
  const [g1, s1] = await Promise.all([
    generator.request<LoadSample>({ type: 'sample', resetLatency: false }),
    server.request<CpuSample>({ type: 'cpu' }),
  ]);
  return {
    seconds: (g1.cpu.time - g0.cpu.time) / 1e9,
    count: g1.count - g0.count,
    bytes: g1.bytes - g0.bytes,
    wireBytes: g1.wireBytes - g0.wireBytes,
    serverCpuMicros: s1.user + s1.system - s0.user - s0.system,
    serverCpuPercent: cpuPercent(s0, s1),
    generatorCpuPercent: cpuPercent(g0.cpu, g1.cpu),
  };
}

/** Polls the server until it reports `target` open connections; gives up after `timeoutMs`. */
export async function waitForConnections(server: BenchChild, target: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await server.request<number>({ type: 'connections' });
    if (open === target) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}
