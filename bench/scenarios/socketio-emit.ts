import { runCells, type CellPlan, type RunContext } from '../lib/context.js';
import { waitForConnections } from '../lib/measure.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import { socketIoConfig } from '../socketio/config.js';
import {
  GeneratorPool,
  SocketIoServerSet,
  logGoals,
  measurePool,
  shares,
  withImplementations,
  withLoads,
} from '../socketio/harness.js';
import { SOCKET_IO_IMPLEMENTATIONS } from '../socketio/implementations.js';
import type { Driver, EmitLoad } from '../socketio/protocol.js';

const METRICS: readonly MetricDef[] = [
  { key: 'eventsPerSecond', label: 'events/s', format: 'rate', better: 'higher', table: true },
  { key: 'cpuMicrosPerEvent', label: 'server CPU per event', format: 'micros', better: 'lower', table: true },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/**
 * Emit throughput: clients keep a window of `echo` events in flight, the server emits each back to
 * its sender, and the generators count the echoes. Driven once by raw frames (one process) and
 * once by `socket.io-client` (several processes).
 */
export async function runSocketIoEmit(context: RunContext): Promise<ScenarioResult> {
  const settings = socketIoConfig(context.config);
  const { connections, window, clientProcesses } = settings.emit;
  const servers = new SocketIoServerSet(context);
  const pool = new GeneratorPool();
  const cellId = (driver: Driver): string => `socketio-emit-${driver}-${connections}x${window}`;
  const plan = (driver: Driver, processes: number): CellPlan => ({
    id: cellId(driver),
    label: `${connections} clients × ${window} in flight, ${driver === 'raw' ? 'raw frames' : `socket.io-client (${processes} processes)`}`,
    params: { connections, window, driver, processes },
    run: async (implementation) => {
      const server = await servers.get(implementation);
      const generators = await pool.take(processes);
      const loads = shares(connections, processes).map((share): EmitLoad => ({
        kind: 'emit',
        driver,
        port: server.port,
        connections: share,
        window,
      }));
      const { value: measured, results } = await withLoads(generators, loads, () =>
        measurePool(generators, server.child, settings.warmupMs, settings.measureMs),
      );
      if (measured.count === 0) throw new Error('no event was echoed in the measurement window');
      if (!(await waitForConnections(server.child, 0, 15_000)))
        context.log('    (server still had clients 15 s after the load stopped)');
      return {
        eventsPerSecond: measured.count / measured.seconds,
        cpuMicrosPerEvent: measured.serverCpuMicros / measured.count,
        serverCpuPercent: measured.serverCpuPercent,
        generatorCpuPercent: measured.generatorCpuPercent,
        errors: results.reduce((sum, result) => sum + result.errors, 0),
      };
    },
  });
  try {
    const result = await runCells(
      context,
      {
        id: 'socketio-emit',
        title: 'Socket.IO emit throughput',
        description:
          'Each client keeps a window of `echo` events in flight (a ~100-byte chat object); the server answers each with `socket.emit("echo", data)`, and events/s counts echoes received. WebSocket transport. "raw frames": one generator process writing pre-encoded, pre-masked frames and recognising echoes by their first bytes, so the server is the limit; "socket.io-client": the official client in several processes sharing the generator core.',
        metrics: METRICS,
      },
      [plan('raw', 1), plan('client', clientProcesses)],
      'eventsPerSecond',
      SOCKET_IO_IMPLEMENTATIONS,
    );
    logGoals(context, result, [{ cellId: cellId('raw'), metric: 'eventsPerSecond', atLeast: 1.5 }]);
    return withImplementations(context, result);
  } finally {
    await pool.close();
    await servers.close();
  }
}
