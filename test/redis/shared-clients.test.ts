/**
 * Adapters sharing one Redis client (two servers of one process given the same clients): each
 * wrapper's subscriptions are its own, so one letting go leaves the others subscribed, on
 * node-redis and on ioredis (which, unlike node-redis, keeps no listeners per channel).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Socket as ClientSocket } from 'socket.io-client';
import { createAdapter } from '../../src/redis/index.js';
import { RedisConnection, type RedisClient } from '../../src/redis/redis-client.js';
import { Server } from '../../src/server/index.js';
import {
  REDIS_URL,
  connectedClient,
  redisMajorVersion,
  skipUnlessReachable,
  uniqueName,
} from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);
const shardedSkip = process.env['CI'] !== 'true' && redisMajorVersion() < 7 && 'sharded pub/sub needs Redis 7 or later';

type Library = 'node-redis' | 'ioredis';
const LIBRARIES: readonly Library[] = ['node-redis', 'ioredis'];

/** A publishing client and a subscribing one of `library`, connected, and how to close both. */
async function clientPair(library: Library): Promise<{ pub: RedisClient; sub: RedisClient; close(): void }> {
  if (library === 'ioredis') {
    const pub = new Redis(REDIS_URL);
    const sub = pub.duplicate();
    return {
      pub: pub as unknown as RedisClient,
      sub: sub as unknown as RedisClient,
      close: () => [pub, sub].forEach((client) => client.disconnect()),
    };
  }
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    pub: pub as unknown as RedisClient,
    sub: sub as unknown as RedisClient,
    close: () => [pub, sub].forEach((client) => client.destroy()),
  };
}

/** Where the wrappers report client errors: collected, and checked to be none at the end. */
const errors: Error[] = [];
const report = (err: Error): void => {
  errors.push(err);
};

describe('RedisConnections sharing one client', { skip }, () => {
  for (const library of LIBRARIES) {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      test(
        `${library}, ${kind}: one of two letting go leaves the other subscribed; the last ends the subscription`,
        {
          skip: kind === 'shard' && shardedSkip,
        },
        async () => {
          const clients = await clientPair(library);
          const publisher = new RedisConnection(clients.pub, 'pub', report);
          const [first, second] = [0, 1].map(() => new RedisConnection(clients.sub, 'sub', report)) as [
            RedisConnection,
            RedisConnection,
          ];
          try {
            // Redis' own count of this kind of subscription on the shared connection (CLIENT LIST).
            const id = String(await first.command(['CLIENT', 'ID']));
            const field = { channel: 'sub', pattern: 'psub', shard: 'ssub' }[kind];
            const held = async (): Promise<number> => {
              const line = String(await publisher.command(['CLIENT', 'LIST', 'ID', id]));
              return Number(new RegExp(`\\b${field}=(\\d+)`).exec(line)?.[1]);
            };
            const channel = uniqueName('shared');
            const subscribed = kind === 'pattern' ? `${channel}*` : channel;
            const received: [string[], string[]] = [[], []];
            const handlers = received.map((list) => (message: Buffer) => list.push(message.toString()));
            await first.subscribe(kind, [subscribed], handlers[0]!);
            await second.subscribe(kind, [subscribed], handlers[1]!);
            await first.unsubscribe(kind, [subscribed], handlers[0]!);
            // Again, by the wrapper that no longer holds it: the other's subscription is not its to end.
            await first.unsubscribe(kind, [subscribed], handlers[0]!);
            assert.equal(await held(), 1, 'Redis still holds the subscription');
            await publisher.publish(channel, 'after one let go', kind === 'shard');
            await until(() => received[1].length === 1, 3000, 'the message on the subscription still held');
            assert.deepEqual(received, [[], ['after one let go']]);

            await second.unsubscribe(kind, [subscribed], handlers[1]!);
            assert.equal(await held(), 0, 'Redis ended the subscription with its last holder');
            assert.deepEqual(errors, []);
          } finally {
            for (const connection of [publisher, first, second]) connection.dispose();
            clients.close();
          }
        },
      );
    }
  }
});

/** Starts a Socket.IO server of ours on a loopback port with the classic adapter over `pub` and `sub`. */
async function startServer(pub: RedisClient, sub: RedisClient, key: string): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key }) });
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe('two servers of one process sharing their Redis clients', { skip }, () => {
  for (const library of LIBRARIES) {
    test(`${library}: when one closes, the other still receives the cluster's broadcasts`, async () => {
      const shared = await clientPair(library);
      const other = await clientPair(library);
      const key = uniqueName('shared');
      const servers: Server[] = [];
      const clients: ClientSocket[] = [];
      try {
        const [closing, staying, sender] = await Promise.all([
          startServer(shared.pub, shared.sub, key),
          startServer(shared.pub, shared.sub, key),
          startServer(other.pub, other.sub, key),
        ]);
        servers.push(closing.io, staying.io, sender.io);
        const client = await connectedClient(staying.url, clients);
        const received: string[] = [];
        client.on('news', (text: string) => received.push(text));
        // Sent until it arrives: the adapters subscribe once their server has started.
        await until(
          () => {
            if (received.length === 0) sender.io.emit('news', 'before');
            return received.length > 0;
          },
          5000,
          'a first broadcast to reach the staying server',
        );
        await closing.io.close();
        // The closing server's UNSUBSCRIBE, had it been sent, went before this PING on the same connection.
        const probe = new RedisConnection(shared.sub, 'sub', report);
        try {
          await probe.command(['PING']);
        } finally {
          probe.dispose();
        }
        sender.io.emit('news', 'after');
        await until(() => received.includes('after'), 3000, 'the broadcast after the other server closed');
        assert.deepEqual(errors, []);
      } finally {
        for (const socket of clients) socket.disconnect();
        await Promise.all(servers.map((io) => io.close()));
        shared.close();
        other.close();
      }
    });
  }
});
