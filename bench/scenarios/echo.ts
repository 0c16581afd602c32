import { echoWindow, formatSize } from '../lib/config.js';
import { ServerSet, runCells, startGenerator, type CellPlan, type RunContext } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import { measureWindow, waitForConnections } from '../lib/measure.js';
import type { EchoLoad, LoadResult } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';

const MIB = 1024 * 1024;

const LOAD_METRICS: readonly MetricDef[] = [
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

const THROUGHPUT_METRICS: readonly MetricDef[] = [
  { key: 'messagesPerSecond', label: 'messages/s', format: 'rate', better: 'higher', table: true },
  { key: 'mibPerSecond', label: 'payload MiB/s', format: 'mibps', better: 'higher', table: false },
  { key: 'cpuMicrosPerMessage', label: 'server CPU per message', format: 'micros', better: 'lower', table: true },
  ...LOAD_METRICS,
];

const LATENCY_METRICS: readonly MetricDef[] = [
  { key: 'p50', label: 'p50 round trip', format: 'micros', better: 'lower', table: true },
  { key: 'p99', label: 'p99 round trip', format: 'micros', better: 'lower', table: true },
  { key: 'messagesPerSecond', label: 'messages/s', format: 'rate', better: 'higher', table: false },
  { key: 'cpuMicrosPerMessage', label: 'server CPU per message', format: 'micros', better: 'lower', table: false },
  ...LOAD_METRICS,
];

/**
 * Echo throughput and latency: binary messages echoed by the server, `window` in flight per
 * connection. Server CPU time per message comes from the server's own CPU clock over the window.
 */
export async function runEcho(context: RunContext): Promise<ScenarioResult[]> {
  const { config } = context;
  const servers = new ServerSet(context);
  const generator = await startGenerator();
  try {
    const measure = async (
      load: Omit<EchoLoad, 'port'>,
      implementation: Implementation,
    ): Promise<Record<string, number>> => {
      const server = await servers.get(implementation);
      const full: EchoLoad = { ...load, port: server.port };
      await generator.request({ type: 'start', load: full }, 120_000);
      let result: LoadResult | undefined;
      try {
        const window = await measureWindow(generator, server.child, config.warmupMs, config.measureMs);
        result = await generator.request<LoadResult>({ type: 'stop' });
        if (window.count === 0) throw new Error('no message was echoed in the measurement window');
        if (!(await waitForConnections(server.child, 0, 15_000)))
          context.log('    (server still had connections open 15 s after the load stopped)');
        return {
          messagesPerSecond: window.count / window.seconds,
          mibPerSecond: window.bytes / window.seconds / MIB,
          cpuMicrosPerMessage: window.serverCpuMicros / window.count,
          serverCpuPercent: window.serverCpuPercent,
          generatorCpuPercent: window.generatorCpuPercent,
          errors: result.errors,
          p50: result.latency.p50,
          p99: result.latency.p99,
        };
      } finally {
        if (result === undefined) await generator.request({ type: 'stop' }).catch(() => {});
      }
    };

    const throughputPlans: CellPlan[] = [];
    for (const connections of config.echo.connections) {
      for (const size of config.echo.sizes) {
        const window = echoWindow(size, connections);
        throughputPlans.push({
          id: `echo-${connections}x${size}`,
          label: `${connections} conn × ${formatSize(size)}`,
          params: { connections, size, window },
          run: (implementation) => measure({ kind: 'echo', connections, size, window, latency: false }, implementation),
        });
      }
    }
    const throughput = await runCells(
      context,
      {
        id: 'echo-throughput',
        title: 'Echo throughput',
        description:
          'Binary messages echoed back to their sender. Each connection keeps up to 64 messages in flight (at most 8 MiB over all connections, at least 1 each); messages/s counts echoes received by the generator.',
        metrics: THROUGHPUT_METRICS,
      },
      throughputPlans,
      'messagesPerSecond',
    );

    const latencyPlans: CellPlan[] = config.latency.sizes.map((size) => ({
      id: `latency-${size}`,
      label: `1 conn × ${formatSize(size)}`,
      params: { connections: 1, size, window: 1 },
      run: (implementation) =>
        measure({ kind: 'echo', connections: 1, size, window: 1, latency: true }, implementation),
    }));
    const latency = await runCells(
      context,
      {
        id: 'echo-latency',
        title: 'Echo latency',
        description:
          'One connection, one message in flight: the round trip from writing a message to reading its whole echo.',
        metrics: LATENCY_METRICS,
      },
      latencyPlans,
      'p50',
    );
    return [throughput, latency];
  } finally {
    await generator.kill();
    await servers.close();
  }
}
