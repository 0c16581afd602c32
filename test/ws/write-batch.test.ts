/**
 * How each side batches the frames it writes in one tick (src/ws/write-batch.ts): a server holds
 * its first frame until the tick ends and corks the rest behind it; a client writes its first at
 * once, so a request reaches the server while the client works on, and corks only the ones after,
 * writing them out as they reach 1 KiB, then 2 KiB, 4 KiB...
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket, type RawData } from '../../src/ws/index.js';
import { CLIENT_WRITE_OUT_BYTES } from '../../src/ws/write-batch.js';
import { startServer } from '../helpers/ws-peers.js';
import { until, waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

/** Each `write` on `socket` from now on, as whether the socket was corked when it came. */
function recordWrites(socket: net.Socket): boolean[] {
  const corked: boolean[] = [];
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    corked.push(socket.writableCorked > 0);
    return write(...args);
  }) as typeof socket.write;
  return corked;
}

/** Sends three messages in one tick; resolves, once the tick has ended, with the writes made in it. */
async function sendThree(socket: WebSocket, writes: boolean[]): Promise<boolean[]> {
  for (const text of ['a', 'b', 'c']) socket.send(text);
  const inTick = [...writes];
  await new Promise((resolve) => setImmediate(resolve));
  return inTick;
}

/**
 * Runs `body` with a client connected to a new server, the client's TCP socket (to watch its
 * writes) and what the server side receives; the client is terminated however `body` ends.
 */
function withClient(
  body: (client: WebSocket, clientSocket: net.Socket, received: string[], serverSide: WebSocket) => Promise<void>,
): Promise<void> {
  return withServer(
    () => startServer(),
    async (server) => {
      let clientSocket: net.Socket | undefined;
      const client = new WebSocket(server.url, {
        createConnection: (options) => {
          clientSocket = net.connect({ port: Number(options.port), host: '127.0.0.1' });
          return clientSocket;
        },
      });
      try {
        const received: string[] = [];
        const [serverSide] = await waitFor<[WebSocket]>(server.wss, 'connection');
        serverSide.on('message', (data: RawData) => received.push(String(data)));
        await waitFor(client, 'open');
        await body(client, clientSocket!, received, serverSide);
      } finally {
        client.terminate();
      }
    },
  );
}

describe('frames written in one tick', () => {
  it('a client writes the first at once and corks the others until the tick ends', () =>
    withClient(async (client, clientSocket, received, serverSide) => {
      const writes = recordWrites(clientSocket);
      const inTick = await sendThree(client, writes);
      assert.deepEqual(inTick, [false, true, true], 'the first written uncorked, the next two corked');
      assert.equal(clientSocket.writableCorked, 0, 'uncorked once the tick ended');
      while (received.length < 3) await waitFor(serverSide, 'message');
      assert.deepEqual(received, ['a', 'b', 'c']);
    }));

  it('a client writes out what it corked once it reaches 1 KiB, then twice as much each time', () =>
    withClient(async (client, clientSocket, received, serverSide) => {
      let uncorks = 0;
      const uncork = clientSocket.uncork.bind(clientSocket);
      clientSocket.uncork = () => {
        uncorks++;
        uncork();
      };
      // 40 frames of 106 bytes (2-byte header, 4-byte mask, 100 bytes): the first goes at once;
      // frames 2-11 make 1,060 bytes (>= 1 KiB), 12-31 make 2,120 (>= 2 KiB), and the last 9 wait
      // for the end of the tick.
      assert.equal(CLIENT_WRITE_OUT_BYTES, 1024);
      const messages = Array.from({ length: 40 }, (_, i) => String(i).padStart(100, '.'));
      for (const message of messages) client.send(message);
      const inTick = uncorks;
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(inTick, 2, 'two write-outs within the tick');
      assert.equal(uncorks, 3, 'and the rest once it ended');
      assert.equal(clientSocket.writableCorked, 0);
      while (received.length < messages.length) await waitFor(serverSide, 'message');
      assert.deepEqual(received, messages);
    }));

  it('after a write-out, a large frame and the small ones behind it keep their order, callbacks too', () =>
    withClient(async (client, _clientSocket, received, serverSide) => {
      // 12 small frames pass 1 KiB (a write-out), then one above the copy threshold goes on its
      // own, then 3 small ones cork again until the tick ends.
      const messages = [
        ...Array.from({ length: 12 }, (_, i) => `small ${i}`.padEnd(100, '.')),
        'large'.padEnd(20 * 1024, '.'),
        ...Array.from({ length: 3 }, (_, i) => `after ${i}`),
      ];
      const called: number[] = [];
      messages.forEach((message, i) =>
        client.send(message, (error) => {
          assert.equal(error ?? undefined, undefined);
          called.push(i);
        }),
      );
      while (received.length < messages.length) await waitFor(serverSide, 'message');
      assert.deepEqual(received, messages);
      await until(() => called.length === messages.length, 2000, 'every send callback');
      assert.deepEqual(
        called,
        messages.map((_, i) => i),
      );
    }));

  it('a server holds the first until the tick ends, then writes all three in one corked batch', () =>
    withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(server.url);
        try {
          const [[serverSide, request]] = await Promise.all([
            waitFor<[WebSocket, { socket: net.Socket }]>(server.wss, 'connection'),
            waitFor(client, 'open'),
          ]);
          const writes = recordWrites(request.socket);
          const received: string[] = [];
          client.on('message', (data: RawData) => received.push(String(data)));
          const inTick = await sendThree(serverSide, writes);
          assert.deepEqual(inTick, [true, true, true], 'the held first and the next two, all corked');
          assert.equal(request.socket.writableCorked, 0, 'uncorked once the tick ended');
          while (received.length < 3) await waitFor(client, 'message');
          assert.deepEqual(received, ['a', 'b', 'c']);
        } finally {
          client.terminate();
        }
      },
    ));
});
