import { clientConfig } from '../client/config.js';
import { ClientGenerators, startClientProcess } from '../client/generators.js';
import {
  CLIENT_IMPLEMENTATIONS,
  CLIENT_RATIOS,
  LOAD_IMPLEMENTATIONS,
  LOAD_RATIOS,
  type LoadImplementation,
} from '../client/implementations.js';
import type { ClientMemoryQuestion } from '../client/protocol.js';
import { runCells, type CellPlan, type RunContext, type StartedServer } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import { waitForConnections } from '../lib/measure.js';
import type { LoadResult, MemorySample } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import {
  SocketIoServerSet,
  logGoals,
  measurePool,
  withImplementations,
  withLoads,
  type RatioGoal,
} from '../socketio/harness.js';
import { SOCKET_IO_IMPLEMENTATIONS, SocketIoImplId } from '../socketio/implementations.js';
import type { AckLoad, Driver, EmitLoad } from '../socketio/protocol.js';

/** Named as in the Socket.IO scenarios, so the saturation table of BENCHMARKS.md shows them. */
const CPU_METRICS: readonly MetricDef[] = [
  { key: 'generatorCpuPercent', label: 'client process CPU', format: 'percent', better: 'lower', table: false },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

const EMIT_METRICS: readonly MetricDef[] = [
  { key: 'eventsPerSecond', label: 'events/s', format: 'rate', better: 'higher', table: true },
  { key: 'clientCpuMicrosPerEvent', label: 'client CPU per event', format: 'micros', better: 'lower', table: true },
  ...CPU_METRICS,
];

const ACK_METRICS: readonly MetricDef[] = [
  { key: 'p50', label: 'p50 ack round trip', format: 'micros', better: 'lower', table: true },
  { key: 'p99', label: 'p99 ack round trip', format: 'micros', better: 'lower', table: true },
  { key: 'acksPerSecond', label: 'acknowledgements/s', format: 'rate', better: 'higher', table: false },
  { key: 'clientCpuMicrosPerEvent', label: 'client CPU per ack', format: 'micros', better: 'lower', table: false },
  ...CPU_METRICS,
];

const MEMORY_METRICS: readonly MetricDef[] = [
  { key: 'heapPerClient', label: 'JS heap per idle client', format: 'bytes', better: 'lower', table: true },
  { key: 'rssPerClient', label: 'RSS per idle client', format: 'bytes', better: 'lower', table: true },
  {
    key: 'externalPerClient',
    label: 'external memory per idle client',
    format: 'bytes',
    better: 'lower',
    table: false,
  },
];

/** The server both clients talk to: ours. */
const SERVER: Implementation = SOCKET_IO_IMPLEMENTATIONS.find(
  (implementation) => implementation.id === SocketIoImplId.Switchboard,
)!;

/**
 * Our client (src/client-node) against `socket.io-client`, both talking to our Socket.IO server
 * over WebSocket, each in a process of its own on the generator core: emit throughput from 1 and
 * from 100 clients in one process (with the client process's CPU per event), the emit-with-ack
 * round trip of one client, and the memory each idle client object holds in its process. One
 * result per measure, so each gets tables of its own.
 */
export async function runClient(context: RunContext): Promise<ScenarioResult[]> {
  const settings = clientConfig(context.config);
  const { window } = settings.emit;
  const servers = new SocketIoServerSet(context);
  const generators = new ClientGenerators();
  /** Waits until the server has let the last run's clients go, so no run starts behind another's teardown. */
  const drained = async (server: StartedServer): Promise<void> => {
    if (!(await waitForConnections(server.child, 0, 15_000)))
      context.log('    (server still had clients 15 s after the load stopped)');
  };
  /**
   * Runs the load `loadFor` makes for the server's port in the client's generator, measures it,
   * and returns what came back with the client's and the server's CPU use over the window.
   */
  const measureLoad = async (
    implementation: LoadImplementation,
    loadFor: (port: number, driver: Driver) => EmitLoad | AckLoad,
  ): Promise<{ result: LoadResult; perSecond: number; metrics: Record<string, number> }> => {
    const server = await servers.get(SERVER);
    const generator = await generators.get(implementation);
    const load = loadFor(server.port, implementation.driver);
    const { value: measured, results } = await withLoads([generator], [load], () =>
      measurePool([generator], server.child, settings.warmupMs, settings.measureMs),
    );
    await drained(server);
    if (measured.count === 0) throw new Error('no answer came back in the measurement window');
    return {
      result: results[0]!,
      perSecond: measured.count / measured.seconds,
      metrics: {
        clientCpuMicrosPerEvent: (measured.generatorCpuPercent * measured.seconds * 1e4) / measured.count,
        generatorCpuPercent: measured.generatorCpuPercent,
        serverCpuPercent: measured.serverCpuPercent,
        errors: results[0]!.errors,
      },
    };
  };

  const emitPlan = (connections: number): CellPlan<LoadImplementation> => ({
    id: `client-emit-${connections}x${window}`,
    label: `${connections} client${connections === 1 ? '' : 's'} × ${window} in flight, emit throughput`,
    params: { connections, window },
    run: async (implementation) => {
      const { perSecond, metrics } = await measureLoad(implementation, (port, driver) => ({
        kind: 'emit',
        driver,
        port,
        connections,
        window,
      }));
      return { eventsPerSecond: perSecond, ...metrics };
    },
  });

  const ackPlan: CellPlan<LoadImplementation> = {
    id: 'client-ack-1',
    label: '1 client, emit-with-ack round trip, one in flight',
    params: { connections: 1, window: 1 },
    run: async (implementation) => {
      const { result, perSecond, metrics } = await measureLoad(implementation, (port, driver) => ({
        kind: 'ack',
        driver,
        port,
        connections: 1,
        window: 1,
        transport: 'websocket',
      }));
      return { p50: result.latency.p50, p99: result.latency.p99, acksPerSecond: perSecond, ...metrics };
    },
  };

  const { connections: idleClients } = settings.memory;
  const memoryPlan: CellPlan = {
    id: `client-memory-${idleClients}`,
    label: `${idleClients.toLocaleString('en-US')} idle clients in one process`,
    params: { connections: idleClients },
    run: async (implementation) => {
      const server = await servers.get(SERVER);
      // A fresh process per run, so each reading starts from the client's module state alone.
      const child = await startClientProcess(
        implementation,
        'memory process',
        'bench/client/memory-main.ts',
        [String(server.port)],
        ['--expose-gc'],
      );
      try {
        const memory = (): Promise<MemorySample> =>
          child.request<MemorySample>(
            { type: 'memory', settle: settings.settleMemory } satisfies ClientMemoryQuestion,
            60_000,
          );
        const before = await memory();
        await child.request({ type: 'connect', connections: idleClients } satisfies ClientMemoryQuestion, 120_000);
        const after = await memory();
        return {
          heapPerClient: (after.heapUsed - before.heapUsed) / idleClients,
          rssPerClient: (after.rss - before.rss) / idleClients,
          externalPerClient: (after.external - before.external) / idleClients,
        };
      } finally {
        await child.kill();
        await drained(server);
      }
    },
  };

  const emitPlans = settings.emit.connections.map(emitPlan);
  /** Runs `plans` over `compared` and adds the tables' ratios (ours / official first: the goals' pair). */
  const scenario = async <I extends Implementation>(
    description: Omit<ScenarioResult, 'cells'>,
    plans: readonly CellPlan<I>[],
    [compared, ratios]: readonly [readonly I[], readonly (readonly [string, string])[]],
    headline: string,
    goals: readonly RatioGoal[],
  ): Promise<ScenarioResult> => {
    const result = withImplementations(
      context,
      await runCells(context, description, plans, headline, compared),
      compared,
      ratios,
    );
    logGoals(context, result, goals);
    return result;
  };
  const common = `Both clients talk to our Socket.IO server (src/server) over WebSocket with the same options (\`forceNew\`, no reconnection), each from a process of its own on the generator core while the server has the other core.`;
  const floor = `The raw frames row is no client at all: pre-encoded Socket.IO frames on a bare socket, from a process of its own on the same core. It pays only what every client pays (the server, the kernel, the wake-ups), so with one event in flight its ratio to the official client is the best round trip any client could show here; with many in flight it is a reference, not a bound (it writes once per read, so a client that writes sooner can pass it).`;
  try {
    return [
      await scenario(
        {
          id: 'client-emit',
          title: 'Socket.IO client emit throughput',
          description: `${common} Every client keeps ${window} \`echo\` events in flight (a ~100-byte chat object) and emits the next on each echo; events/s counts echoes received. Client CPU per event is the client process's CPU time over those echoes (each one emit and one receive). ${floor}`,
          metrics: EMIT_METRICS,
        },
        emitPlans,
        [LOAD_IMPLEMENTATIONS, LOAD_RATIOS],
        'eventsPerSecond',
        emitPlans.map((plan) => ({ cellId: plan.id, metric: 'eventsPerSecond', atLeast: 1.5 })),
      ),
      await scenario(
        {
          id: 'client-ack',
          title: 'Socket.IO client emit-with-ack round trip',
          description: `${common} One client keeps one \`ack\` event in flight; the round trip runs from \`emit\` to its acknowledgement callback. ${floor}`,
          metrics: ACK_METRICS,
        },
        [ackPlan],
        [LOAD_IMPLEMENTATIONS, LOAD_RATIOS],
        'p50',
        [{ cellId: ackPlan.id, metric: 'p99', atMost: 0.8 }],
      ),
      await scenario(
        {
          id: 'client-memory',
          title: 'Socket.IO client memory per idle client object',
          description: `${common} A fresh process with --expose-gc opens and closes one connection, is read after full collections, then again with ${idleClients.toLocaleString('en-US')} clients connected and idle (answering heartbeats); the difference divided by the count.${settings.settleMemory ? ' Both readings wait for V8 to shrink its young generation back to its start-up size, as for the servers.' : ''}`,
          metrics: MEMORY_METRICS,
        },
        [memoryPlan],
        [CLIENT_IMPLEMENTATIONS, CLIENT_RATIOS],
        'heapPerClient',
        [
          { cellId: memoryPlan.id, metric: 'heapPerClient', atMost: 0.5 },
          { cellId: memoryPlan.id, metric: 'rssPerClient', atMost: 0.5 },
        ],
      ),
    ];
  } finally {
    await generators.close();
    await servers.close();
  }
}
