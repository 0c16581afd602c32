import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ServerSocket } from '../../src/server/index.js';
import { randomSource } from '../../src/client/backoff.js';
import { until, waitFor } from '../helpers/wait.js';
import { PAIRS, connected, startHarness } from './helpers.js';

type Ack = (...args: unknown[]) => void;

const RECONNECT = { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 100 };

for (const { kind, mode, name } of PAIRS) {
  describe(`reconnection and delivery against the ${name}`, () => {
    test('a restarted server: reconnect_attempt 1, 2…, then reconnect, with delays drawn by full jitter', async () => {
      const h = await startHarness(kind, mode);
      try {
        const client = h.client('/', RECONNECT);
        const draws: number[] = [];
        client.io[randomSource] = () => {
          const draw = Math.random();
          draws.push(draw);
          return draw;
        };
        await connected(client);
        const attempts: number[] = [];
        client.io.on('reconnect_attempt', (attempt) => attempts.push(attempt));
        const disconnected = waitFor<[string]>(client, 'disconnect');
        await h.stopServer();
        const [reason] = await disconnected;
        // The server closes a WebSocket cleanly; a held poll is cut.
        assert.ok(reason === 'transport close' || reason === 'transport error', reason);
        // Let at least one attempt fail against the closed port before the server comes back.
        await waitFor(client.io, 'reconnect_error');
        await h.restartServer();
        const [attempt] = await waitFor<[number]>(client.io, 'reconnect');
        await until(() => client.connected, 3000, 'the socket to connect again');
        assert.ok(attempts.length >= 2);
        assert.deepEqual(
          attempts,
          attempts.map((_, i) => i + 1),
        );
        assert.equal(attempt, attempts.at(-1));
        assert.equal(draws.length, attempts.length, 'one draw per delay');
      } finally {
        await h.close();
      }
    });

    test('retries: each emit is sent again until acknowledged, one in flight at a time, in order', async () => {
      const seen: string[] = [];
      const h = await startHarness(kind, mode, {}, (server) => {
        server.on('connection', (socket) => {
          const ignored = new Set<string>();
          socket.on('work', (job: string, ack: Ack) => {
            seen.push(job);
            // The first call of each job gets no answer: the client must send it again.
            if (ignored.has(job)) ack(`${job} done`);
            else ignored.add(job);
          });
          socket.on('never', () => seen.push('never'));
        });
      });
      try {
        const client = h.client('/', { retries: 3, ackTimeout: 300 });
        await connected(client);
        const results = await Promise.all([client.emitWithAck('work', 'a'), client.emitWithAck('work', 'b')]);
        assert.deepEqual(results, ['a done', 'b done']);
        assert.deepEqual(seen.slice(0, 2), ['a', 'a']);
        assert.ok(seen.lastIndexOf('a') < seen.indexOf('b'), `b waited for a: ${seen.join()}`);

        seen.length = 0;
        const once = h.client('/', { retries: 1, ackTimeout: 100 });
        await connected(once);
        await assert.rejects(once.emitWithAck('never'), { message: 'operation has timed out' });
        assert.deepEqual(seen, ['never', 'never'], 'the first try and one retry');
      } finally {
        await h.close();
      }
    });

    test('connection state recovery: missed events replayed in order, emits made while gone delivered', async () => {
      const received: number[] = [];
      const h = await startHarness(kind, mode, { connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
      try {
        const serverSide: ServerSocket[] = [];
        h.io.on('connection', (socket) => {
          serverSide.push(socket);
          socket.on('from-client', (n: number) => received.push(n));
        });
        const client = h.client('/', RECONNECT);
        const events: number[] = [];
        client.on('tick', (n: number) => events.push(n));
        await connected(client);
        assert.equal(client.recovered, false);
        h.io.emit('tick', 1);
        await until(() => events.length === 1, 3000, 'the first tick');

        // Hold the reconnection while the server emits to the missing client.
        client.io.reconnection(false);
        const disconnected = waitFor<[string]>(client, 'disconnect');
        serverSide[0]!.conn.close();
        await disconnected;
        await until(() => serverSide[0]!.disconnected, 3000, 'the server to see the client leave');
        h.io.emit('tick', 2);
        h.io.emit('tick', 3);
        client.emit('from-client', 1);
        client.emit('from-client', 2);

        client.io.reconnection(true);
        client.io.open();
        await waitFor(client, 'connect');
        assert.equal(client.recovered, true);
        assert.equal(client.id, serverSide[0]!.id, 'the same session');
        h.io.emit('tick', 4);
        await until(
          () => events.length >= 4,
          3000,
          () => `ticks, got ${events.join()}`,
        );
        assert.deepEqual(events, [1, 2, 3, 4]);
        await until(() => received.length === 2, 3000, 'the emits made while gone');
        assert.deepEqual(received, [1, 2]);
      } finally {
        await h.close();
      }
    });
  });
}
