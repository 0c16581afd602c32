/**
 * The browser bundle of `switchboard/client` in headless Chromium when the network gets in the
 * way: a proxy that refuses WebSocket upgrades, a server that restarts (its sessions kept in Redis
 * Streams, so connection state recovery replays what the page missed), and the ES module bundle
 * imported by a module script. Each against our server and the official `socket.io` server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAdapter as createOfficialStreams } from '@socket.io/redis-streams-adapter';
import type { Browser } from 'playwright-core';
import { createClient } from 'redis';
import { createStreamsAdapter } from '../../src/redis/index.js';
import { Server, type ServerOptions, type Socket as ServerSocket } from '../../src/server/index.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { until } from '../helpers/wait.js';
import { SERVER_KINDS, type ServerKind } from '../client/helpers.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import {
  ESM_PAGES,
  openClientPage,
  startPageServer,
  startRefusingProxy,
  unexpectedErrors,
  type PageScope,
  type PageServer,
} from './fixtures/client-pages.js';

type Ack = (...args: unknown[]) => void;
type Redis = ReturnType<typeof createClient>;

const skipRedis = await skipUnlessReachable('Redis', 6379);

/** How long a disconnected session is kept for recovery. */
const RECOVERY_MS = 30_000;

/** The Redis Streams adapter of `kind`'s own ecosystem, on one stream and session prefix. */
function streamsAdapter(kind: ServerKind, redis: Redis, key: string): NonNullable<ServerOptions['adapter']> {
  const options = { streamName: key, sessionKeyPrefix: `${key}:session:` };
  if (kind === 'switchboard') return createStreamsAdapter(redis, options);
  return createOfficialStreams(redis, options) as unknown as NonNullable<ServerOptions['adapter']>;
}

