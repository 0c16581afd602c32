import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { Socket } from '../../src/server/index.js';
import { TRANSPORT_MODES, startServer, type Harness, type TransportMode } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

async function connected(h: Harness, nsp = '/'): Promise<{ client: ClientSocket; socket: Socket }> {
  const serverSide = waitFor<[Socket]>(h.io.of(nsp), 'connection');
  const client = h.client(nsp);
  await waitFor(client, 'connect');
  const [socket] = await serverSide;
  return { client, socket };
}

function bytes(value: unknown): number[] {
  return [...new Uint8Array(value as ArrayBuffer)];
}

for (const mode of Object.keys(TRANSPORT_MODES) as TransportMode[]) {
  describe(`events over ${mode}`, () => {
    test('events both ways with any JSON arguments', async () => {
      const h = await startServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        const fromClient = waitFor(socket, 'message');
        client.emit('message', 'text', 42, null, true, { nested: [1, { deep: 'x' }] }, [], 'ü€😀');
        assert.deepEqual(await fromClient, ['text', 42, null, true, { nested: [1, { deep: 'x' }] }, [], 'ü€😀']);
        const fromServer = waitFor(client, 'reply');
        socket.emit('reply', { ok: true }, 'two', 3);
        assert.deepEqual(await fromServer, [{ ok: true }, 'two', 3]);
      } finally {
        await h.close();
      }
    });

    test('acknowledgements both ways', async () => {
      const h = await startServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        socket.on('sum', (a: number, b: number, ack: (result: number) => void) => ack(a + b));
        assert.equal(await client.emitWithAck('sum', 2, 3), 5);
        client.on('double', (n: number, ack: (result: number, extra: string) => void) => ack(n * 2, 'extra'));
        const answer = await new Promise<unknown[]>((resolve) =>
          socket.emit('double', 21, (...args: unknown[]) => resolve(args)),
        );
        assert.deepEqual(answer, [42, 'extra']);
        assert.equal(await socket.emitWithAck('double', 4), 8);
      } finally {
        await h.close();
      }
    });

    test('binary anywhere: Buffers, ArrayBuffers and typed arrays, nested, both ways, in acks too', async () => {
      const h = await startServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        const received = waitFor<[{ file: Buffer; list: Buffer[] }, Buffer]>(socket, 'upload');
        client.emit(
          'upload',
          { file: Uint8Array.of(1, 2, 3), list: [Uint8Array.of(4), new Uint8Array(0)] },
          Uint8Array.of(255).buffer,
        );
        const [payload, raw] = await received;
        assert.ok(Buffer.isBuffer(payload.file), 'the server gets Buffers');
        assert.deepEqual([...payload.file], [1, 2, 3]);
        assert.deepEqual(
          payload.list.map((b) => [...b]),
          [[4], []],
        );
        assert.deepEqual([...raw], [255]);

        const download = waitFor<[{ a: { b: ArrayBuffer[] } }, ArrayBuffer, ArrayBuffer]>(client, 'download');
        const big = Buffer.alloc(100_000, 7);
        socket.emit('download', { a: { b: [Buffer.from('xy')] } }, new Uint16Array([0x0101]), big);
        const [nested, typed, large] = await download;
        assert.deepEqual(bytes(nested.a.b[0]), [0x78, 0x79]);
        assert.deepEqual(bytes(typed), [1, 1]);
        assert.equal((large as ArrayBuffer).byteLength, 100_000);

        socket.on('echo', (data: Buffer, ack: (reply: Buffer) => void) => ack(Buffer.concat([data, data])));
        const echoed = await client.emitWithAck('echo', Uint8Array.of(9, 8));
        assert.deepEqual(bytes(echoed), [9, 8, 9, 8]);
      } finally {
        await h.close();
      }
    });
  });
}

describe('acknowledgement timeouts', () => {
  test('timeout(ms).emit calls back with an error when the client does not answer, with (null, ...args) when it does', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      client.on('silent', () => {});
      client.on('answer', (ack: (v: string) => void) => ack('yes'));
      const timedOut = await new Promise<unknown[]>((resolve) =>
        socket.timeout(50).emit('silent', (...args: unknown[]) => resolve(args)),
      );
      assert.ok(timedOut[0] instanceof Error);
      assert.equal((timedOut[0] as Error).message, 'operation has timed out');
      const answered = await new Promise<unknown[]>((resolve) =>
        socket.timeout(1000).emit('answer', (...args: unknown[]) => resolve(args)),
      );
      assert.deepEqual(answered, [null, 'yes']);
      await assert.rejects(socket.timeout(50).emitWithAck('silent'), /operation has timed out/);
      assert.equal(await socket.timeout(1000).emitWithAck('answer'), 'yes');
    } finally {
      await h.close();
    }
  });

  test('a pending timed ack fails at once when the socket disconnects', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      client.on('silent', () => {});
      const pending = socket.timeout(10_000).emitWithAck('silent');
      socket.disconnect();
      await assert.rejects(pending, /socket has been disconnected/);
    } finally {
      await h.close();
    }
  });

  test('an ack is answered once, however often the handler calls it', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const acks: string[] = [];
      client.io.engine.on('packet', (packet: { type: string; data?: unknown }) => {
        if (packet.type === 'message' && String(packet.data).startsWith('3')) acks.push(String(packet.data));
      });
      socket.on('twice', (ack: (n: number) => void) => {
        ack(1);
        ack(2);
      });
      socket.on('sync', (ack: () => void) => ack());
      assert.equal(await client.emitWithAck('twice'), 1);
      await client.emitWithAck('sync');
      assert.deepEqual(acks, ['30[1]', '31[]']);
    } finally {
      await h.close();
    }
  });
});

