import type { BenchChild } from '../lib/children.js';
import { runCells, startGenerator, startServer, type RunContext } from '../lib/context.js';
import { waitForConnections } from '../lib/measure.js';
import type { IdleLoad, MemorySample } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';

const METRICS: readonly MetricDef[] = [
  { key: 'rssPerConnection', label: 'RSS per connection', format: 'bytes', better: 'lower', table: true },
  { key: 'heapPerConnection', label: 'JS heap per connection', format: 'bytes', better: 'lower', table: true },
  {
    key: 'externalPerConnection',
    label: 'external memory per connection',
    format: 'bytes',
    better: 'lower',
    table: false,
  },
];

/**
 * Idle memory per connection: a fresh server (started with --expose-gc) is measured after a full
 * collection, then again with N idle connections open; the difference divided by N. The
 * connections come from several generator processes, each from its own source address, because no
 * process may hold more than 20,000 open files.
 */
export async function runMemory(context: RunContext): Promise<ScenarioResult> {
  const { connections, perProcess } = context.config.memory;
  const processes = Math.ceil(connections / perProcess);
  const generators: BenchChild[] = [];
  try {
    for (let i = 0; i < processes; i++) generators.push(await startGenerator(`idle generator ${i + 1}`));
    return await runCells(
      context,
      {
        id: 'memory',
        title: 'Idle memory per connection',
        description: `Server RSS and JS heap with ${connections.toLocaleString('en-US')} idle connections, minus the same before any connection, divided by the count; read after full GCs, once V8 has shrunk its young generation back to its start-up size as it does on an idle process (it grows it while the connections are made, by the same amount for every server). A fresh server process per run; connections from ${processes} generator processes on source addresses 127.0.0.2–${1 + processes}.`,
        metrics: METRICS,
      },
      [
        {
          id: `memory-${connections}`,
          label: `${connections.toLocaleString('en-US')} idle connections`,
          params: { connections, processes },
          run: async (implementation) => {
            const server = await startServer(context, implementation);
            try {
              const before = await server.child.request<MemorySample>({ type: 'memory', settle: true }, 60_000);
              await Promise.all(
                generators.map((generator, i) => {
                  const share = Math.min(perProcess, connections - i * perProcess);
                  const load: IdleLoad = {
                    kind: 'idle',
                    port: server.port,
                    connections: share,
                    localAddress: `127.0.0.${2 + i}`,
                    concurrency: 100,
                  };
                  return generator.request({ type: 'start', load }, 180_000);
                }),
              );
              if (!(await waitForConnections(server.child, connections, 30_000)))
                throw new Error(`the server never saw all ${connections} connections`);
              const after = await server.child.request<MemorySample>({ type: 'memory', settle: true }, 60_000);
              return {
                rssPerConnection: (after.rss - before.rss) / connections,
                heapPerConnection: (after.heapUsed - before.heapUsed) / connections,
                externalPerConnection: (after.external - before.external) / connections,
              };
            } finally {
              await Promise.all(generators.map((generator) => generator.request({ type: 'stop' }).catch(() => {})));
              await server.child.kill();
            }
          },
        },
      ],
      'rssPerConnection',
    );
  } finally {
    await Promise.all(generators.map((generator) => generator.kill()));
  }
}
