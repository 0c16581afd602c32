import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareBundleSizes, OFFICIAL_BUNDLES } from '../../bench/client/bundle-size.js';
import { loadClient } from '../../bench/client/clients.js';
import { ClientGenerators, startClientProcess } from '../../bench/client/generators.js';
import { CLIENT_IMPLEMENTATIONS, LOAD_IMPLEMENTATIONS } from '../../bench/client/implementations.js';
import type { ClientMemoryQuestion } from '../../bench/client/protocol.js';
import type { RunningLoad } from '../../bench/load/running-load.js';
import type { AckLoad, EmitLoad } from '../../bench/socketio/protocol.js';
import type { LoadResult, LoadSample, MemorySample } from '../../bench/lib/protocol.js';
import type { BenchServer } from '../../bench/server/bench-server.js';
import { ClientAckRun, ClientEmitRun } from '../../bench/socketio/client-loads.js';
import { SocketIoImplId } from '../../bench/socketio/implementations.js';
import { startSocketIoServer } from '../../bench/socketio/servers.js';
import { until } from '../helpers/wait.js';

/** Runs `load` until it has counted `atLeast`, stops it, and waits for the server to see every client go. */
async function exercise(server: BenchServer, load: RunningLoad, atLeast: number, what: string): Promise<LoadResult> {
  await until(() => load.sample(false).count >= atLeast, 5000, what);
  const result = load.stop();
  assert.equal(result.errors, 0, `${what}: socket errors`);
  await until(() => server.connections() === 0, 5000, `${what}: the server to see every client go`);
  return result;
}

describe('client benchmark', () => {
  it('refuses an unknown client, naming the known ones', async () => {
    await assert.rejects(
      loadClient('socket.io-client-3'),
      /unknown client socket\.io-client-3; known: switchboard-client, socket\.io-client/,
    );
  });

  for (const implementation of CLIENT_IMPLEMENTATIONS) {
    it(`${implementation.label}: echoes and acknowledgements against our server`, async () => {
      const server = await startSocketIoServer(SocketIoImplId.Switchboard, 'websocket');
      try {
        const client = await loadClient(implementation.id);
        const emit = await ClientEmitRun.start(
          { kind: 'emit', driver: 'client', port: server.port, connections: 3, window: 4 },
          client,
        );
        assert.equal(server.connections(), 3);
        await exercise(server, emit, 200, 'echoes');
        const ack = await ClientAckRun.start(
          { kind: 'ack', driver: 'client', port: server.port, connections: 1, window: 1, transport: 'websocket' },
          client,
        );
        const acknowledged = await exercise(server, ack, 100, 'acknowledgements');
        assert.ok(acknowledged.latency.count >= 100, 'every acknowledgement is timed');
        assert.equal(acknowledged.details, `${client.name}, websocket`);
      } finally {
        await server.close();
      }
    });
  }

  it('every implementation of the emit and ack cells drives them from its generator process', async () => {
    const server = await startSocketIoServer(SocketIoImplId.Switchboard, 'websocket');
    const generators = new ClientGenerators();
    try {
      for (const implementation of LOAD_IMPLEMENTATIONS) {
        const generator = await generators.get(implementation);
        const loads: (EmitLoad | AckLoad)[] = [
          { kind: 'emit', driver: implementation.driver, port: server.port, connections: 2, window: 4 },
          {
            kind: 'ack',
            driver: implementation.driver,
            port: server.port,
            connections: 1,
            window: 1,
            transport: 'websocket',
          },
        ];
        for (const load of loads) {
          const what = `${implementation.label}, ${load.kind}`;
          const details = await generator.request<string>({ type: 'start', load });
          // The raw frames name themselves as such, the clients by name: the right generator ran.
          assert.match(
            details,
            implementation.driver === 'raw' ? /^raw frames/ : new RegExp(`^${implementation.label}`),
          );
          await until(
            async () => (await generator.request<LoadSample>({ type: 'sample', resetLatency: false })).count >= 100,
            5000,
            `${what}: 100 answers`,
          );
          const result = await generator.request<LoadResult>({ type: 'stop' });
          assert.equal(result.errors, 0, `${what}: socket errors`);
          if (load.kind === 'ack') assert.ok(result.latency.count >= 100, `${what}: every round trip is timed`);
          await until(() => server.connections() === 0, 5000, `${what}: the server to see every client go`);
        }
      }
    } finally {
      await generators.close();
      await server.close();
    }
  });

  it('a memory process holds the idle clients it was asked for and reads its memory', async () => {
    const server = await startSocketIoServer(SocketIoImplId.Switchboard, 'websocket');
    const child = await startClientProcess(
      CLIENT_IMPLEMENTATIONS[0]!,
      'memory process',
      'bench/client/memory-main.ts',
      [String(server.port)],
      ['--expose-gc'],
    );
    try {
      await until(() => server.connections() === 0, 5000, 'the warm-up client to go');
      const memory = (): Promise<MemorySample> =>
        child.request<MemorySample>({ type: 'memory', settle: false } satisfies ClientMemoryQuestion, 20_000);
      const before = await memory();
      const held = await child.request<number>({ type: 'connect', connections: 20 } satisfies ClientMemoryQuestion);
      assert.equal(held, 20);
      assert.equal(server.connections(), 20);
      const after = await memory();
      // Whether twenty light clients outweigh what a collection frees in between depends on the
      // collector: the readings are only checked to be readings.
      for (const sample of [before, after]) {
        for (const [field, value] of Object.entries(sample)) {
          assert.ok(Number.isFinite(value) && value >= 0, `${field}: ${String(value)}`);
        }
        assert.ok(sample.heapUsed > 0 && sample.rss > sample.heapUsed, JSON.stringify(sample));
      }
    } finally {
      await child.kill();
      await until(() => server.connections() === 0, 5000, 'the idle clients to go');
      await server.close();
    }
  });

  it('sizes our browser bundles against the official ones', () => {
    const comparisons = compareBundleSizes();
    const esm = comparisons.find((comparison) => comparison.id === 'esm');
    assert.ok(esm !== undefined, 'the ES module bundle is always compared');
    assert.equal(esm.theirs.file, 'socket.io.esm.min.js');
    assert.ok(existsSync(join(OFFICIAL_BUNDLES, esm.theirs.file)));
    for (const { ours, theirs } of comparisons) {
      for (const size of [ours, theirs]) {
        assert.ok(size.minified > 10_000, `${size.file} is a whole client`);
        assert.ok(size.gzipped > 0 && size.gzipped < size.minified, `${size.file} compresses`);
      }
    }
  });
});
