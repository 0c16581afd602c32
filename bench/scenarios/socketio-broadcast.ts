import { runCells, type CellPlan, type RunContext } from '../lib/context.js';
import { waitForConnections } from '../lib/measure.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import { socketIoConfig } from '../socketio/config.js';
import {
  GeneratorPool,
  SocketIoServerSet,
  logGoals,
  measurePool,
  withImplementations,
  withLoads,
} from '../socketio/harness.js';
import { SOCKET_IO_IMPLEMENTATIONS } from '../socketio/implementations.js';
import type { FanOutLoad } from '../socketio/protocol.js';

const METRICS: readonly MetricDef[] = [
  { key: 'cpuMicrosPerDelivery', label: 'server CPU per delivery', format: 'micros', better: 'lower', table: true },
  { key: 'deliveriesPerSecond', label: 'delivered events/s', format: 'rate', better: 'higher', table: true },
  { key: 'p50', label: 'p50 delivery latency', format: 'micros', better: 'lower', table: true },
  { key: 'p99', label: 'p99 delivery latency', format: 'micros', better: 'lower', table: false },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/**
 * Broadcast to every client: one raw-frame client publishes `broadcast` events, the server calls
 * `io.emit("broadcast", data)`, and a new event goes out whenever one has reached every client,
 * with one event in flight (latency) or several (throughput). Server CPU per delivery comes from
 * the server's own CPU clock over the window.
 */
export async function runSocketIoBroadcast(context: RunContext): Promise<ScenarioResult> {
  const settings = socketIoConfig(context.config);
  const { clients, windows, warmupMs, measureMs } = settings.broadcast;
  const servers = new SocketIoServerSet(context);
  const pool = new GeneratorPool();
  const cellId = (window: number): string => `socketio-broadcast-${clients}x${window}`;
  const plan = (window: number): CellPlan => ({
    id: cellId(window),
    label: `${clients.toLocaleString('en-US')} clients, ${window} in flight, raw frames`,
    params: { clients, window, driver: 'raw' },
    run: async (implementation) => {
      const server = await servers.get(implementation);
      const [generator] = await pool.take(1);
      const load: FanOutLoad = { kind: 'fan-out', driver: 'raw', port: server.port, clients, window, concurrency: 100 };
      const { value: measured, results } = await withLoads([generator!], [load], async () => {
        if (!(await waitForConnections(server.child, clients, 30_000)))
          throw new Error(`the server never saw all ${clients} clients`);
        await generator!.request({ type: 'go' });
        return measurePool([generator!], server.child, warmupMs, measureMs);
      });
      if (measured.count === 0) throw new Error('no broadcast was delivered in the measurement window');
      if (!(await waitForConnections(server.child, 0, 30_000)))
        context.log('    (server still had clients 30 s after the load stopped)');
      return {
        cpuMicrosPerDelivery: measured.serverCpuMicros / measured.count,
        deliveriesPerSecond: measured.count / measured.seconds,
        p50: results[0]!.latency.p50,
        p99: results[0]!.latency.p99,
        serverCpuPercent: measured.serverCpuPercent,
        generatorCpuPercent: measured.generatorCpuPercent,
        errors: results[0]!.errors,
      };
    },
  });
  try {
    const result = await runCells(
      context,
      {
        id: 'socketio-broadcast',
        title: 'Socket.IO broadcast',
        description: `Each \`broadcast\` event (a 64-character string carrying its sequence number and send time) goes to every client with \`io.emit\`, publisher included; a new one is published whenever one has reached all ${clients.toLocaleString('en-US')} clients, with 1 in flight (the delivery latency of a lone event) or more (throughput, where a server may write several events to a client at once). WebSocket transport; one raw-frame generator process. Latency runs from the publisher's write to each client's read of its copy.`,
        metrics: METRICS,
      },
      windows.map(plan),
      'cpuMicrosPerDelivery',
      SOCKET_IO_IMPLEMENTATIONS,
    );
    logGoals(
      context,
      result,
      windows.map((window) => ({ cellId: cellId(window), metric: 'cpuMicrosPerDelivery', atMost: 0.6 })),
    );
    return withImplementations(context, result);
  } finally {
    await pool.close();
    await servers.close();
  }
}