describe('switchboard/client in Chromium, when the network gets in the way', { skip: skipUnlessChromium() }, () => {
  let browser: Browser;

  before(async () => {
    await buildClientBundle();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  for (const kind of SERVER_KINDS) {
    describe(`${kind} server`, () => {
      test('behind a proxy that refuses WebSocket upgrades, the default client falls back to polling and works', async () => {
        const serverSockets: ServerSocket[] = [];
        const server = await startPageServer(kind, {}, (io) => {
          io.on('connection', (socket) => {
            serverSockets.push(socket);
            socket.on('echo', (...args: unknown[]) => (args.pop() as Ack)(...args));
          });
        });
        const proxy = await startRefusingProxy(server.port);
        const client = await openClientPage(browser, proxy.url);
        try {
          const opened = await client.page.evaluate(async () => {
            const { io, t } = globalThis as unknown as PageScope;
            const socket = io({ reconnection: false });
            t.sockets['main'] = socket;
            await t.connected(socket);
            const [echoed] = await t.ask(socket, 'echo', [new Uint8Array([1, 2, 3])]);
            return { transport: socket.io.engine.transport.name, echoed: t.describe(echoed) };
          });
          assert.equal(opened.transport, 'polling');
          assert.deepEqual(opened.echoed, { binary: 'ArrayBuffer', bytes: [1, 2, 3] });
          assert.ok(proxy.refused >= 1, 'the WebSocket was tried first');
          // The client keeps probing for a WebSocket; each refused probe leaves the session as it was.
          const refusedBefore = proxy.refused;
          await until(() => proxy.refused > refusedBefore, 5000, 'another upgrade probe');
          const later = await client.page.evaluate(async () => {
            const { t } = globalThis as unknown as PageScope;
            const socket = t.sockets['main']!;
            const [echoed] = await t.ask(socket, 'echo', ['still here']);
            return { echoed, connected: socket.connected, transport: socket.io.engine.transport.name };
          });
          assert.deepEqual(later, { echoed: 'still here', connected: true, transport: 'polling' });
          assert.equal(serverSockets.length, 1);
          assert.equal(serverSockets[0]!.conn.transport.name, 'polling');
          assert.deepEqual(unexpectedErrors(client.errors), []);
        } finally {
          await client.context.close();
          await proxy.close();
          await server.close();
        }
      });

      test(
        'after the server restarts on the same port, the page reconnects and recovery replays what it missed',
        { skip: skipRedis },
        async () => {
          const key = uniqueName('browser-recovery');
          const redises: Redis[] = [];
          const servers: PageServer[] = [];
          const received: unknown[] = [];
          const onConnection = (io: Server): void => {
            io.on('connection', (socket) => socket.on('from page', (n: unknown) => received.push(n)));
          };
          /** A server of this kind on the shared stream, on `port` (0: any free one). */
          const node = async (port: number): Promise<PageServer> => {
            const redis = createClient({ url: REDIS_URL });
            redises.push(redis);
            await redis.connect();
            const options: ServerOptions = {
              adapter: streamsAdapter(kind, redis, key),
              connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_MS },
            };
            const server = await startPageServer(kind, options, onConnection, port);
            servers.push(server);
            return server;
          };
          const sessions = async (): Promise<number> => (await redises[0]!.keys(`${key}:session:*`)).length;
          try {
            const first = await node(0);
            // The other node of the cluster: the page never connects to it; it emits while the page's server is down.
            const other = (await node(0)).io;
            const client = await openClientPage(browser, first.url);
            try {
              const id = await client.page.evaluate(async () => {
                const { io, t } = globalThis as unknown as PageScope;
                const socket = io({ reconnectionDelay: 100, reconnectionDelayMax: 500 });
                t.sockets['main'] = socket;
                const state = { ticks: [] as unknown[], reasons: [] as string[], recovered: [] as boolean[] };
                (globalThis as unknown as { state: typeof state }).state = state;
                socket.on('tick', (n: unknown) => state.ticks.push(n));
                socket.on('disconnect', (reason) => state.reasons.push(reason));
                socket.on('connect', () => state.recovered.push(socket.recovered));
                await t.connected(socket);
                return socket.id;
              });
              const state = (): Promise<{ ticks: unknown[]; reasons: string[]; recovered: boolean[] }> =>
                client.page.evaluate(
                  () =>
                    (globalThis as unknown as { state: { ticks: unknown[]; reasons: string[]; recovered: boolean[] } })
                      .state,
                );
              other.emit('tick', 1);
              await until(async () => (await state()).ticks.length === 1, 5000, 'the first tick');

              await first.close();
              await until(async () => (await state()).reasons.length === 1, 5000, 'the page to see the server go');
              await until(async () => (await sessions()) === 1, 5000, 'the session to be stored in Redis');
              other.emit('tick', 2);
              other.emit('tick', 3);
              await client.page.evaluate(() => {
                const { t } = globalThis as unknown as PageScope;
                t.sockets['main']!.emit('from page', 'sent while away');
              });

              await node(first.port);
              await until(async () => (await state()).recovered.length === 2, 10_000, 'the page to reconnect');
              other.emit('tick', 4);
              await until(async () => (await state()).ticks.length >= 4, 5000, 'the fourth tick');
              const final = await state();
              assert.deepEqual(final.ticks, [1, 2, 3, 4], 'missed events replayed once, in order');
              assert.deepEqual(final.recovered, [false, true]);
              assert.equal(final.reasons[0], 'transport close');
              const idAfter = await client.page.evaluate(
                () => (globalThis as unknown as PageScope).t.sockets['main']!.id,
              );
              assert.equal(idAfter, id, 'the same session id after recovery');
              await until(() => received.length === 1, 5000, 'the emit made while away');
              assert.deepEqual(received, ['sent while away']);
              assert.deepEqual(unexpectedErrors(client.errors), []);
            } finally {
              await client.context.close();
            }
          } finally {
            for (const server of servers) await server.close().catch(() => undefined);
            await redises[0]?.del(key).catch(() => undefined);
            for (const redis of redises) await redis.quit().catch(() => undefined);
          }
        },
      );

      test("the browser's offline event disconnects at once, and online reconnects without waiting out the backoff", async () => {
        const server = await startPageServer(kind);
        const client = await openClientPage(browser, server.url);
        try {
          await client.page.evaluate(async () => {
            const { io, t } = globalThis as unknown as PageScope;
            // A fixed 30 s delay: a reconnection within the test's waits can only come from `online`.
            const socket = io({ reconnectionDelay: 30_000, reconnectionDelayMax: 30_000, randomizationFactor: 0 });
            t.sockets['main'] = socket;
            await t.connected(socket);
          });
          const gone = client.page.evaluate(async () => {
            const { t } = globalThis as unknown as PageScope;
            const [reason, description] = await t.next(t.sockets['main']!, 'disconnect', 3000);
            return { reason, description };
          });
          await client.context.setOffline(true);
          // Well within the server's ping timeout: the page did not wait for the heartbeat to fail.
          assert.deepEqual(await gone, {
            reason: 'transport close',
            description: { description: 'network connection lost' },
          });
          const back = client.page.evaluate(async () => {
            const { t } = globalThis as unknown as PageScope;
            await t.next(t.sockets['main']!, 'connect', 5000);
            return t.sockets['main']!.connected;
          });
          await client.context.setOffline(false);
          assert.equal(await back, true);
          assert.deepEqual(unexpectedErrors(client.errors), []);
        } finally {
          await client.context.close();
          await server.close();
        }
      });

      for (const [path, file] of Object.entries(ESM_PAGES)) {
        test(`${file}, imported by a module script, connects and defines no global`, async () => {
          const server = await startPageServer(kind, {}, (io) => {
            io.on('connection', (socket) => socket.on('echo', (...args: unknown[]) => (args.pop() as Ack)(...args)));
          });
          const client = await openClientPage(browser, server.url, path);
          try {
            await client.page.waitForFunction(() => (globalThis as unknown as PageScope).esm !== undefined);
            const result = await client.page.evaluate(async () => {
              const scope = globalThis as unknown as PageScope;
              const { io, Manager, Socket, protocol } = scope.esm!;
              const socket = io({ reconnection: false });
              await scope.t.connected(socket);
              const [echoed] = await scope.t.ask(socket, 'echo', [{ bytes: new Uint8Array([4, 2]) }]);
              const manager = new Manager({ autoConnect: false });
              return {
                globalIo: typeof scope.io,
                protocol,
                isSocket: socket instanceof Socket,
                manager: manager instanceof Manager,
                transport: socket.io.engine.transport.name,
                echoed: scope.t.describe(echoed),
              };
            });
            assert.deepEqual(result, {
              globalIo: 'undefined',
              protocol: 5,
              isSocket: true,
              manager: true,
              transport: 'websocket',
              echoed: { bytes: { binary: 'ArrayBuffer', bytes: [4, 2] } },
            });
            assert.deepEqual(client.errors, []);
          } finally {
            await client.context.close();
            await server.close();
          }
        });
      }

      test('the WebSocket-only module refuses polling, naming what to use instead', async () => {
        const server = await startPageServer(kind);
        const client = await openClientPage(browser, server.url, '/esm-websocket.html');
        try {
          await client.page.waitForFunction(() => (globalThis as unknown as PageScope).esm !== undefined);
          const refusal = await client.page.evaluate(() => {
            const { io } = (globalThis as unknown as PageScope).esm!;
            try {
              io({ transports: ['polling'] });
              return 'accepted';
            } catch (error) {
              return `${(error as Error).name}: ${(error as Error).message}`;
            }
          });
          assert.match(refusal, /^TypeError: .*polling/);
          assert.deepEqual(client.errors, []);
        } finally {
          await client.context.close();
          await server.close();
        }
      });
    });
  }
});
