import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { BroadcastRun } from '../../bench/load/broadcast-load.js';
import { EchoRun } from '../../bench/load/echo-load.js';
import { HandshakeRun } from '../../bench/load/handshake-load.js';
import { IdleRun } from '../../bench/load/idle-load.js';
import type { RunningLoad } from '../../bench/load/running-load.js';
import type { BenchServer, StartBenchServer } from '../../bench/server/bench-server.js';
import { startRawTcpServer } from '../../bench/server/raw-tcp-server.js';
import { startSwitchboardServer } from '../../bench/server/switchboard-server.js';
import { startWsServer } from '../../bench/server/ws-server.js';
import { sleep, until } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

const MAX_PAYLOAD = 16 * 1024 * 1024;

async function withClient<T>(port: number, path: string, use: (client: WebSocket) => Promise<T>): Promise<T> {
  const client = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await once(client, 'open');
  try {
    return await use(client);
  } finally {
    client.terminate();
  }
}

function nextMessage(client: WebSocket): Promise<[Buffer, boolean]> {
  return once(client, 'message') as Promise<[Buffer, boolean]>;
}

/** Waits until the server has seen every connection go. */
function drained(server: BenchServer): Promise<void> {
  return until(() => server.connections() === 0, 5000, 'the server to see every connection go');
}

describe('raw TCP ceiling server, driven by the ws client', () => {
  it('echoes text and binary messages of every length encoding, unchanged', async () => {
    await withServer(
      () => startRawTcpServer({ maxPayload: MAX_PAYLOAD }),
      async (server) => {
        await withClient(server.port, '/echo', async (client) => {
          for (const size of [0, 5, 125, 126, 65535, 65536, 1024 * 1024 + 3]) {
            const data = Buffer.alloc(size);
            for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
            const reply = nextMessage(client);
            client.send(data, { binary: true });
            const [echo, isBinary] = await reply;
            assert.equal(isBinary, true);
            assert.ok(echo.equals(data), `binary echo of ${size} bytes`);
          }
          const reply = nextMessage(client);
          client.send('héllo wörld');
          const [echo, isBinary] = await reply;
          assert.equal(isBinary, false);
          assert.equal(echo.toString(), 'héllo wörld');
        });
        await drained(server);
      },
    );
  });

  it('answers a ping with a pong and completes the close handshake (RFC 6455 §5.5)', async () => {
    await withServer(
      () => startRawTcpServer({ maxPayload: MAX_PAYLOAD }),
      async (server) => {
        const client = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
        await once(client, 'open');
        const pong = once(client, 'pong');
        client.ping(Buffer.from('are you there'));
        assert.equal(((await pong)[0] as Buffer).toString(), 'are you there');
        const closed = once(client, 'close');
        client.close(1000, 'bye');
        const [code, reason] = (await closed) as [number, Buffer];
        assert.equal(code, 1000);
        assert.equal(reason.toString(), 'bye');
        await drained(server);
      },
    );
  });

  it('sends each message on /broadcast to every client there', async () => {
    await withServer(
      () => startRawTcpServer({ maxPayload: MAX_PAYLOAD }),
      async (server) => {
        await withClient(server.port, '/broadcast', (a) =>
          withClient(server.port, '/broadcast', async (b) => {
            await until(() => server.connections() === 2, 5000, 'two connections');
            const received = Promise.all([nextMessage(a), nextMessage(b)]);
            a.send(Buffer.from('to all'));
            for (const [data] of await received) assert.equal(data.toString(), 'to all');
          }),
        );
        await drained(server);
      },
    );
  });
});

const IMPLEMENTATIONS: [string, StartBenchServer][] = [
  ['switchboard', startSwitchboardServer],
  ['ws', startWsServer],
  ['raw TCP', startRawTcpServer],
];

async function runBriefly(load: RunningLoad, ms = 150): Promise<number> {
  await sleep(ms);
  const { count } = load.sample(false);
  const result = load.stop();
  assert.equal(result.errors, 0);
  return count;
}

describe('load generator against every benchmark server', () => {
  for (const [name, start] of IMPLEMENTATIONS) {
    it(`${name}: echo, broadcast, idle and handshake loads all make progress`, async () => {
      await withServer(
        () => start({ maxPayload: MAX_PAYLOAD }),
        async (server) => {
          assert.ok(
            (await runBriefly(
              await EchoRun.start({
                kind: 'echo',
                port: server.port,
                connections: 3,
                size: 1000,
                window: 4,
                latency: false,
              }),
            )) > 0,
          );
          await drained(server);

          const latency = await EchoRun.start({
            kind: 'echo',
            port: server.port,
            connections: 1,
            size: 32,
            window: 1,
            latency: true,
          });
          await sleep(100);
          const { latency: summary } = latency.stop();
          assert.ok(summary.count > 0 && summary.p50 > 0 && summary.p99 >= summary.p50);
          await drained(server);

          const broadcast = await BroadcastRun.start({
            kind: 'broadcast',
            port: server.port,
            clients: 5,
            size: 64,
            window: 1,
            concurrency: 5,
          });
          await until(() => server.connections() === 5, 5000, 'five connections');
          broadcast.go();
          const deliveries = await runBriefly(broadcast);
          assert.ok(deliveries >= 5, `deliveries ${deliveries}`);
          await drained(server);

          const idle = await IdleRun.start({
            kind: 'idle',
            port: server.port,
            connections: 20,
            localAddress: '127.0.0.2',
            concurrency: 5,
          });
          await until(() => server.connections() === 20, 5000, 'twenty connections');
          assert.equal(idle.sample(false).count, 20);
          idle.stop();
          await drained(server);

          const handshakes = HandshakeRun.start({
            kind: 'handshake',
            port: server.port,
            concurrency: 4,
            localAddresses: ['127.0.0.3', '127.0.0.4'],
          });
          await sleep(150);
          assert.ok(handshakes.sample(false).count > 0);
          handshakes.stop();
          await drained(server);
        },
      );
    });
  }
});
