/**
 * `createStreamsAdapter` with others: an official node with `@socket.io/redis-streams-adapter` in
 * the same cluster (broadcasts, requests and recovery across the two), and a Redis that is
 * killed and restarted under our nodes (each resumes reading the stream).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import {
  call,
  startCluster,
  startPairOnPrivateRedis,
  type Cluster,
  type ClusterOnPrivateRedis,
  type PrivateRedis,
} from './helpers.js';
import { startSwitchProxy, type SwitchProxy } from './switch-proxy.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('an official Streams node and one of ours', { skip }, () => {
  const key = uniqueName('mixed_streams');
  const sessionPrefix = `${key}:session:`;
  let cluster: Cluster;
  let redis: ReturnType<typeof createClient>;
  let proxy: SwitchProxy;
  let onOfficial: ClientSocket;
  let onOurs: ClientSocket;

  before(async () => {
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    const env = { KEY: key, REDIS_URL, ADAPTER: 'streams', SESSION_PREFIX: sessionPrefix, RECOVERY_MS: '5000' };
    cluster = await startCluster(env, [
      { NAME: 'official', NODE_KIND: 'official', CLIENT: 'node-redis' },
      { NAME: 'ours', CLIENT: 'ioredis' },
    ]);
    onOfficial = cluster.on[0]!;
    onOurs = cluster.on[1]!;
    proxy = await startSwitchProxy(Number(new URL(cluster.nodes[0]!.url).port));
  });

  after(async () => {
    await proxy?.close();
    await cluster?.stop();
    await redis?.del(key).catch(() => undefined);
    await redis?.close();
  });

  test('broadcasts cross both ways, binary and rooms included; requests are answered both ways', async () => {
    for (const [sender, name] of [
      [onOurs, 'ours'],
      [onOfficial, 'official'],
    ] as const) {
      const received = Promise.all([waitFor(onOurs, 'news'), waitFor(onOfficial, 'news')]);
      await call(sender, 'emit', [], [], 'news', name, Buffer.from([1, 2]));
      for (const [text, bytes] of (await received) as unknown as [string, Buffer][]) {
        assert.equal(text, name);
        assert.deepEqual([...Buffer.from(bytes)], [1, 2]);
      }
    }
    await call(onOfficial, 'join', 'room');
    const toRoom = waitFor(onOfficial, 'room news');
    await call(onOurs, 'emit', ['room'], [], 'room news', 'hi');
    // With recovery on, each event carries its offset as a last argument.
    assert.equal((await toRoom)[0], 'hi');
    assert.deepEqual(await call(onOurs, 'ask nodes'), ['official']);
    assert.deepEqual(await call(onOfficial, 'ask nodes'), ['ours']);
    const found = await call<{ id: string }[]>(onOfficial, 'fetch', null);
    assert.deepEqual(found.map((socket) => socket.id).sort(), [onOurs.id, onOfficial.id].sort());
    onOurs.on('question', (answer: (reply: string) => void) => answer('ours'));
    onOfficial.on('question', (answer: (reply: string) => void) => answer('official'));
    assert.deepEqual((await call<string[]>(onOurs, 'ask clients')).sort(), ['official', 'ours']);
    assert.deepEqual((await call<string[]>(onOfficial, 'ask clients')).sort(), ['official', 'ours']);
  });

  test('a session recovers from the official node to ours and back', async () => {
    const client = connectClient(proxy.url, {
      forceNew: true,
      transports: ['websocket'],
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
    });
    cluster.clients.push(client);
    await waitFor(client, 'connect');
    const seq: unknown[] = [];
    client.on('seq', (value: unknown) => seq.push(value));
    const first = waitFor(client, 'seq');
    await call(onOfficial, 'emit', [], [], 'seq', 0);
    await first;
    let next = 1;
    for (const [to, sender] of [
      [cluster.nodes[1]!, onOfficial],
      [cluster.nodes[0]!, onOurs],
    ] as const) {
      proxy.setOpen(false);
      proxy.target(Number(new URL(to.url).port));
      const gone = waitFor(client, 'disconnect');
      proxy.cutAll();
      await gone;
      await until(
        async () => (await redis.keys(`${sessionPrefix}*`)).length === 1,
        5000,
        () => 'a stored session',
      );
      for (let i = 0; i < 5; i++) await call(sender, 'emit', [], [], 'seq', next++);
      const back = waitFor(client, 'connect', 10_000);
      proxy.setOpen(true);
      await back;
      assert.equal(client.recovered, true, `recovered on ${to === cluster.nodes[1] ? 'ours' : 'the official node'}`);
      assert.deepEqual(
        seq,
        Array.from({ length: next }, (_, i) => i),
      );
    }
    client.disconnect();
  });
});

describe('createStreamsAdapter when Redis restarts', { skip }, () => {
  let cluster: ClusterOnPrivateRedis;
  let redis: PrivateRedis;
  let onA: ClientSocket;
  let onB: ClientSocket;

  before(async () => {
    cluster = await startPairOnPrivateRedis({
      KEY: uniqueName('restart'),
      ADAPTER: 'streams',
      REQUESTS_TIMEOUT: '1500',
    });
    ({ redis } = cluster);
    onA = cluster.on[0]!;
    onB = cluster.on[1]!;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('while Redis is down a node still serves its own clients; afterwards each resumes reading the stream', async () => {
    const before = Promise.all([waitFor(onA, 'news'), waitFor(onB, 'news')]);
    await call(onB, 'emit', [], [], 'news', 'before');
    await before;
    await redis.kill();
    await Promise.all(cluster.nodes.map((node) => node.waitForOutput(/redis-error: /)));
    const local = waitFor(onA, 'during');
    await call(onA, 'emit', [], [], 'during');
    await local.catch((err: unknown) => {
      throw new Error(`${String(err)}\n${cluster.nodes[0]!.stdout()}`);
    });
    await cluster.nodes[0]!.waitForOutput(/publish-failure: /);

    await redis.restart();
    for (const [sender, receiver, name] of [
      [onA, onB, 'A to B'],
      [onB, onA, 'B to A'],
      [onA, onA, 'A to itself'],
    ] as const) {
      let got = false;
      receiver.on(name, () => (got = true));
      // The clients reconnect at their own pace: sent again until it arrives.
      await until(
        async () => {
          if (!got) await call(sender, 'emit', [], [], name).catch(() => undefined);
          return got;
        },
        15_000,
        () => `"${name}" after the restart`,
      );
    }
    for (const node of cluster.nodes) {
      assert.equal(node.child.exitCode, null, 'the node is still running');
      assert.doesNotMatch(node.stdout(), /unhandled rejection/);
    }
  });
});
