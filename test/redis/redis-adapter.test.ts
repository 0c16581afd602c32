/**
 * `createAdapter` of switchboard/redis across three of our nodes in their own processes (two on
 * node-redis, one on ioredis) sharing a real Redis, with official socket.io-client clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { REDIS_URL, nextOnEach, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { call, startCluster, type Cluster } from './helpers.js';

const skip = await skipUnlessReachable('Redis', 6379);

interface Fetched {
  id: string;
  rooms: string[];
  data: { node: string };
}

describe('createAdapter across three of our nodes', { skip }, () => {
  const key = uniqueName('sb');
  let cluster: Cluster;
  let on: readonly ClientSocket[] = [];

  before(async () => {
    const settings = [
      { NAME: 'A', CLIENT: 'node-redis' },
      { NAME: 'B', CLIENT: 'node-redis' },
      { NAME: 'C', CLIENT: 'ioredis' },
    ];
    cluster = await startCluster({ KEY: key, REDIS_URL }, settings);
    on = cluster.on;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('a broadcast from any node reaches every client exactly once, binary included', async () => {
    for (const [i, sender] of on.entries()) {
      const counts = on.map(() => 0);
      on.forEach((socket, j) => socket.on(`hello ${i}`, () => counts[j]!++));
      const received = nextOnEach(on, `hello ${i}`);
      await call(sender, 'emit', [], [], `hello ${i}`, 'from', i, Buffer.from([i, 255]));
      for (const [text, n, bytes] of (await received) as [string, number, Buffer][]) {
        assert.equal(text, 'from');
        assert.equal(n, i);
        assert.deepEqual([...Buffer.from(bytes)], [i, 255]);
      }
      // A marker sent after it from the same node arrives after any duplicate would have.
      const marker = nextOnEach(on, 'marker');
      await call(sender, 'emit', [], [], 'marker');
      await marker;
      assert.deepEqual(counts, [1, 1, 1]);
    }
  });

  test('rooms and exclusions span nodes', async () => {
    const [a, b, c] = on as [ClientSocket, ClientSocket, ClientSocket];
    await call(b, 'join', 'lobby');
    await call(c, 'join', 'lobby');
    await call(c, 'join', 'muted');
    const got: string[] = [];
    for (const [name, socket] of [
      ['A', a],
      ['B', b],
      ['C', c],
    ] as const)
      socket.on('lobby news', () => got.push(name));
    const toB = waitFor(b, 'lobby news');
    await call(a, 'emit', ['lobby'], ['muted'], 'lobby news');
    await toB;
    const marker = nextOnEach(on, 'after lobby');
    await call(a, 'emit', [], [], 'after lobby');
    await marker;
    assert.deepEqual(got, ['B']);
  });

  test('fetchSockets from any node describes every socket, with rooms and data', async () => {
    const [a, b, c] = on as [ClientSocket, ClientSocket, ClientSocket];
    await call(c, 'join', 'fetch room');
    const all = await call<Fetched[]>(b, 'fetch', null);
    assert.deepEqual(all.map((socket) => socket.id).sort(), [a.id, b.id, c.id].sort());
    const fromC = all.find((socket) => socket.id === c.id)!;
    assert.equal(fromC.data.node, 'C');
    assert.ok(fromC.rooms.includes('fetch room'));
    const inRoom = await call<Fetched[]>(a, 'fetch', 'fetch room');
    assert.deepEqual(
      inRoom.map((socket) => socket.id),
      [c.id],
    );
  });

  test('serverSideEmit with an acknowledgement gets the answer of every other node', async () => {
    assert.deepEqual((await call<string[]>(on[0]!, 'ask nodes')).sort(), ['B', 'C']);
    assert.deepEqual((await call<string[]>(on[2]!, 'ask nodes')).sort(), ['A', 'B']);
  });

  test('a broadcast with acknowledgements collects the answers of the clients of every node', async () => {
    on.forEach((socket, i) => socket.on('question', (answer: (reply: string) => void) => answer(`client ${i}`)));
    try {
      assert.deepEqual((await call<string[]>(on[1]!, 'ask clients')).sort(), ['client 0', 'client 1', 'client 2']);
    } finally {
      for (const socket of on) socket.off('question');
    }
  });

  test('socketsJoin and socketsLeave act on every node', async () => {
    await call(on[2]!, 'sockets join', 'everyone');
    // The join reaches the other nodes through Redis, this test's next call directly: wait for it.
    await until(async () => (await call<Fetched[]>(on[0]!, 'fetch', 'everyone')).length === 3, 5000);
    const inRoom = nextOnEach(on, 'roll call');
    await call(on[0]!, 'emit', ['everyone'], [], 'roll call');
    await inRoom;
    await call(on[1]!, 'sockets leave', 'everyone');
    await until(async () => (await call<Fetched[]>(on[0]!, 'fetch', 'everyone')).length === 0, 5000);
  });

  test('1,000 broadcasts from one node arrive in order on every node', async () => {
    const sequences = on.map(() => [] as number[]);
    on.forEach((socket, j) => socket.on('seq', (i: number) => sequences[j]!.push(i)));
    try {
      await call(on[0]!, 'burst', 1000);
      await until(() => sequences.every((seq) => seq.length >= 1000), 20_000);
      const expected = Array.from({ length: 1000 }, (_, i) => i);
      for (const seq of sequences) assert.deepEqual(seq, expected);
    } finally {
      for (const socket of on) socket.off('seq');
    }
  });

  test('disconnectSockets from one node disconnects the clients of all (last: it ends the suite)', async () => {
    const gone = nextOnEach(on, 'disconnect');
    // Its answer may not make it out before the disconnection: not waited for.
    on[1]!.emit('disconnect all', () => undefined);
    assert.deepEqual(
      (await gone).map(([reason]) => reason),
      ['io server disconnect', 'io server disconnect', 'io server disconnect'],
    );
  });
});
