import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ServerSocket } from '../../src/server/index.js';
import { io } from '../../src/client-node/index.js';
import { until, waitFor } from '../helpers/wait.js';
import { PAIRS, SERVER_KINDS, connected, startHarness } from './helpers.js';

/** A server-side socket's listener signature, for the echo handlers below. */
type Ack = (...args: unknown[]) => void;

for (const { kind, mode, name } of PAIRS) {
  describe(`client against the ${name}`, () => {
    test('connects, emits with acknowledgements both ways, binary both ways', async () => {
      const h = await startHarness(kind, mode);
      try {
        const serverSide = waitFor<[ServerSocket]>(h.io, 'connection');
        h.io.on('connection', (socket) => {
          socket.on('echo', (...args: unknown[]) => (args.pop() as Ack)(...args));
        });
        const client = h.client();
        await connected(client);
        const [socket] = await serverSide;
        assert.equal(client.id, socket.id);
        assert.equal(client.connected, true);

        const bytes = new Uint8Array([1, 2, 3, 250]);
        const answer: unknown = await client.timeout(3000).emitWithAck('echo', { text: 'hé', bytes }, 42);
        // Node hands binary over as Buffers, as socket.io-client does there.
        assert.deepEqual(answer, { text: 'hé', bytes: Buffer.from(bytes) });

        client.on('ask', (question: number, buffer: Buffer, ack: Ack) => ack(question * 2, buffer.reverse()));
        const [doubled, reversed] = await new Promise<[number, Buffer]>((resolve, reject) => {
          socket.timeout(3000).emit('ask', 21, Buffer.from([1, 2]), (err: Error | null, n: number, b: Buffer) => {
            if (err) reject(err);
            else resolve([n, b]);
          });
        });
        assert.equal(doubled, 42);
        assert.deepEqual([...reversed], [2, 1]);

        const received = waitFor<[string, Buffer]>(client, 'news');
        socket.emit('news', 'flash', Buffer.from('abc'));
        const [headline, body] = await received;
        assert.equal(headline, 'flash');
        assert.equal(body.toString(), 'abc');
      } finally {
        await h.close();
      }
    });

    test('namespaces share one connection', async () => {
      const h = await startHarness(kind, mode, {}, (server) => {
        server.of('/admin').on('connection', (socket) => socket.on('who', (ack: Ack) => ack('admin')));
        server.on('connection', (socket) => socket.on('who', (ack: Ack) => ack('main')));
      });
      try {
        const main = h.client('/', { forceNew: false });
        const admin = io(`${h.url}/admin`, { transports: main.io.opts.transports!.slice(), reconnection: false });
        assert.equal(admin.io, main.io, 'one manager for both namespaces');
        await Promise.all([connected(main), connected(admin)]);
        assert.equal(await main.timeout(3000).emitWithAck('who'), 'main');
        assert.equal(await admin.timeout(3000).emitWithAck('who'), 'admin');
        // A second socket for a namespace that already has one gets a connection of its own.
        const again = io(`${h.url}/admin`, { autoConnect: false });
        assert.notEqual(again.io, main.io);
        admin.disconnect();
        assert.equal(main.connected, true, 'leaving one namespace keeps the connection');
      } finally {
        await h.close();
      }
    });

    test('auth as an object and as a callback', async () => {
      const h = await startHarness(kind, mode);
      try {
        const tokens: unknown[] = [];
        h.io.use((socket, next) => {
          tokens.push(socket.handshake.auth);
          next();
        });
        const byObject = h.client('/', { auth: { token: 'a' } });
        await connected(byObject);
        let calls = 0;
        const byCallback = h.client('/', { auth: (cb) => cb({ token: `b${++calls}` }) });
        await connected(byCallback);
        assert.deepEqual(tokens, [{ token: 'a' }, { token: 'b1' }]);
      } finally {
        await h.close();
      }
    });

    test("a middleware's refusal is a connect_error with its message and data", async () => {
      const h = await startHarness(kind, mode, {}, (server) => {
        server.use((_socket, next) => next(Object.assign(new Error('not allowed'), { data: { code: 403 } })));
      });
      try {
        const client = h.client('/', { reconnection: true });
        const [error] = await waitFor<[Error & { data?: unknown }]>(client, 'connect_error');
        assert.equal(error.message, 'not allowed');
        assert.deepEqual(error.data, { code: 403 });
        assert.equal(client.active, false, 'a refused socket does not retry on its own');
      } finally {
        await h.close();
      }
    });

    test("the server's disconnect is 'io server disconnect' and is not followed by a reconnection", async () => {
      const h = await startHarness(kind, mode);
      try {
        const serverSide = waitFor<[ServerSocket]>(h.io, 'connection');
        const client = h.client('/', { reconnection: true });
        await connected(client);
        const [socket] = await serverSide;
        const disconnected = waitFor<[string]>(client, 'disconnect');
        socket.disconnect();
        const [reason] = await disconnected;
        assert.equal(reason, 'io server disconnect');
        assert.equal(client.active, false);
        assert.equal(client.io._reconnecting, false);
        assert.equal(client.io._readyState, 'closed');
      } finally {
        await h.close();
      }
    });

    test('emits made before the connection go out once it opens, in order', async () => {
      const h = await startHarness(kind, mode);
      try {
        const received: unknown[] = [];
        h.io.on('connection', (socket) => socket.on('n', (n: number) => received.push(n)));
        const client = h.client();
        for (let n = 0; n < 5; n++) client.emit('n', n);
        assert.equal(client.sendBuffer.length, 5);
        await connected(client);
        await until(
          () => received.length === 5,
          3000,
          () => `the buffered emits (got ${received.length})`,
        );
        assert.deepEqual(received, [0, 1, 2, 3, 4]);
      } finally {
        await h.close();
      }
    });
  });
}

