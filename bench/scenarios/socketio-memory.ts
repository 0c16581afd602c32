import { runCells, type RunContext } from '../lib/context.js';
import { waitForConnections } from '../lib/measure.js';
import type { MemorySample } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import { socketIoConfig } from '../socketio/config.js';
import {
  GeneratorPool,
  logGoals,
  startSocketIoServerProcess,
  withImplementations,
  withLoads,
} from '../socketio/harness.js';
import { SOCKET_IO_IMPLEMENTATIONS } from '../socketio/implementations.js';
import type { IdleClientsLoad } from '../socketio/protocol.js';

const METRICS: readonly MetricDef[] = [
  { key: 'rssPerClient', label: 'RSS per idle client', format: 'bytes', better: 'lower', table: true },
  { key: 'heapPerClient', label: 'JS heap per idle client', format: 'bytes', better: 'lower', table: true },
  {
    key: 'heapTotalPerClient',
    label: 'JS heap reserved per idle client',
    format: 'bytes',
    better: 'lower',
    table: false,
  },
  {
    key: 'externalPerClient',
    label: 'external memory per idle client',
    format: 'bytes',
    better: 'lower',
    table: false,
  },
];

/** Source address of the idle clients, apart from those of the WebSocket scenarios. */
const SOURCE_ADDRESS = '127.0.0.4';

/**
 * Memory per idle client: a fresh server process (with --expose-gc) is measured after a full
 * collection, then again with N raw-frame clients connected to the main namespace over WebSocket
 * and idle; the difference divided by N.
 */
export async function runSocketIoMemory(context: RunContext): Promise<ScenarioResult> {
  const { connections } = socketIoConfig(context.config).memory;
  const pool = new GeneratorPool();
  try {
    const result = await runCells(
      context,
      {
        id: 'socketio-memory',
        title: 'Socket.IO memory per idle client',
        description: `Server RSS and JS heap with ${connections.toLocaleString('en-US')} idle clients (WebSocket transport, joined to the main namespace, answering heartbeats), minus the same before any client, divided by the count; read after full GCs, once V8 has shrunk its young generation back to its start-up size as it does on an idle process (it grows it while the clients connect, by the same amount for every server). A fresh server process per run; one raw-frame generator process.`,
        metrics: METRICS,
      },
      [
        {
          id: `socketio-memory-${connections}`,
          label: `${connections.toLocaleString('en-US')} idle clients, raw frames`,
          params: { connections, driver: 'raw' },
          run: async (implementation) => {
            const server = await startSocketIoServerProcess(context, implementation);
            try {
              const [generator] = await pool.take(1);
              const before = await server.child.request<MemorySample>({ type: 'memory', settle: true }, 60_000);
              const load: IdleClientsLoad = {
                kind: 'idle-clients',
                driver: 'raw',
                port: server.port,
                connections,
                localAddress: SOURCE_ADDRESS,
                concurrency: 100,
              };
              const { value: after } = await withLoads([generator!], [load], async () => {
                if (!(await waitForConnections(server.child, connections, 30_000)))
                  throw new Error(`the server never saw all ${connections} clients`);
                return server.child.request<MemorySample>({ type: 'memory', settle: true }, 60_000);
              });
              return {
                rssPerClient: (after.rss - before.rss) / connections,
                heapPerClient: (after.heapUsed - before.heapUsed) / connections,
                heapTotalPerClient: (after.heapTotal - before.heapTotal) / connections,
                externalPerClient: (after.external - before.external) / connections,
              };
            } finally {
              await server.child.kill();
            }
          },
        },
      ],
      'rssPerClient',
      SOCKET_IO_IMPLEMENTATIONS,
    );
    logGoals(context, result, [
      { cellId: `socketio-memory-${connections}`, metric: 'rssPerClient', atMost: 0.5 },
      { cellId: `socketio-memory-${connections}`, metric: 'heapPerClient', atMost: 0.5 },
    ]);
    return withImplementations(context, result);
  } finally {
    await pool.close();
  }
}
