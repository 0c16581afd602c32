import { ServerSet, runCells, startGenerator, type RunContext } from '../lib/context.js';
import { measureWindow, waitForConnections } from '../lib/measure.js';
import type { HandshakeLoad, LoadResult } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';

const METRICS: readonly MetricDef[] = [
  { key: 'handshakesPerSecond', label: 'handshakes/s', format: 'rate', better: 'higher', table: true },
  { key: 'cpuMicrosPerHandshake', label: 'server CPU per handshake', format: 'micros', better: 'lower', table: true },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'failed attempts', format: 'count', better: 'lower', table: false },
];

/** Source addresses 127.0.0.10–250: spread over them, closed connections never exhaust the ports. */
const SOURCE_ADDRESSES = Array.from({ length: 241 }, (_, i) => `127.0.0.${10 + i}`);

/** Handshakes per second: connect, upgrade, drop, repeat, with `concurrency` attempts in flight. */
export async function runHandshake(context: RunContext): Promise<ScenarioResult> {
  const { concurrency } = context.config.handshake;
  const servers = new ServerSet(context);
  const generator = await startGenerator();
  try {
    return await runCells(
      context,
      {
        id: 'handshake',
        title: 'Handshakes per second',
        description: `New TCP connection, upgrade request, 101 response checked, connection dropped; ${concurrency} in flight.`,
        metrics: METRICS,
      },
      [
        {
          id: `handshake-${concurrency}`,
          label: `${concurrency} in flight`,
          params: { concurrency },
          run: async (implementation) => {
            const server = await servers.get(implementation);
            const load: HandshakeLoad = {
              kind: 'handshake',
              port: server.port,
              concurrency,
              localAddresses: SOURCE_ADDRESSES,
            };
            await generator.request({ type: 'start', load });
            let result: LoadResult | undefined;
            try {
              const window = await measureWindow(
                generator,
                server.child,
                context.config.warmupMs,
                context.config.measureMs,
              );
              result = await generator.request<LoadResult>({ type: 'stop' });
              if (window.count === 0) throw new Error('no handshake completed in the measurement window');
              if (!(await waitForConnections(server.child, 0, 15_000)))
                context.log('    (server still had connections open 15 s after the load stopped)');
              return {
                handshakesPerSecond: window.count / window.seconds,
                cpuMicrosPerHandshake: window.serverCpuMicros / window.count,
                serverCpuPercent: window.serverCpuPercent,
                generatorCpuPercent: window.generatorCpuPercent,
                errors: result.errors,
              };
            } finally {
              if (result === undefined) await generator.request({ type: 'stop' }).catch(() => {});
            }
          },
        },
      ],
      'handshakesPerSecond',
    );
  } finally {
    await generator.kill();
    await servers.close();
  }
}
