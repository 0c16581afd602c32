/**
 * The official `@socket.io/redis-adapter`, unchanged, on two of our servers sharing a real Redis;
 * then one of ours beside an official `socket.io` server on the same Redis.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Server as OfficialServer } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { InMemoryAdapter } from '../../src/adapter/index.js';
import type { Server } from '../../src/server/index.js';
import { startServer, type Harness } from '../server/helpers.js';
import { REDIS_URL, connectedClient, nextOnEach, skipUnlessReachable, uniqueName, untilCount } from './services.js';
import { waitFor } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

/** One of our servers with the Redis adapter (its own pub/sub connections, node-redis v5). */
interface RedisNode {
  harness: Harness;
  io: Server;
  close(): Promise<void>;
}

async function ourNode(key: string): Promise<RedisNode> {
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const harness = await startServer();
  harness.io.adapter(createAdapter(pub, sub, { key, requestsTimeout: 3000 }));
  return {
    harness,
    io: harness.io,
    async close() {
      await harness.close();
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}

/** Two of our nodes on one Redis key space, each with one connected official client. */
async function twoNodes(): Promise<{
  a: RedisNode;
  b: RedisNode;
  onA: ClientSocket;
  onB: ClientSocket;
  close(): Promise<void>;
}> {
  const key = uniqueName('sb');
  const a = await ourNode(key);
  const b = await ourNode(key);
  const close = async (): Promise<void> => {
    await Promise.allSettled([a.close(), b.close()]);
  };
  try {
    await untilCount(() => a.io.sockets.adapter.serverCount(), 2);
    const onA = await connectedClient(a.harness.url, a.harness.clients);
    const onB = await connectedClient(b.harness.url, b.harness.clients);
    return { a, b, onA, onB, close };
  } catch (err) {
    await close();
    throw err;
  }
}

describe('@socket.io/redis-adapter on two of our servers', { skip }, () => {
  test('io.adapter() returns what builds the adapters, and the default is the in-memory adapter', async () => {
    const harness = await startServer();
    try {
      assert.equal(harness.io.adapter(), InMemoryAdapter);
      const factory = (): InMemoryAdapter => new InMemoryAdapter(harness.io.sockets);
      assert.equal(harness.io.adapter(factory), harness.io);
      assert.equal(harness.io.adapter(), factory);
    } finally {
      await harness.close();
    }
  });

  test('a broadcast from one node reaches the clients of both, and serverCount() counts both', async () => {
    const { a, b, onA, onB, close } = await twoNodes();
    try {
      assert.equal(await b.io.sockets.adapter.serverCount(), 2);
      const received = nextOnEach([onA, onB], 'news');
      a.io.emit('news', 'from A', { n: 1 });
      assert.deepEqual(await received, [
        ['from A', { n: 1 }],
        ['from A', { n: 1 }],
      ]);
      const binary = waitFor<[Buffer]>(onA, 'bytes');
      b.io.emit('bytes', Buffer.from([1, 2, 3]));
      assert.deepEqual([...(await binary)[0]], [1, 2, 3]);
    } finally {
      await close();
    }
  });

  test('rooms span nodes: a room broadcast reaches its members on the other node only', async () => {
    const { a, b, onA, onB, close } = await twoNodes();
    try {
      const [socketOnB] = [...b.io.sockets.sockets.values()];
      await socketOnB!.join('lobby');
      let strayOnA = false;
      onA.on('lobby news', () => (strayOnA = true));
      const received = waitFor(onB, 'lobby news');
      a.io.to('lobby').emit('lobby news', 'hello lobby');
      assert.deepEqual(await received, ['hello lobby']);
      // A message sent after the room's one reaches A: had the room's reached A, it would have come first.
      const after = waitFor(onA, 'later');
      a.io.emit('later');
      await after;
      assert.equal(strayOnA, false);
    } finally {
      await close();
    }
  });

  test('fetchSockets() sees the sockets of both nodes, with rooms and data; remote ones can be told what to do', async () => {
    const { a, b, onA, onB, close } = await twoNodes();
    try {
      const [socketOnB] = [...b.io.sockets.sockets.values()];
      socketOnB!.data = { name: 'bea' };
      await socketOnB!.join('team');
      const found = await a.io.fetchSockets();
      assert.deepEqual(found.map((socket) => socket.id).sort(), [onA.id, onB.id].sort());
      const remote = found.find((socket) => socket.id === onB.id)!;
      assert.deepEqual(remote.data, { name: 'bea' });
      assert.deepEqual([...remote.rooms].sort(), [onB.id, 'team'].sort());
      assert.equal(remote.handshake.query['EIO'], '4');
      const direct = waitFor(onB, 'direct');
      remote.emit('direct', 'just you');
      assert.deepEqual(await direct, ['just you']);
      assert.deepEqual(
        (await a.io.in('team').fetchSockets()).map((socket) => socket.id),
        [onB.id],
      );
    } finally {
      await close();
    }
  });

  test('serverSideEmit reaches the other node, and its acknowledgement comes back', async () => {
    const { a, b, close } = await twoNodes();
    try {
      b.io.on('whoami', (question: string, answer: (reply: string) => void) => answer(`B heard ${question}`));
      const plain = waitFor(b.io.sockets, 'hello');
      a.io.serverSideEmit('hello', 42);
      assert.deepEqual(await plain, [42]);
      const responses = await a.io.serverSideEmitWithAck('whoami', 'A?');
      assert.deepEqual(responses, ['B heard A?']);
    } finally {
      await close();
    }
  });

  test('a broadcast with acknowledgements collects the answers of the clients of both nodes', async () => {
    const { a, onA, onB, close } = await twoNodes();
    try {
      onA.on('question', (n: number, answer: (reply: string) => void) => answer(`A:${n}`));
      onB.on('question', (n: number, answer: (reply: string) => void) => answer(`B:${n}`));
      const responses = await new Promise<unknown[]>((resolve, reject) => {
        a.io
          .timeout(3000)
          .emit('question', 7, (err: Error | null, answers: unknown[]) => (err ? reject(err) : resolve(answers)));
      });
      assert.deepEqual(responses.sort(), ['A:7', 'B:7']);
      assert.deepEqual((await a.io.timeout(3000).emitWithAck('question', 8)).sort(), ['A:8', 'B:8']);
    } finally {
      await close();
    }
  });

  test('socketsJoin, socketsLeave and disconnectSockets act on both nodes', async () => {
    const { a, b, onA, onB, close } = await twoNodes();
    try {
      a.io.socketsJoin('everyone');
      const [socketOnB] = [...b.io.sockets.sockets.values()];
      await untilCount(async () => (socketOnB!.rooms.has('everyone') ? 1 : 0), 1);
      const inRoom = nextOnEach([onA, onB], 'roll call');
      b.io.to('everyone').emit('roll call');
      await inRoom;
      a.io.socketsLeave('everyone');
      await untilCount(async () => (socketOnB!.rooms.has('everyone') ? 1 : 0), 0);
      const gone = nextOnEach([onA, onB], 'disconnect');
      b.io.disconnectSockets();
      assert.deepEqual(
        (await gone).map(([reason]) => reason),
        ['io server disconnect', 'io server disconnect'],
      );
    } finally {
      await close();
    }
  });
});

describe('@socket.io/redis-adapter shared by an official socket.io server and one of ours', { skip }, () => {
  test('broadcasts cross both ways, and each node counts the other', async () => {
    const key = uniqueName('mixed');
    const ours = await ourNode(key);
    const pub = new Redis(REDIS_URL);
    const sub = pub.duplicate();
    const http = createServer();
    const official = new OfficialServer(http, { adapter: createAdapter(pub, sub, { key }) });
    const officialClients: ClientSocket[] = [];
    try {
      http.listen(0, '127.0.0.1');
      await waitFor(http, 'listening');
      const officialUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      await untilCount(() => ours.io.sockets.adapter.serverCount(), 2);
      assert.equal(await official.of('/').adapter.serverCount(), 2);
      const onOurs = await connectedClient(ours.harness.url, ours.harness.clients);
      const onOfficial = await connectedClient(officialUrl, officialClients);

      const fromOurs = nextOnEach([onOurs, onOfficial], 'from ours');
      ours.io.emit('from ours', 'hi', Buffer.from('bin'));
      for (const [text, bytes] of (await fromOurs) as [string, Buffer][]) {
        assert.equal(text, 'hi');
        assert.equal(Buffer.from(bytes).toString(), 'bin');
      }
      const fromOfficial = nextOnEach([onOurs, onOfficial], 'from official');
      official.emit('from official', { ok: true });
      assert.deepEqual(await fromOfficial, [[{ ok: true }], [{ ok: true }]]);

      const [socketOnOurs] = [...ours.io.sockets.sockets.values()];
      await socketOnOurs!.join('mixed room');
      for (const socket of official.of('/').sockets.values()) void socket.join('mixed room');
      const ids = (await official.in('mixed room').fetchSockets()).map((socket) => socket.id);
      assert.deepEqual(ids.sort(), [onOurs.id, onOfficial.id].sort());

      onOurs.on('ask', (answer: (reply: string) => void) => answer('ours'));
      onOfficial.on('ask', (answer: (reply: string) => void) => answer('official'));
      assert.deepEqual((await ours.io.timeout(3000).emitWithAck('ask')).sort(), ['official', 'ours']);
      assert.deepEqual((await official.timeout(3000).emitWithAck('ask')).sort(), ['official', 'ours']);
    } finally {
      for (const socket of officialClients) socket.disconnect();
      await new Promise<void>((resolve) => official.close(() => resolve()));
      await ours.close();
      pub.disconnect();
      sub.disconnect();
    }
  });
});