describe('catch-all listeners and per-socket middlewares', () => {
  test('onAny, prependAny, offAny see incoming events; onAnyOutgoing sees outgoing ones', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const seen: string[] = [];
      const first = (event: string): void => void seen.push(`first ${event}`);
      socket.onAny((event, ...args) => seen.push(`any ${event} ${JSON.stringify(args)}`));
      socket.prependAny(first);
      socket.onAnyOutgoing((event, ...args) => seen.push(`out ${event} ${JSON.stringify(args)}`));
      const done = waitFor(socket, 'b');
      client.emit('a', 1);
      client.emit('b');
      await done;
      socket.offAny(first);
      const done2 = waitFor(socket, 'c');
      client.emit('c');
      await done2;
      socket.emit('to-client', 'x');
      h.io.emit('broadcast', 'y');
      await waitFor(client, 'broadcast');
      assert.deepEqual(socket.listenersAny().length, 1);
      assert.deepEqual(seen, [
        'first a',
        'any a [1]',
        'first b',
        'any b []',
        'any c []',
        'out to-client ["x"]',
        'out broadcast ["y"]',
      ]);
      socket.offAnyOutgoing();
      assert.equal(socket.listenersAnyOutgoing().length, 0);
    } finally {
      await h.close();
    }
  });

  test('socket.use runs before listeners; next(err) drops the event and emits error on the socket', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const calls: string[] = [];
      socket.use(([event, ...args], next) => {
        calls.push(`mw ${event}`);
        if (event === 'forbidden') return next(new Error('not allowed'));
        args.push('tagged');
        next();
      });
      socket.on('forbidden', () => calls.push('forbidden handler'));
      const errored = waitFor<[Error]>(socket, 'error');
      client.emit('forbidden');
      const [err] = await errored;
      assert.equal(err.message, 'not allowed');
      const ok = waitFor(socket, 'allowed');
      client.emit('allowed', 1);
      await ok;
      assert.deepEqual(calls, ['mw forbidden', 'mw allowed']);
    } finally {
      await h.close();
    }
  });

  test('an "error" event sent by a client with no error listener is ignored, not thrown', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      client.emit('error', 'boom');
      socket.on('after', (ack: () => void) => ack());
      await client.timeout(1000).emitWithAck('after');
      assert.equal(socket.connected, true);
    } finally {
      await h.close();
    }
  });

  test('emitting a reserved event name throws', async () => {
    const h = await startServer();
    try {
      const { socket } = await connected(h);
      for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
        assert.throws(() => socket.emit(name), /reserved event name/);
        assert.throws(() => h.io.emit(name), /reserved event name/);
      }
    } finally {
      await h.close();
    }
  });

  test('socket.send and io.send emit "message"', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const got = waitFor(client, 'message');
      socket.send('hi');
      assert.deepEqual(await got, ['hi']);
      const got2 = waitFor(client, 'message');
      h.io.send('all');
      assert.deepEqual(await got2, ['all']);
    } finally {
      await h.close();
    }
  });
});

describe("socket.conn's packet events", () => {
  test("'packetCreate' shows each packet with its compress flag: emit, compress(false), broadcasts", async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h, '/chat');
      const created: string[] = [];
      socket.conn.on('packetCreate', (packet) =>
        created.push(`${String(packet.data)} compress=${packet.options.compress}`),
      );
      const arrived = new Promise<void>((resolve) => client.onAny(() => created.length === 4 && resolve()));
      socket.emit('woot', 1);
      socket.compress(false).emit('woot', 2);
      h.io.of('/chat').emit('woot', 3);
      h.io.of('/chat').compress(false).emit('woot', 4);
      assert.deepEqual(created, [
        '2/chat,["woot",1] compress=true',
        '2/chat,["woot",2] compress=false',
        '2/chat,["woot",3] compress=true',
        '2/chat,["woot",4] compress=false',
      ]);
      await arrived;
    } finally {
      await h.close();
    }
  });

  test("'packet' and 'data' show what the client sends", async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const packet = waitFor<[{ type: string; data: unknown }]>(socket.conn, 'packet');
      const data = waitFor<[unknown]>(socket.conn, 'data');
      client.emit('hello', 'there');
      assert.deepEqual((await packet)[0], { type: 'message', data: '2["hello","there"]' });
      assert.equal((await data)[0], '2["hello","there"]');
    } finally {
      await h.close();
    }
  });
});

describe('rooms after leaving', () => {
  test('a socket that left cannot join rooms again', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const gone = waitFor(socket, 'disconnect');
      client.disconnect();
      await gone;
      await socket.join('late');
      assert.equal(socket.rooms.size, 0);
      assert.equal(h.io.sockets.adapter.rooms.has('late'), false);
    } finally {
      await h.close();
    }
  });
});
