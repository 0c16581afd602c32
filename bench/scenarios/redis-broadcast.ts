import type { CellPlan, RunContext } from '../lib/context.js';
import { runCells } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import { ClusterPool, measureCluster, waitForShares } from '../redis/cluster.js';
import { startBenchRedis } from '../redis/redis-server.js';
import { BENCH_ROOMS } from '../redis/servers.js';
import { GeneratorPool, logGoals, shares, withImplementations, withLoads } from '../socketio/harness.js';
import { SOCKET_IO_RATIOS, SocketIoImplId } from '../socketio/implementations.js';
import type { FanOutLoad } from '../socketio/protocol.js';

/** Nodes of each cluster. */
const NODES = 3;

/**
 * The cells' windows and timings. The latency cell (1 in flight) waits longer before measuring:
 * in the first two seconds after a thousand clients connect, each node's young-generation
 * collections copy and promote the new connections' objects and last 10–35 ms (in both
 * implementations, seen with --trace-gc), where later ones last a few; a window that starts
 * earlier measures that one-off as the p99. Its window is long enough for p99 to be a percentile
 * of a few hundred broadcasts rather than their second-worst.
 */
const FULL = {
  clients: 1000,
  cells: [
    { window: 1, warmupMs: 3000, measureMs: 4000 },
    { window: 16, warmupMs: 500, measureMs: 2000 },
  ],
} as const;
/** The same cells, each run end to end for a moment. */
const SMOKE = {
  clients: 90,
  cells: FULL.cells.map(({ window }) => ({ window, warmupMs: 50, measureMs: 300 })),
};

const METRICS: readonly MetricDef[] = [
  {
    key: 'deliveriesPerCpuSecond',
    label: 'deliveries per server CPU-second',
    format: 'rate',
    better: 'higher',
    table: true,
  },
  { key: 'deliveriesPerSecond', label: 'delivered events/s', format: 'rate', better: 'higher', table: true },
  { key: 'p99Last', label: 'p99 publish to last client', format: 'micros', better: 'lower', table: true },
  {
    key: 'redisCommandsPerBroadcast',
    label: 'Redis commands per broadcast',
    format: 'count',
    better: 'lower',
    table: true,
  },
  { key: 'cpuMicrosPerDelivery', label: 'server CPU per delivery', format: 'micros', better: 'lower', table: false },
  { key: 'p50Last', label: 'p50 publish to last client', format: 'micros', better: 'lower', table: false },
  { key: 'publishesPerBroadcast', label: 'PUBLISH per broadcast', format: 'count', better: 'lower', table: false },
  {
    key: 'redisCpuMicrosPerDelivery',
    label: 'Redis CPU per delivery',
    format: 'micros',
    better: 'lower',
    table: false,
  },
  { key: 'serverCpuPercent', label: 'server CPU (3 nodes)', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/** The clusters compared: our server and Redis adapter, and the official pair. */
const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: SocketIoImplId.Switchboard,
    label: 'switchboard + redis',
    description: 'our Socket.IO server (src/server) with our Redis adapter (src/redis createAdapter), three nodes',
    env: {},
  },
  {
    id: SocketIoImplId.Official,
    label: 'socket.io + redis-adapter',
    description: 'the official socket.io server with the official Redis adapter, three nodes',
    env: {},
  },
];

/**
 * Cross-node broadcast: three nodes of one implementation share a private Redis, raw-frame clients
 * are spread over them in turn, and the first client (on node 1) publishes `broadcast` events
 * that node 1 emits to three rooms holding every client (`io.to(rooms).emit`), so two thirds of
 * the deliveries cross Redis. Server CPU is the sum of the three nodes'; latency runs from the
 * publisher's write to the read of the last client's copy; Redis commands are counted from
 * `INFO commandstats` over the window, per broadcast.
 */
