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
import type { AckLoad, Driver } from '../socketio/protocol.js';

const METRICS: readonly MetricDef[] = [
  { key: 'p50', label: 'p50 ack round trip', format: 'micros', better: 'lower', table: true },
  { key: 'p99', label: 'p99 ack round trip', format: 'micros', better: 'lower', table: true },
  { key: 'acksPerSecond', label: 'acknowledgements/s', format: 'rate', better: 'higher', table: false },
  { key: 'cpuMicrosPerAck', label: 'server CPU per ack', format: 'micros', better: 'lower', table: false },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/**
 * Emit-with-ack round trips: each client keeps one `ack` event in flight and the server
 * acknowledges with the argument; the generator times each from the write of the event to the
 * read of its ACK. One client alone, then many at once; raw frames and `socket.io-client`, over
 * WebSocket, and (when configured) `socket.io-client` over HTTP long-polling.
 */
export async function runSocketIoAck(context: RunContext): Promise<ScenarioResult> {
  const settings = socketIoConfig(context.config);
  const servers = new SocketIoServerSet(context);
  const pollingServers = new SocketIoServerSet(context, 'polling,websocket');
  const pool = new GeneratorPool();
  const plan = (driver: Driver, connections: number, transport: AckLoad['transport']): CellPlan => ({
    id: `socketio-ack-${driver}-${transport}-${connections}`,
    label: `${connections} client${connections === 1 ? '' : 's'}, ${driver === 'raw' ? 'raw frames' : 'socket.io-client'}${transport === 'polling' ? ', long-polling' : ''}`,
    params: { connections, window: 1, driver, transport },
    run: async (implementation) => {
      const server = await (transport === 'polling' ? pollingServers : servers).get(implementation);
      const [generator] = await pool.take(1);
      const load: AckLoad = { kind: 'ack', driver, port: server.port, connections, window: 1, transport };
      const { value: measured, results } = await withLoads([generator!], [load], () =>
        measurePool([generator!], server.child, settings.warmupMs, settings.measureMs),
      );
      if (measured.count === 0) throw new Error('no acknowledgement arrived in the measurement window');
      if (!(await waitForConnections(server.child, 0, 15_000)))
        context.log('    (server still had clients 15 s after the load stopped)');
      return {
        p50: results[0]!.latency.p50,
        p99: results[0]!.latency.p99,
        acksPerSecond: measured.count / measured.seconds,
        cpuMicrosPerAck: measured.serverCpuMicros / measured.count,
        serverCpuPercent: measured.serverCpuPercent,
        generatorCpuPercent: measured.generatorCpuPercent,
        errors: results[0]!.errors,
      };
    },
  });
  const plans = [
    plan('raw', 1, 'websocket'),
    plan('raw', settings.ack.loadedConnections, 'websocket'),
    plan('client', 1, 'websocket'),
    ...(settings.polling ? [plan('client', 1, 'polling')] : []),
  ];
  try {
    const result = await runCells(
      context,
      {
        id: 'socketio-ack',
        title: 'Socket.IO emit-with-ack round trip',
        description:
          'Each client keeps one `ack` event in flight (a ~100-byte chat object) and the server calls the acknowledgement with it; the round trip runs from writing the event to reading its ACK. WebSocket transport unless marked long-polling (that server accepts both transports; the client uses polling only). With many clients the round trip includes queueing behind the others, so it follows throughput. One generator process; "raw frames" writes pre-encoded, pre-masked frames.',
        metrics: METRICS,
      },
      plans,
      'p50',
      SOCKET_IO_IMPLEMENTATIONS,
    );
    logGoals(
      context,
      result,
      plans.slice(0, 3).map((cell) => ({ cellId: cell.id, metric: 'p99', atMost: 0.8 })),
    );
    return withImplementations(context, result);
  } finally {
    await pool.close();
    await Promise.all([servers.close(), pollingServers.close()]);
  }
}
