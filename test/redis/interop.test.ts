/**
 * A mixed cluster on one Redis key: an official socket.io server with @socket.io/redis-adapter
 * and one of ours with switchboard/redis, each in its own process, plus our Emitter reaching both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Socket as ClientSocket } from 'socket.io-client';
import { Emitter } from '../../src/redis/index.js';
import { REDIS_URL, nextOnEach, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { call, startCluster, type Cluster } from './helpers.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('an official node and one of ours on the same Redis key', { skip }, () => {
  const key = uniqueName('mixed');
  let cluster: Cluster;
  let official: ClientSocket;
  let ours: ClientSocket;

  before(async () => {
    cluster = await startCluster({ KEY: key, REDIS_URL }, [
      { NAME: 'official', NODE_KIND: 'official', CLIENT: 'ioredis' },
      { NAME: 'ours', CLIENT: 'node-redis' },
    ]);
    official = cluster.on[0]!;
    ours = cluster.on[1]!;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('broadcasts cross both ways, to rooms too, binary included', async () => {
    for (const sender of [ours, official]) {
      const received = nextOnEach([ours, official], 'news');
      await call(sender, 'emit', [], [], 'news', { from: sender === ours ? 'ours' : 'official' }, Buffer.from('bin'));
      for (const [body, bytes] of (await received) as [unknown, Buffer][]) {
        assert.deepEqual(body, { from: sender === ours ? 'ours' : 'official' });
        assert.equal(Buffer.from(bytes).toString(), 'bin');
      }
    }
    await call(official, 'join', 'shared room');
    const toOfficial = waitFor(official, 'room news');
    await call(ours, 'emit', ['shared room'], [], 'room news', 1);
    assert.deepEqual(await toOfficial, [1]);
    await call(ours, 'join', 'our room');
    const toOurs = waitFor(ours, 'room news');
    await call(official, 'emit', ['our room'], [], 'room news', 2);
    assert.deepEqual(await toOurs, [2]);
  });

  test('each answers the other: fetchSockets, serverSideEmit acks, broadcast acks, socketsJoin', async () => {
    for (const asker of [ours, official]) {
      const found = await call<{ id: string; data: { node: string } }[]>(asker, 'fetch', null);
      assert.deepEqual(found.map((socket) => socket.id).sort(), [ours.id, official.id].sort());
      assert.deepEqual(found.map((socket) => socket.data.node).sort(), ['official', 'ours']);
    }
    assert.deepEqual(await call(ours, 'ask nodes'), ['official']);
    assert.deepEqual(await call(official, 'ask nodes'), ['ours']);
    ours.on('question', (answer: (reply: string) => void) => answer('ours'));
    official.on('question', (answer: (reply: string) => void) => answer('official'));
    assert.deepEqual((await call<string[]>(ours, 'ask clients')).sort(), ['official', 'ours']);
    assert.deepEqual((await call<string[]>(official, 'ask clients')).sort(), ['official', 'ours']);
    await call(ours, 'sockets join', 'joined by ours');
    // The join reaches the official node through Redis, this test's next call directly: wait for it.
    await until(async () => (await call<unknown[]>(official, 'fetch', 'joined by ours')).length === 2, 5000);
    const inRoom = nextOnEach([ours, official], 'joined');
    await call(official, 'emit', ['joined by ours'], [], 'joined');
    await inRoom;
  });

  test('the Emitter reaches the clients of both, on node-redis and on ioredis', async () => {
    const nodeRedis = createClient({ url: REDIS_URL });
    await nodeRedis.connect();
    const ioredis = new Redis(REDIS_URL);
    try {
      for (const client of [nodeRedis, ioredis]) {
        const emitter = new Emitter(client, { key });
        const everyone = nextOnEach([ours, official], 'from emitter');
        emitter.emit('from emitter', 'hi', Buffer.from([7]));
        for (const [text, bytes] of (await everyone) as [string, Buffer][]) {
          assert.equal(text, 'hi');
          assert.deepEqual([...Buffer.from(bytes)], [7]);
        }
        let strayOnOurs = false;
        ours.on('only official', () => (strayOnOurs = true));
        const toRoom = waitFor(official, 'only official');
        emitter.to('shared room').except('our room').emit('only official');
        await toRoom;
        const marker = waitFor(ours, 'marker');
        emitter.emit('marker');
        await marker;
        assert.equal(strayOnOurs, false);
        ours.off('only official');
        emitter.socketsJoin('by emitter');
        await until(async () => (await call<unknown[]>(ours, 'fetch', 'by emitter')).length === 2, 5000);
        const joined = nextOnEach([ours, official], 'in emitter room');
        emitter.to('by emitter').emit('in emitter room');
        await joined;
        emitter.socketsLeave('by emitter');
        assert.equal(emitter.publishFailures, 0);
      }
      const noteOnOurs = cluster.nodes[1]!.waitForOutput(/server note: \["ping",1\]/);
      const noteOnOfficial = cluster.nodes[0]!.waitForOutput(/server note: \["ping",1\]/);
      new Emitter(ioredis, { key }).of('/').serverSideEmit('server note', 'ping', 1);
      await Promise.all([noteOnOurs, noteOnOfficial]);
      const gone = nextOnEach([ours, official], 'disconnect');
      new Emitter(nodeRedis, { key }).disconnectSockets(true);
      assert.deepEqual(
        (await gone).map(([reason]) => reason),
        ['io server disconnect', 'io server disconnect'],
      );
    } finally {
      await nodeRedis.close();
      ioredis.disconnect();
    }
  });
});
