/**
 * `createStreamsAdapter` through a Redis outage: its own `redis-server` (on a free port, no
 * persistence) is killed and restarted under an in-process server with an official client.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createStreamsAdapter, type StreamsRedisAdapter } from '../../src/redis/index.js';
import { Server } from '../../src/server/index.js';
import { skipUnlessReachable, uniqueName, untilCount } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';
import { startRedis, type PrivateRedis } from './helpers.js';

// The shared Redis tells whether this machine has one; the test runs its own.
const skip = await skipUnlessReachable('Redis', 6379);

describe('createStreamsAdapter through a Redis outage', { skip }, () => {
  const key = uniqueName('streams-outage');
  const http = createServer();
  let redis: PrivateRedis;
  let client: ReturnType<typeof createClient>;
  let io: Server;
  let adapter: StreamsRedisAdapter;
  let socket: ClientSocket;

  before(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url, socket: { reconnectStrategy: 50 } });
    await client.connect();
    io = new Server(http, { adapter: createStreamsAdapter(client, { streamName: key, channelPrefix: key }) });
    adapter = io.of('/').adapter as StreamsRedisAdapter;
    await untilCount(() => adapter.serverCount(), 1);
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    socket = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
    await waitFor(socket, 'connect');
  });

  after(async () => {
    socket?.disconnect();
    await io?.close();
    await client?.disconnect().catch(() => undefined);
    await redis?.kill();
  });

  test('while Redis is away broadcasts reach this node’s clients at once; then the reader resumes', async () => {
    const reported = waitFor<[Error]>(adapter, 'redis-error', 10_000);
    await redis.kill();
    assert.ok((await reported)[0] instanceof Error);
    // The client reports the lost socket before it stops calling itself ready: a publish made in
    // between is attempted and fails as the socket closed, not as Redis being away.
    await until(() => !client.isReady, 5000, 'the Redis client to notice the outage');
    const failure = waitFor<[Error]>(adapter, 'publish-failure');
    const during = waitFor<[string]>(socket, 'during');
    io.emit('during', 'outage');
    assert.deepEqual(await during, ['outage']);
    assert.match((await failure)[0].message, /Redis is unreachable/);

    await redis.restart();
    await untilCount(() => adapter.serverCount().catch(() => -1), 1, 15_000);
    // Read back from the stream created again: the reader went on after its failed reads.
    const after = waitFor<[string]>(socket, 'after', 10_000);
    io.emit('after', 'outage');
    assert.deepEqual(await after, ['outage']);
  });
});
