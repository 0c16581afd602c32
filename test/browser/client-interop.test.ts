/**
 * The browser bundle of `switchboard/client` in headless Chromium, against our realtime server and
 * the official `socket.io` server, in each transport mode (WebSocket only, polling only, polling
 * then upgrade, and the default: WebSocket first). The page loads the IIFE bundle (a global `io`):
 * from our server's own path, or from a static handler beside the official server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Server, Socket as ServerSocket } from '../../src/server/index.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { until } from '../helpers/wait.js';
import { SERVER_KINDS } from '../client/helpers.js';
import {
  FIRST_TRANSPORT,
  PAGE_MODES,
  openClientPage,
  startPageServer,
  type ClientPage,
  type Described,
  type PageMode,
  type PageScope,
  type PageServer,
} from './fixtures/client-pages.js';

type Ack = (...args: unknown[]) => void;

/** What the server received, binary data as its bytes, to compare with what the page sent. */
function describeOnServer(value: unknown): Described {
  if (Buffer.isBuffer(value)) return { binary: 'Buffer', bytes: [...value] };
  if (Array.isArray(value)) return value.map(describeOnServer);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, describeOnServer(item)]));
  }
  return value as Described;
}

/** One connection as the server saw it. */
interface Seen {
  readonly socket: ServerSocket;
  readonly nsp: string;
  /** The transport the session had when the namespace was joined. */
  readonly transport: string;
  readonly auth: unknown;
}

/** Handlers of the test namespaces, the same on both servers; `seen` records every connection. */
function setUp(io: Server, seen: Seen[]): void {
  const record = (socket: ServerSocket): void => {
    seen.push({ socket, nsp: socket.nsp.name, transport: socket.conn.transport.name, auth: socket.handshake.auth });
  };
  io.on('connection', (socket) => {
    record(socket);
    socket.on('echo', (...args: unknown[]) => (args.pop() as Ack)(...args));
    socket.on('describe', (...args: unknown[]) => (args.pop() as Ack)(describeOnServer(args)));
    socket.on('order', (...args: unknown[]) => (args.pop() as Ack)(args.map(describeOnServer)));
    // Asks the page a question with binary in it; acknowledges with the page's answer as received.
    socket.on('ask me', (ack: Ack) => {
      socket
        .timeout(4000)
        .emit('question', 21, Buffer.from([1, 2, 3]), (err: Error | null, ...answer: unknown[]) =>
          ack(err === null ? { answer: describeOnServer(answer) } : { error: err.message }),
        );
    });
    socket.on('push', () =>
      socket.emit('news', { headline: 'hé ☃', body: Buffer.from([0, 255, 128]) }, Buffer.alloc(0)),
    );
  });
  io.of('/admin').on('connection', (socket) => {
    record(socket);
    socket.on('who', (ack: Ack) => ack('admin'));
  });
  io.of('/private').use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown };
    if (auth.token === 'good') next();
    else next(Object.assign(new Error('not authorized'), { data: { code: 4001, token: auth.token ?? null } }));
  });
  io.of('/private').on('connection', (socket) => {
    record(socket);
    socket.on('who', (ack: Ack) => ack('private'));
  });
}

/** 70,000 bytes, more than one WebSocket frame header's short lengths and one base64 line. */
const LARGE = 70_000;

