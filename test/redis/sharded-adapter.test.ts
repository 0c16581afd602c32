/**
 * `createShardedAdapter` (SSUBSCRIBE and SPUBLISH, Redis 7) across two of our nodes (node-redis
 * and ioredis) and an official socket.io node with the official sharded adapter, in their own
 * processes, on the same channel prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { REDIS_URL, nextOnEach, redisMajorVersion, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { call, startCluster, type Cluster } from './helpers.js';

const skip =
  (await skipUnlessReachable('Redis', 6379)) ||
  (process.env['CI'] !== 'true' && redisMajorVersion() < 7 && 'sharded pub/sub needs Redis 7 or later');

describe('createShardedAdapter beside the official sharded adapter', { skip }, () => {
  const prefix = uniqueName('sharded');
  let cluster: Cluster;
  let on: readonly ClientSocket[] = [];

  before(async () => {
    const settings = [
      { NAME: 'A', CLIENT: 'node-redis' },
      { NAME: 'B', CLIENT: 'ioredis' },
      { NAME: 'official', CLIENT: 'node-redis', NODE_KIND: 'official' },
    ];
    const env = { ADAPTER: 'sharded', KEY: prefix, REDIS_URL };
    cluster = await startCluster(env, settings);
    on = cluster.on;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('broadcasts from each node reach every client, to everyone and to a room of another node', async () => {
    for (const [i, sender] of on.entries()) {
      const received = nextOnEach(on, 'all');
      await call(sender, 'emit', [], [], 'all', i, Buffer.from([i]));
      for (const [n, bytes] of (await received) as [number, Buffer][]) {
        assert.equal(n, i);
        assert.deepEqual([...Buffer.from(bytes)], [i]);
      }
    }
    // Rooms have their own shard channel (`dynamic` mode): a node subscribes as it creates one.
    for (const [i, member] of on.entries()) await call(member, 'join', `room ${i}`);
    for (const [i, member] of on.entries()) {
      const sender = on[(i + 1) % on.length]!;
      const received = waitFor(member, 'room news');
      // The subscription to the room's channel was sent before the join's answer, but may not be in place yet.
      await until(async () => {
        await call(sender, 'emit', [`room ${i}`], [], 'room news', i);
        return Promise.race([
          received.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, 200, false)),
        ]);
      }, 5000);
      assert.deepEqual(await received, [i]);
    }
  });

  test('fetchSockets, serverSideEmit and broadcast acknowledgements across all three', async () => {
    for (const asker of on) {
      const found = await call<{ id: string }[]>(asker, 'fetch', null);
      assert.deepEqual(found.map((socket) => socket.id).sort(), on.map((socket) => socket.id).sort());
    }
    assert.deepEqual((await call<string[]>(on[0]!, 'ask nodes')).sort(), ['B', 'official']);
    assert.deepEqual((await call<string[]>(on[2]!, 'ask nodes')).sort(), ['A', 'B']);
    on.forEach((socket, i) => socket.on('question', (answer: (reply: number) => void) => answer(i)));
    for (const asker of on) assert.deepEqual((await call<number[]>(asker, 'ask clients')).sort(), [0, 1, 2]);
  });
});