for (const kind of SERVER_KINDS) {
  describe(`client against the ${kind} server with permessage-deflate`, () => {
    test('compress(false) sends its message uncompressed; other messages are compressed', async () => {
      const h = await startHarness(kind, 'websocket', { perMessageDeflate: { threshold: 0 } });
      try {
        const serverSide = waitFor<[ServerSocket]>(h.io, 'connection');
        const client = h.client();
        await connected(client);
        const [socket] = await serverSide;
        // The first byte of each frame the client sent, as it came: RSV1 (0x40) marks a compressed
        // message (RFC 7692 §6). One emit at a time, so each arrives in a read of its own.
        const firstBytes: number[] = [];
        (socket.conn.request.socket as NodeJS.EventEmitter).on('data', (chunk: Buffer) => firstBytes.push(chunk[0]!));
        const text = 'compressible '.repeat(200);
        for (const compress of [false, true, false]) {
          firstBytes.length = 0;
          const received = waitFor<[string]>(socket, 'note');
          client.compress(compress).emit('note', text);
          assert.deepEqual(await received, [text]);
          assert.equal(firstBytes.length, 1);
          assert.equal((firstBytes[0]! & 0x40) !== 0, compress, `compress(${compress})`);
        }
      } finally {
        await h.close();
      }
    });

    test('over long-polling, compress(false) messages go like any other, text and binary', async () => {
      const h = await startHarness(kind, 'polling');
      try {
        const serverSide = waitFor<[ServerSocket]>(h.io, 'connection');
        const client = h.client();
        await connected(client);
        const [socket] = await serverSide;
        const received = waitFor<[string, Buffer]>(socket, 'note');
        client.compress(false).emit('note', 'plain', Uint8Array.of(1, 2, 3));
        const [text, bytes] = await received;
        assert.equal(text, 'plain');
        assert.deepEqual([...bytes], [1, 2, 3]);
      } finally {
        await h.close();
      }
    });
  });
}
