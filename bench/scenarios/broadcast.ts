import { ServerSet, runCells, startGenerator, type RunContext } from '../lib/context.js';
import { measureWindow, waitForConnections } from '../lib/measure.js';
import type { BroadcastLoad, LoadResult } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';

const METRICS: readonly MetricDef[] = [
  { key: 'deliveriesPerSecond', label: 'delivered messages/s', format: 'rate', better: 'higher', table: true },
  { key: 'p50', label: 'p50 delivery latency', format: 'micros', better: 'lower', table: true },
  { key: 'p99', label: 'p99 delivery latency', format: 'micros', better: 'lower', table: true },
  { key: 'cpuMicrosPerDelivery', label: 'server CPU per delivery', format: 'micros', better: 'lower', table: true },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/**
 * Broadcast fan-out: one client publishes, the server sends each message to every client, and the
 * generator measures delivered messages per second and each delivery's latency from the send time
 * embedded in the payload.
 */
export async function runBroadcast(context: RunContext): Promise<ScenarioResult> {
  const { broadcast } = context.config;
  const servers = new ServerSet(context);
  const generator = await startGenerator();
  try {
    return await runCells(
      context,
      {
        id: 'broadcast',
        title: 'Broadcast fan-out',
        description: `Each message (${broadcast.size} B, binary) goes to every client, publisher included; the next is published when ${broadcast.window === 1 ? 'the previous one has' : `${broadcast.window} earlier ones have`} reached all clients. Latency runs from the publisher's write to each client's read of its copy.`,
        metrics: METRICS,
      },
      broadcast.clients.map((clients) => ({
        id: `broadcast-${clients}`,
        label: `${clients.toLocaleString('en-US')} clients`,
        params: { clients, size: broadcast.size, window: broadcast.window },
        run: async (implementation) => {
          const server = await servers.get(implementation);
          const load: BroadcastLoad = {
            kind: 'broadcast',
            port: server.port,
            clients,
            size: broadcast.size,
            window: broadcast.window,
            concurrency: 100,
          };
          await generator.request({ type: 'start', load }, 180_000);
          let result: LoadResult | undefined;
          try {
            if (!(await waitForConnections(server.child, clients, 30_000)))
              throw new Error(`the server never saw all ${clients} clients`);
            await generator.request({ type: 'go' });
            const window = await measureWindow(generator, server.child, broadcast.warmupMs, broadcast.measureMs);
            result = await generator.request<LoadResult>({ type: 'stop' });
            if (window.count === 0) throw new Error('no broadcast was delivered in the measurement window');
            if (!(await waitForConnections(server.child, 0, 30_000)))
              context.log('    (server still had connections open 30 s after the load stopped)');
            return {
              deliveriesPerSecond: window.count / window.seconds,
              p50: result.latency.p50,
              p99: result.latency.p99,
              cpuMicrosPerDelivery: window.serverCpuMicros / window.count,
              serverCpuPercent: window.serverCpuPercent,
              generatorCpuPercent: window.generatorCpuPercent,
              errors: result.errors,
            };
          } finally {
            if (result === undefined) await generator.request({ type: 'stop' }).catch(() => {});
          }
        },
      })),
      'deliveriesPerSecond',
    );
  } finally {
    await generator.kill();
    await servers.close();
  }
}
