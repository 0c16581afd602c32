import { createServer } from 'node:http';
import { createAdapter as createOfficialAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server as OfficialServer } from 'socket.io';
import { Server as SwitchboardServer } from '../../src/server/index.js';
import { createAdapter } from '../../src/redis/index.js';
import type { BenchServer } from '../server/bench-server.js';
import { SocketIoImplId } from '../socketio/implementations.js';
import { BenchEvent } from '../socketio/protocol.js';
import { describeOfficial, listen } from '../socketio/servers.js';

/**
 * The rooms of the cluster benchmark: each node puts its clients in them in turn, and a broadcast
 * goes to all three, so every client gets it once and the adapter must publish one message for
 * several rooms.
 */
export const BENCH_ROOMS: readonly string[] = ['room-a', 'room-b', 'room-c'];

/** The pair of Redis connections an adapter needs: one to publish, one subscribed. */
async function redisPair(url: string): Promise<{
  pub: ReturnType<typeof createClient>;
  sub: ReturnType<typeof createClient>;
}> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  return { pub, sub };
}

/**
 * Starts one node of a cluster of `id`'s Socket.IO server on 127.0.0.1, with its Redis adapter on
 * `url` and channel prefix `key`: ours (`switchboard/redis` createAdapter) or the official
 * `@socket.io/redis-adapter`, both over node-redis, both with their defaults but for the transports.
 */
export async function startRedisNode(id: string, url: string, key: string): Promise<BenchServer> {
  const http = createServer();
  const { pub, sub } = await redisPair(url);
  let joined = 0;
  if (id === SocketIoImplId.Switchboard) {
    const io = new SwitchboardServer(http, { transports: ['websocket'], adapter: createAdapter(pub, sub, { key }) });
    // The same handlers on both implementations, written as an application would.
    io.on('connection', (socket) => {
      void socket.join(BENCH_ROOMS[joined++ % BENCH_ROOMS.length]!);
      socket.on(BenchEvent.Broadcast, (data: unknown) => io.to([...BENCH_ROOMS]).emit(BenchEvent.Broadcast, data));
    });
    return {
      port: await listen(http),
      connections: () => Math.max(io.sockets.sockets.size, io.engine.clientsCount),
      details: 'src/server with src/redis createAdapter on node-redis, default options',
      close: () => io.close(),
    };
  }
  if (id === SocketIoImplId.Official) {
    const io = new OfficialServer(http, {
      transports: ['websocket'],
      serveClient: false,
      adapter: createOfficialAdapter(pub, sub, { key }),
    });
    io.on('connection', (socket) => {
      void socket.join(BENCH_ROOMS[joined++ % BENCH_ROOMS.length]!);
      socket.on(BenchEvent.Broadcast, (data: unknown) => io.to([...BENCH_ROOMS]).emit(BenchEvent.Broadcast, data));
    });
    return {
      port: await listen(http),
      connections: () => Math.max(io.sockets.sockets.size, io.engine.clientsCount),
      details: `${describeOfficial()}, @socket.io/redis-adapter on node-redis, default options`,
      close: () => new Promise((resolve) => void io.close(() => resolve())),
    };
  }
  throw new Error(`unknown Socket.IO implementation ${id}`);
}
