import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { Server } from '../../src/server/index.js';
import { collectPageErrors, launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { TRANSPORT_MODES, type TransportMode } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const require = createRequire(import.meta.url);
// The official browser bundle, unchanged, served to the page (the package exports no subpath for it).
const CLIENT_BUNDLE = readFileSync(
  join(dirname(require.resolve('socket.io-client/package.json')), 'dist', 'socket.io.min.js'),
);

/** What the page reports back. */
interface PageResult {
  id: string;
  transport: string;
  sum: unknown;
  echoed: number[];
  fromServer: number[];
  news: string[];
}

describe('the official browser client in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let browser: Browser;
  let io: Server;
  let url: string;
  const http = createServer((req, res) => {
    if (req.url === '/socket.io.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(CLIENT_BUNDLE);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/socket.io.min.js"></script>');
  });

  before(async () => {
    // Default heartbeats (25 s), so none falls inside a test: over polling, the client writes its
    // close packet without waiting for a POST in flight, so a close racing a pong makes two
    // overlapping POSTs, which the protocol answers 400 (the official server too), and the page
    // would log that 400 as an error.
    io = new Server(http);
    // A second namespace the page stays connected to, so that the server's disconnect of '/' does not
    // make the client close the whole connection (see the end of the test).
    io.of('/spare');
    io.on('connection', (socket) => {
      socket.on('sum', (a: number, b: number, ack: (n: number) => void) => ack(a + b));
      socket.on('echo', (data: Buffer, ack: (reply: Buffer) => void) =>
        ack(Buffer.concat([data, Buffer.from([0xff])])),
      );
      socket.on('join', async (room: string, ack: () => void) => {
        await socket.join(room);
        ack();
        io.to(room).emit('news', `welcome to ${room}`);
      });
      socket.emit('bytes', { deep: [Buffer.from([1, 2, 3])] });
    });
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await io?.close();
  });

  for (const mode of Object.keys(TRANSPORT_MODES) as TransportMode[]) {
    test(`over ${mode}: connect, acks, binary both ways, rooms, server disconnect`, async () => {
      const page = await browser.newPage();
      const errors = collectPageErrors(page);
      try {
        await page.goto(url);
        const options = TRANSPORT_MODES[mode];
        const result = await page.evaluate(async (clientOptions) => {
          type ClientSocket = {
            id: string;
            io: {
              engine: { transport: { name: string }; once(event: string, fn: () => void): void };
              socket(nsp: string): ClientSocket;
            };
            on(event: string, fn: (...args: never[]) => void): void;
            once(event: string, fn: (...args: never[]) => void): void;
            emitWithAck(event: string, ...args: unknown[]): Promise<unknown>;
          };
          // This function runs in the page, so it uses nothing from the test file (and defines no named
          // function, which the TypeScript loader would wrap in a helper the page lacks). Every wait
          // below races one deadline, which names the step it was on.
          let step = 'connect';
          let timer: ReturnType<typeof setTimeout> | undefined;
          const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the page timed out waiting for ${step}`)), 10_000);
          });
          const connect = (globalThis as unknown as { io: (options: object) => ClientSocket }).io;
          const socket = connect({ ...clientOptions, reconnection: false });
          const fromServer = new Promise<number[]>((resolve) =>
            socket.once('bytes', (payload: { deep: ArrayBuffer[] }) =>
              resolve([...new Uint8Array(payload.deep[0] as ArrayBuffer)]),
            ),
          );
          await Promise.race([new Promise<void>((resolve) => socket.once('connect', () => resolve())), deadline]);
          step = 'connect to /spare';
          const spare = socket.io.socket('/spare');
          await Promise.race([new Promise<void>((resolve) => spare.once('connect', () => resolve())), deadline]);
          if (clientOptions.transports.length > 1 && socket.io.engine.transport.name !== 'websocket') {
            step = 'upgrade';
            const upgraded = new Promise<void>((resolve) => socket.io.engine.once('upgrade', () => resolve()));
            await Promise.race([upgraded, deadline]);
          }
          step = 'acks';
          const sum = await Promise.race([socket.emitWithAck('sum', 2, 40), deadline]);
          const echo = socket.emitWithAck('echo', new Uint8Array([7, 8]));
          const echoed = (await Promise.race([echo, deadline])) as ArrayBuffer;
          // Over polling the broadcast may come in a later poll than the ack: wait for it, not for a while.
          step = 'the news';
          const news = new Promise<string>((resolve) => socket.once('news', (text: string) => resolve(text)));
          await Promise.race([socket.emitWithAck('join', 'lobby'), deadline]);
          const welcome = await Promise.race([news, deadline]);
          step = 'the bytes event';
          const bytes = await Promise.race([fromServer, deadline]);
          clearTimeout(timer);
          socket.once(
            'disconnect',
            (why: string) => ((globalThis as unknown as { disconnectReason?: string }).disconnectReason = why),
          );
          return {
            id: socket.id,
            transport: socket.io.engine.transport.name,
            sum,
            echoed: [...new Uint8Array(echoed)],
            fromServer: bytes,
            news: [welcome],
          };
        }, options);
        const partial: PageResult = result;
        assert.equal(partial.transport, mode === 'polling' ? 'polling' : 'websocket');
        assert.equal(partial.sum, 42);
        assert.deepEqual(partial.echoed, [7, 8, 0xff]);
        assert.deepEqual(partial.fromServer, [1, 2, 3]);
        assert.deepEqual(partial.news, ['welcome to lobby']);
        const serverSocket = io.sockets.sockets.get(partial.id);
        assert.ok(serverSocket, 'the page socket is known to the server under the same id');
        // The page keeps /spare, so the client does not close the connection now. Had '/' been its last
        // namespace, the client would close it from the handler of this DISCONNECT, which socket.io-client
        // runs a microtask after the poll that brought it, when the polling transport has already sent its
        // next GET: that GET and the close POST then race, and a GET reaching the server after the close
        // is answered 400 (unknown session, the official server too), which the page logs as an error.
        serverSocket.disconnect();
        const reason = await page.waitForFunction(
          () => (globalThis as unknown as { disconnectReason?: string }).disconnectReason,
          undefined,
          {
            timeout: 3000,
          },
        );
        assert.equal(await reason.jsonValue(), 'io server disconnect');
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }
});
