import { ServerSet, runCells, startGenerator, type CellPlan, type RunContext } from '../lib/context.js';
import { measureWindow, waitForConnections } from '../lib/measure.js';
import { ImplId, type CompressedEchoLoad, type LoadResult } from '../lib/protocol.js';
import type { MetricDef, ScenarioResult } from '../lib/results.js';
import { DEFLATE_SETTINGS } from '../server/bench-server.js';

const METRICS: readonly MetricDef[] = [
  { key: 'messagesPerSecond', label: 'messages/s', format: 'rate', better: 'higher', table: true },
  {
    key: 'wireBytesPerMessage',
    label: 'bytes on the wire per echoed message',
    format: 'bytes',
    better: 'lower',
    table: true,
  },
  { key: 'cpuMicrosPerMessage', label: 'server CPU per message', format: 'micros', better: 'lower', table: true },
  { key: 'textBytesPerMessage', label: 'JSON bytes per message', format: 'bytes', better: 'lower', table: false },
  { key: 'serverCpuPercent', label: 'server CPU', format: 'percent', better: 'lower', table: false },
  { key: 'generatorCpuPercent', label: 'generator CPU', format: 'percent', better: 'lower', table: false },
  { key: 'errors', label: 'socket errors', format: 'count', better: 'lower', table: false },
];

/** The loop of distinct messages each connection cycles through. */
const MESSAGES = 256;

/**
 * Compressed echo: permessage-deflate on both sides with the same settings for every
 * implementation, chat-like JSON text messages, echoed and compressed again by the server.
 * The raw TCP ceiling takes no part: it does not negotiate extensions.
 */
export async function runCompressedEcho(context: RunContext): Promise<ScenarioResult> {
  const { config } = context;
  const implementations = context.implementations.filter((implementation) => implementation.id !== ImplId.RawTcp);
  const servers = new ServerSet(context, true);
  const reported = new Set<string>();
  const generator = await startGenerator();
  try {
    const plans: CellPlan[] = [
      { connections: 1, window: 64 },
      { connections: 100, window: 8 },
    ].map(({ connections, window }) => ({
      id: `compressed-${connections}`,
      label: `${connections} conn × chat JSON`,
      params: { connections, window, messages: MESSAGES },
      run: async (implementation) => {
        const server = await servers.get(implementation);
        const load: CompressedEchoLoad = {
          kind: 'compressed-echo',
          port: server.port,
          connections,
          window,
          messages: MESSAGES,
        };
        const negotiated = await generator.request<string>({ type: 'start', load }, 120_000);
        if (!reported.has(implementation.id)) {
          reported.add(implementation.id);
          context.log(`    ${implementation.label} ${negotiated}`);
        }
        let result: LoadResult | undefined;
        try {
          const measured = await measureWindow(generator, server.child, config.warmupMs, config.measureMs);
          result = await generator.request<LoadResult>({ type: 'stop' });
          if (measured.count === 0) throw new Error('no message was echoed in the measurement window');
          if (!(await waitForConnections(server.child, 0, 15_000)))
            context.log('    (server still had connections open 15 s after the load stopped)');
          return {
            messagesPerSecond: measured.count / measured.seconds,
            wireBytesPerMessage: measured.wireBytes / measured.count,
            cpuMicrosPerMessage: measured.serverCpuMicros / measured.count,
            textBytesPerMessage: measured.bytes / measured.count,
            serverCpuPercent: measured.serverCpuPercent,
            generatorCpuPercent: measured.generatorCpuPercent,
            errors: result.errors,
          };
        } finally {
          if (result === undefined) await generator.request({ type: 'stop' }).catch(() => {});
        }
      },
    }));
    return await runCells(
      context,
      {
        id: 'compressed-echo',
        title: 'Compressed echo (permessage-deflate)',
        description: `Chat-like JSON text messages (a loop of ${MESSAGES}, about 100–350 bytes each), compressed by the client with context takeover and echoed by the server, which compresses them again. Same server settings for every implementation: threshold ${DEFLATE_SETTINGS.threshold} (every message compressed), zlib level ${DEFLATE_SETTINGS.level}, memLevel ${DEFLATE_SETTINGS.memLevel}, 15-bit windows, context takeover both ways. Bytes on the wire counts what the server sent per message, frame headers included.`,
        metrics: METRICS,
      },
      plans,
      'messagesPerSecond',
      implementations,
    );
  } finally {
    await generator.kill();
    await servers.close();
  }
}
