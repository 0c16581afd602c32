/**
 * Our own client (`switchboard/client`, Node entry) on a mixed cluster: one of our nodes and one
 * official socket.io node with @socket.io/redis-adapter, sharing a real Redis. Broadcasts, rooms,
 * acknowledgements across nodes and binary reach our clients on either node exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket as OfficialSocket } from 'socket.io-client';
import { io, type Socket } from '../../src/client-node/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { call, startCluster, type Cluster } from './helpers.js';

const skip = await skipUnlessReachable('Redis', 6379);

/** The cluster helpers take socket.io-client's type; ours has the same API. */
const asOfficial = (socket: Socket): OfficialSocket => socket as unknown as OfficialSocket;

describe('our client on a mixed cluster (ours + official socket.io)', { skip }, () => {
  let cluster: Cluster;
  const ours: Socket[] = [];

  before(async () => {
    cluster = await startCluster({ KEY: uniqueName('sb-client'), REDIS_URL }, [
      { NAME: 'ours', CLIENT: 'node-redis' },
      { NAME: 'official', NODE_KIND: 'official', CLIENT: 'ioredis' },
    ]);
    for (const node of cluster.nodes) {
      const socket = io(node.url, { forceNew: true, reconnection: false });
      ours.push(socket);
      await waitFor(socket, 'connect');
    }
  });

  after(async () => {
    for (const socket of ours) socket.disconnect();
    await cluster?.stop();
  });

  test('a broadcast from either node reaches our client on each node exactly once, binary intact', async () => {
    for (const [i, sender] of ours.entries()) {
      const received: unknown[][][] = ours.map(() => []);
      ours.forEach((socket, j) => socket.on(`news ${i}`, (...args: unknown[]) => received[j]!.push(args)));
      await call(asOfficial(sender), 'emit', [], [], `news ${i}`, 'from', i, Buffer.from([i, 7, 255]));
      await until(() => received.every((list) => list.length > 0), 5000, `news ${i} on every node`);
      // A marker emitted after it by the same node arrives after any duplicate would have.
      const markers = ours.map((socket) => waitFor(socket, `marker ${i}`));
      await call(asOfficial(sender), 'emit', [], [], `marker ${i}`);
      await Promise.all(markers);
      for (const list of received) {
        assert.equal(list.length, 1);
        const [text, n, bytes] = list[0] as [string, number, Buffer];
        assert.equal(text, 'from');
        assert.equal(n, i);
        assert.deepEqual([...bytes], [i, 7, 255]);
      }
    }
  });

  test('rooms span the nodes: a room joined on the official node gets what our node sends to it', async () => {
    const [onOurs, onOfficial] = ours as [Socket, Socket];
    await call(asOfficial(onOfficial), 'join', 'lobby');
    const got: string[] = [];
    onOurs.on('lobby news', () => got.push('ours'));
    onOfficial.on('lobby news', () => got.push('official'));
    const arrived = waitFor(onOfficial, 'lobby news');
    await call(asOfficial(onOurs), 'emit', ['lobby'], [], 'lobby news');
    await arrived;
    const marker = Promise.all(ours.map((socket) => waitFor(socket, 'after lobby')));
    await call(asOfficial(onOurs), 'emit', [], [], 'after lobby');
    await marker;
    assert.deepEqual(got, ['official']);
  });

  test('a broadcast with acknowledgements from our node collects the answers of our clients on both nodes', async () => {
    const [onOurs, onOfficial] = ours as [Socket, Socket];
    onOurs.on('question', (answer: (reply: string) => void) => answer('ours, on our node'));
    onOfficial.on('question', (answer: (reply: string) => void) => answer('ours, on the official node'));
    // The cluster's own socket.io-client clients, one per node, are asked too.
    for (const [i, socket] of cluster.on.entries())
      socket.on('question', (answer: (reply: string) => void) => answer(`official client ${i}`));
    const answers = await call<string[]>(asOfficial(onOurs), 'ask clients');
    assert.deepEqual([...answers].sort(), [
      'official client 0',
      'official client 1',
      'ours, on our node',
      'ours, on the official node',
    ]);
  });
});
