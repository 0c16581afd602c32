/**
 * `createStreamsAdapter`: connection state recovery on any node. Nodes run in their own
 * processes on a real Redis; an official socket.io-client goes through a TCP proxy the test
 * switches from one node to another, so that it comes back to a node it was never connected to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { call, startCluster, TWO_NODES, type Cluster, type NodeProcess } from './helpers.js';
import { startSwitchProxy, type SwitchProxy } from './switch-proxy.js';

const skip = await skipUnlessReachable('Redis', 6379);
const RECOVERY_MS = 3000;
const MAX_LEN = 200;

type Redis = ReturnType<typeof createClient>;

/** A client through `proxy` that reconnects quickly, keeping its session id and offset. */
function recoveringClient(proxy: SwitchProxy, clients: ClientSocket[]): ClientSocket {
  const socket = connectClient(proxy.url, {
    forceNew: true,
    transports: ['websocket'],
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
  });
  clients.push(socket);
  return socket;
}

/** The values of `event` a socket receives, in order. */
function record(socket: ClientSocket, event: string): unknown[] {
  const got: unknown[] = [];
  socket.on(event, (value: unknown) => got.push(value));
  return got;
}

/**
 * Cuts `client`'s connection and keeps it away until its session is stored in Redis and `meanwhile`
 * has run, then lets it reconnect through the proxy, now pointing at `port`.
 */
async function dropAndReturn(
  client: ClientSocket,
  proxy: SwitchProxy,
  port: number,
  sessions: () => Promise<number>,
  meanwhile: () => Promise<void>,
): Promise<void> {
  proxy.setOpen(false);
  proxy.target(port);
  const gone = waitFor(client, 'disconnect');
  proxy.cutAll();
  await gone;
  await until(
    async () => (await sessions()) === 1,
    5000,
    () => 'the session to be stored',
  );
  await meanwhile();
  const back = waitFor(client, 'connect', 10_000);
  proxy.setOpen(true);
  await back;
}

function portOf(node: NodeProcess): number {
  return Number(new URL(node.url).port);
}

