/**
 * Faults: a Redis that dies and comes back, and a node that is SIGKILLed. Uses its own
 * redis-server (on a free port, no persistence), which it alone stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { skipUnlessReachable, uniqueName, untilCount } from '../ecosystem/services.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { call, startPairOnPrivateRedis, type ClusterOnPrivateRedis, type PrivateRedis } from './helpers.js';

// The shared Redis tells whether this machine has one; the test runs its own.
const skip = await skipUnlessReachable('Redis', 6379);
const REQUESTS_TIMEOUT = 1500;

describe('Redis faults', { skip }, () => {
  let cluster: ClusterOnPrivateRedis;
  let redis: PrivateRedis;
  let onA: ClientSocket;
  let onB: ClientSocket;

  before(async () => {
    cluster = await startPairOnPrivateRedis({ KEY: uniqueName('faults'), REQUESTS_TIMEOUT: String(REQUESTS_TIMEOUT) });
    ({ redis } = cluster);
    onA = cluster.on[0]!;
    onB = cluster.on[1]!;
  });

  after(async () => {
    await cluster?.stop();
  });

  test('while Redis is down, broadcasts are dropped and counted, requests fail after requestsTimeout; then all recovers', async () => {
    await redis.kill();
    // Both nodes notice (they report it), and keep serving their own clients.
    await Promise.all(cluster.nodes.map((node) => node.waitForOutput(/redis-error: /)));
    const local = waitFor(onA, 'during outage');
    await call(onA, 'emit', [], [], 'during outage');
    await local;
    // Dropped at once when the client already knows Redis is away; in the moment after it reported
    // the lost socket and before it stops calling itself ready, the publish fails on the closed socket.
    await cluster.nodes[0]!.waitForOutput(/publish-failure: Error: (Redis is unreachable|Socket closed unexpectedly)/);
    assert.ok((await call<number>(onA, 'publish failures')) >= 1);
    await assert.rejects(call(onA, 'fetch', null), /Redis did not answer within 1500 ms/);
    await assert.rejects(call(onB, 'ask nodes'), /Redis did not answer within 1500 ms/);

    await redis.restart();
    // The count comes from the subscriptions: both nodes subscribed again by themselves.
    await untilCount(() => call<number>(onA, 'server count').catch(() => -1), 2, 15_000);
    await untilCount(() => call<number>(onB, 'server count').catch(() => -1), 2, 15_000);
    for (const [sender, receiver] of [
      [onA, onB],
      [onB, onA],
    ] as const) {
      const received = waitFor(receiver, 'after outage');
      await call(sender, 'emit', [], [], 'after outage');
      await received;
    }
    assert.deepEqual((await call<string[]>(onA, 'ask nodes')).sort(), ['B']);
    for (const node of cluster.nodes) {
      assert.equal(node.child.exitCode, null, 'the node is still running');
      assert.doesNotMatch(node.stdout(), /unhandled rejection/);
    }
  });

  test('fetchSockets does not wait for a node that was SIGKILLed', async () => {
    const gone = waitFor(onB, 'disconnect');
    await cluster.nodes[1]!.stop('SIGKILL');
    await gone;
    // Redis drops the dead node's subscriptions with its connection: it is no longer counted.
    const found = await withTimeout(
      call<{ id: string }[]>(onA, 'fetch', null),
      'fetchSockets',
      REQUESTS_TIMEOUT + 1000,
    );
    assert.deepEqual(
      found.map((socket) => socket.id),
      [onA.id],
    );
  });
});