describe('switchboard/client in Chromium', { skip: skipUnlessChromium() }, () => {
  let browser: Browser;

  before(async () => {
    await buildClientBundle();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  for (const kind of SERVER_KINDS) {
    for (const mode of Object.keys(PAGE_MODES) as PageMode[]) {
      describe(`${kind} server, ${mode}`, () => {
        const seen: Seen[] = [];
        let server: PageServer;
        const options = PAGE_MODES[mode];

        before(async () => {
          server = await startPageServer(kind, {}, (io) => setUp(io, seen));
        });

        after(async () => {
          await server?.close();
        });

        /** Runs `body` with a fresh page, then checks that the page raised and logged no error. */
        async function withPage(body: (client: ClientPage) => Promise<void>): Promise<void> {
          const client = await openClientPage(browser, server.url);
          try {
            await body(client);
            assert.deepEqual(client.errors, []);
          } finally {
            await client.context.close();
          }
        }

        test('connects over the expected transports; emit and acknowledgements both ways, binary both ways', async () => {
          await withPage(async ({ page }) => {
            seen.length = 0;
            const opened = await page.evaluate(async (options) => {
              const { io, t } = globalThis as unknown as PageScope;
              // No URL: the page's own origin, as a page served by the realtime server would.
              const socket = io({ ...options, forceNew: true, reconnection: false });
              t.sockets['main'] = socket;
              // The transport the session opened with; by `connect` an upgrade may already be done.
              let transport = '';
              socket.io.once('open', () => (transport = socket.io.engine.transport.name));
              await t.connected(socket);
              return { id: socket.id, transport };
            }, options);
            await until(() => seen.length === 1, 3000, 'the server to see the connection');
            const [{ socket, transport }] = seen as [Seen];
            assert.equal(opened.id, socket.id);
            assert.equal(opened.transport, FIRST_TRANSPORT[mode]);
            assert.equal(transport, FIRST_TRANSPORT[mode]);
            if (mode === 'upgrade') {
              await until(() => socket.conn.transport.name === 'websocket', 5000, 'the upgrade to WebSocket');
            }

            const result = await page.evaluate(async (size) => {
              const { t } = globalThis as unknown as PageScope;
              const socket = t.sockets['main']!;
              const large = new Uint8Array(size).map((_, i) => i % 251);
              const backing = new Uint8Array([9, 9, 1, 2, 3, 4, 9, 9]);
              // Everything binary a page has: each must reach the server as its own bytes only.
              const sent = await t.ask(socket, 'describe', [
                backing.buffer.slice(2, 6),
                backing.subarray(2, 6),
                new Int16Array(backing.buffer, 2, 2),
                new DataView(backing.buffer, 2, 4),
                new Blob([new Uint8Array([5, 6]), 'é']),
                new File([new Uint8Array([7, 8])], 'upload.bin', { type: 'application/octet-stream' }),
                { nested: [new Uint8Array([10])], text: 'hé ☃', n: 1.5, none: null },
              ]);
              // A Blob is read asynchronously: what is emitted after it must still arrive after it.
              const ordered = await Promise.all([
                t.ask(socket, 'order', [1, new Blob([new Uint8Array([1])])]),
                t.ask(socket, 'order', [2]),
                t.ask(socket, 'order', [3, new Uint8Array([3])]),
              ]);
              const echoed = await t.ask(socket, 'echo', [large, { inside: new Uint8Array([1, 2]) }, 'text']);
              const echoedLarge = echoed[0] as ArrayBuffer;
              const intact =
                echoedLarge.byteLength === size && new Uint8Array(echoedLarge).every((b, i) => b === i % 251);
              socket.on('question', (n: number, bytes: ArrayBuffer, ack: (...args: unknown[]) => void) =>
                ack(n * 2, new Uint8Array(bytes).slice().reverse(), bytes),
              );
              const [answered] = await t.ask(socket, 'ask me', []);
              const news = t.next(socket, 'news');
              socket.emit('push');
              return {
                sent: sent[0],
                ordered: ordered.map((answer) => answer[0]),
                echoedLargeType: Object.prototype.toString.call(echoedLarge),
                intact,
                echoedRest: t.describe(echoed.slice(1)),
                answered,
                news: t.describe(await news),
                transport: socket.io.engine.transport.name,
              };
            }, LARGE);

            const bytes = (list: number[]): Described => ({ binary: 'Buffer', bytes: list });
            assert.deepEqual(result.sent, [
              bytes([1, 2, 3, 4]),
              bytes([1, 2, 3, 4]),
              bytes([1, 2, 3, 4]),
              bytes([1, 2, 3, 4]),
              bytes([5, 6, 0xc3, 0xa9]),
              bytes([7, 8]),
              { nested: [bytes([10])], text: 'hé ☃', n: 1.5, none: null },
            ]);
            assert.deepEqual(result.ordered, [[1, bytes([1])], [2], [3, bytes([3])]]);
            // In a browser, binary data arrives as ArrayBuffers, as with socket.io-client.
            assert.equal(result.echoedLargeType, '[object ArrayBuffer]');
            assert.equal(result.intact, true, `${LARGE} bytes echoed intact`);
            assert.deepEqual(result.echoedRest, [{ inside: { binary: 'ArrayBuffer', bytes: [1, 2] } }, 'text']);
            assert.deepEqual(result.answered, { answer: [42, bytes([3, 2, 1]), bytes([1, 2, 3])] });
            assert.deepEqual(result.news, [
              { headline: 'hé ☃', body: { binary: 'ArrayBuffer', bytes: [0, 255, 128] } },
              { binary: 'ArrayBuffer', bytes: [] },
            ]);
            assert.equal(result.transport, mode === 'polling' ? 'polling' : 'websocket');
            assert.equal(socket.conn.transport.name, result.transport);
          });
        });

        test('namespaces share one connection, and leaving one keeps the other', async () => {
          await withPage(async ({ page }) => {
            seen.length = 0;
            const result = await page.evaluate(async (options) => {
              const { io, t } = globalThis as unknown as PageScope;
              const main = io({ ...options, reconnection: false });
              const admin = io('/admin', { ...options, reconnection: false });
              await Promise.all([t.connected(main), t.connected(admin)]);
              const answers = [(await t.ask(admin, 'who', []))[0], (await t.ask(main, 'echo', ['main']))[0]];
              admin.disconnect();
              const stillThere = (await t.ask(main, 'echo', ['still']))[0];
              return { shared: main.io === admin.io, answers, stillThere, connected: main.connected };
            }, options);
            assert.equal(result.shared, true, 'one manager for both namespaces');
            assert.deepEqual(result.answers, ['admin', 'main']);
            assert.equal(result.stillThere, 'still');
            assert.equal(result.connected, true);
            const main = seen.find((entry) => entry.nsp === '/');
            const admin = seen.find((entry) => entry.nsp === '/admin');
            assert.ok(main && admin, 'the server saw both namespaces');
            assert.equal(main.socket.conn.id, admin.socket.conn.id, 'one Engine.IO session');
            await until(() => admin.socket.disconnected, 3000, 'the server to see /admin leave');
            assert.equal(main.socket.connected, true);
          });
        });

        test('auth as an object and as a function; a refusal is a connect_error with its data', async () => {
          await withPage(async ({ page }) => {
            seen.length = 0;
            const result = await page.evaluate(async (options) => {
              const { io, t } = globalThis as unknown as PageScope;
              const byObject = io('/private', { ...options, reconnection: false, auth: { token: 'good' } });
              await t.connected(byObject);
              let calls = 0;
              const byFunction = io('/private', {
                ...options,
                forceNew: true,
                reconnection: false,
                auth: (send) => send({ token: 'good', call: ++calls }),
              });
              await t.connected(byFunction);
              const who = (await t.ask(byFunction, 'who', []))[0];
              const refused = io('/private', { ...options, forceNew: true, auth: { token: 'bad' } });
              const [error] = (await t.next(refused, 'connect_error')) as [Error & { data?: unknown }];
              return {
                who,
                calls,
                message: error.message,
                data: error.data as unknown,
                refusedActive: refused.active,
                refusedConnected: refused.connected,
              };
            }, options);
            assert.equal(result.who, 'private');
            assert.equal(result.calls, 1);
            assert.equal(result.message, 'not authorized');
            assert.deepEqual(result.data, { code: 4001, token: 'bad' });
            assert.equal(result.refusedActive, false, 'a refused socket does not retry on its own');
            assert.equal(result.refusedConnected, false);
            assert.deepEqual(
              seen.filter((entry) => entry.nsp === '/private').map((entry) => entry.auth),
              [{ token: 'good' }, { token: 'good', call: 1 }],
            );
          });
        });
      });
    }
  }
});