describe('createStreamsAdapter: recovery on another node', { skip }, () => {
  const key = uniqueName('streams');
  const sessionPrefix = `${key}:session:`;
  let cluster: Cluster;
  let redis: Redis;
  let proxy: SwitchProxy;
  let onA: ClientSocket;
  let onB: ClientSocket;
  const sessions = async (): Promise<number> => (await redis.keys(`${sessionPrefix}*`)).length;

  before(async () => {
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
    const env = {
      KEY: key,
      REDIS_URL,
      ADAPTER: 'streams',
      SESSION_PREFIX: sessionPrefix,
      MAX_LEN: String(MAX_LEN),
      RECOVERY_MS: String(RECOVERY_MS),
    };
    cluster = await startCluster(env, TWO_NODES);
    onA = cluster.on[0]!;
    onB = cluster.on[1]!;
    proxy = await startSwitchProxy(portOf(cluster.nodes[0]!));
  });

  after(async () => {
    await proxy?.close();
    await cluster?.stop();
    await redis?.del(key).catch(() => undefined);
    await redis?.close();
  });

  test('a client back on another node gets every packet it missed, in order, once, and is recovered', async () => {
    const client = recoveringClient(proxy, cluster.clients);
    await waitFor(client, 'connect');
    assert.equal(client.recovered, false);
    const seq = record(client, 'seq');
    const fromA = record(client, 'from A');
    const first = waitFor(client, 'seq');
    await call(onB, 'emit', [], [], 'seq', 0);
    await first;
    const sidBefore = client.id;

    await dropAndReturn(client, proxy, portOf(cluster.nodes[1]!), sessions, async () => {
      for (let i = 1; i <= 20; i++) await call(onB, 'emit', [], [], 'seq', i);
      for (let i = 1; i <= 5; i++) await call(onA, 'emit', [], [], 'from A', i);
    });
    assert.equal(client.recovered, true);
    assert.equal(client.id, sidBefore, 'the same socket id');
    assert.deepEqual(
      seq,
      Array.from({ length: 21 }, (_, i) => i),
    );
    assert.deepEqual(fromA, [1, 2, 3, 4, 5]);
    assert.equal(await sessions(), 0, 'a session is used once');

    // Live again, on B: one more from each node arrives once, after the replay.
    const live = waitFor(client, 'seq');
    await call(onA, 'emit', [], [], 'seq', 21);
    await live;
    const marker = waitFor(client, 'marker');
    await call(onB, 'emit', [], [], 'marker');
    await marker;
    assert.deepEqual(seq.slice(-2), [20, 21]);
    assert.equal(seq.length, 22);
    client.disconnect();
  });

  test('rooms and data come back too; packets for other rooms are not replayed', async () => {
    const client = recoveringClient(proxy, cluster.clients);
    proxy.target(portOf(cluster.nodes[1]!));
    await waitFor(client, 'connect');
    await call(client, 'join', 'blue');
    const news = record(client, 'news');
    const first = waitFor(client, 'news');
    await call(onA, 'emit', ['blue'], [], 'news', 'blue 1');
    await first;
    await dropAndReturn(client, proxy, portOf(cluster.nodes[0]!), sessions, async () => {
      await call(onA, 'emit', ['red'], [], 'news', 'red');
      await call(onB, 'emit', ['blue'], [], 'news', 'blue 2');
      await call(onA, 'emit', [], ['blue'], 'news', 'not blue');
      await call(onA, 'emit', ['blue'], [], 'news', 'blue 3');
    });
    assert.equal(client.recovered, true);
    // Two nodes append to the stream over their own connections, so an emit from B that returned
    // first may still land after A's: the order across nodes is the stream's, not the calls'.
    assert.deepEqual([news[0], ...news.slice(1).sort()], ['blue 1', 'blue 2', 'blue 3']);
    const found = await call<{ id: string; rooms: string[]; data: { node: string } }[]>(onA, 'fetch', 'blue');
    assert.deepEqual(
      found.map((socket) => [socket.id, socket.data.node]),
      [[client.id, 'B']],
      'still in its room, with the data set on the first node',
    );
    client.disconnect();
  });

  test('after maxDisconnectionDuration the session is gone: a new one starts', async () => {
    const client = recoveringClient(proxy, cluster.clients);
    proxy.target(portOf(cluster.nodes[0]!));
    await waitFor(client, 'connect');
    const first = waitFor(client, 'seq');
    await call(onA, 'emit', [], [], 'seq', 'before');
    await first;
    const sidBefore = client.id;
    await dropAndReturn(client, proxy, portOf(cluster.nodes[1]!), sessions, async () => {
      await until(
        async () => (await sessions()) === 0,
        RECOVERY_MS + 3000,
        () => 'the session to expire',
      );
    });
    assert.equal(client.recovered, false);
    assert.notEqual(client.id, sidBefore);
    client.disconnect();
  });

  test('the stream is trimmed to about maxLen; a client whose offset was trimmed away is not recovered', async () => {
    const client = recoveringClient(proxy, cluster.clients);
    proxy.target(portOf(cluster.nodes[1]!));
    await waitFor(client, 'connect');
    const first = waitFor(client, 'seq');
    await call(onB, 'emit', [], [], 'seq', 'before');
    await first;
    await dropAndReturn(client, proxy, portOf(cluster.nodes[0]!), sessions, async () => {
      await call(onB, 'burst', 5 * MAX_LEN);
      await until(
        async () => (await redis.xLen(key)) >= MAX_LEN,
        5000,
        () => 'the burst to be written',
      );
    });
    const length = await redis.xLen(key);
    // `MAXLEN ~` trims whole nodes of the stream's radix tree (100 entries each by default).
    assert.ok(length <= MAX_LEN + 100, `the stream holds ${length} entries`);
    assert.equal(client.recovered, false);
    client.disconnect();
  });

  test('no node reported an unhandled rejection', () => {
    for (const node of cluster.nodes) assert.doesNotMatch(node.stdout(), /unhandled rejection/);
  });
});