export async function runRedisBroadcast(context: RunContext): Promise<ScenarioResult> {
  const { clients, cells } = context.config.mode === 'smoke' ? SMOKE : FULL;
  const latencyCell = cells.find((cell) => cell.window === 1)!;
  const redis = await startBenchRedis();
  const clusters = new ClusterPool(context, redis.url, NODES);
  const pool = new GeneratorPool();
  const perNode = shares(clients, NODES);
  const cellId = (window: number): string => `redis-broadcast-${clients}x${window}`;
  const plan = ({ window, warmupMs, measureMs }: (typeof cells)[number]): CellPlan => ({
    id: cellId(window),
    label: `${clients.toLocaleString('en-US')} clients on ${NODES} nodes, ${window} in flight, raw frames`,
    params: { clients, nodes: NODES, window, driver: 'raw' },
    run: async (implementation) => {
      const nodes = await clusters.get(implementation);
      const children = nodes.map((node) => node.child);
      const [generator] = await pool.take(1);
      const load: FanOutLoad = {
        kind: 'fan-out',
        driver: 'raw',
        port: nodes[0]!.port,
        spreadOver: nodes.slice(1).map((node) => node.port),
        clients,
        window,
        concurrency: 100,
        latencyOf: 'last',
      };
      const { value: measured, results } = await withLoads([generator!], [load], async () => {
        if (!(await waitForShares(children, perNode, 30_000)))
          throw new Error(`the nodes never saw their ${perNode.join(' + ')} clients`);
        await generator!.request({ type: 'go' });
        return measureCluster(generator!, children, redis, warmupMs, measureMs);
      });
      if (measured.count === 0) throw new Error('no broadcast was delivered in the measurement window');
      if (
        !(await waitForShares(
          children,
          perNode.map(() => 0),
          30_000,
        ))
      )
        context.log('    (nodes still had clients 30 s after the load stopped)');
      const broadcasts = measured.count / clients;
      const wallMicros = measured.seconds * 1e6;
      return {
        deliveriesPerCpuSecond: measured.count / (measured.serverCpuMicros / 1e6),
        deliveriesPerSecond: measured.count / measured.seconds,
        p99Last: results[0]!.latency.p99,
        redisCommandsPerBroadcast: measured.redisCommands / broadcasts,
        cpuMicrosPerDelivery: measured.serverCpuMicros / measured.count,
        p50Last: results[0]!.latency.p50,
        publishesPerBroadcast: measured.publishes / broadcasts,
        redisCpuMicrosPerDelivery: measured.redisCpuMicros / measured.count,
        serverCpuPercent: (measured.serverCpuMicros / wallMicros) * 100,
        generatorCpuPercent: (measured.generatorCpuMicros / wallMicros) * 100,
        errors: results[0]!.errors,
      };
    },
  });
  try {
    const result = await runCells(
      context,
      {
        id: 'redis-broadcast',
        title: 'Socket.IO broadcast across a Redis cluster',
        description: `${clients.toLocaleString('en-US')} raw-frame clients spread over ${NODES} nodes (${perNode.join(' + ')}) of one implementation, sharing a private \`redis-server\`; each node puts its clients in ${BENCH_ROOMS.length} rooms in turn, and each \`broadcast\` event, published by a client of node 1, is emitted to the ${BENCH_ROOMS.length} rooms (\`io.to(rooms).emit\`): every client gets it once, two thirds of them through Redis. A new event goes out whenever one has reached every client, with 1 in flight (latency) or more (throughput). Server CPU is that of the three nodes together (all on the server core; Redis runs unpinned and its CPU is counted apart); latency runs from the publisher's write to the last client's read of its copy; Redis commands per broadcast come from \`INFO commandstats\` over the window. The 1-in-flight cell measures ${latencyCell.measureMs / 1000} s, starting ${latencyCell.warmupMs / 1000} s after the load starts: past the garbage collections that promote the new connections' objects, which otherwise make its p99.`,
        metrics: METRICS,
      },
      cells.map(plan),
      'deliveriesPerCpuSecond',
      IMPLEMENTATIONS,
    );
    logGoals(context, result, [
      { cellId: cellId(16), metric: 'deliveriesPerCpuSecond', atLeast: 2 },
      { cellId: cellId(1), metric: 'p99Last', atMost: 0.8 },
    ]);
    return withImplementations(context, result, IMPLEMENTATIONS, SOCKET_IO_RATIOS);
  } finally {
    await pool.close();
    await clusters.close();
    await redis.close();
  }
}
