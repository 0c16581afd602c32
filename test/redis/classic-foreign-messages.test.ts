/**
 * What the classic adapter (`createAdapter`) does with what other publishers put on its channels:
 * malformed requests, responses and broadcasts become `invalid-message` events naming what is
 * wrong; the kinds it ignores are skipped silently; an official node's room queries are answered.
 * One in-process server on the shared Redis, and a raw client playing the foreign publisher.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decode, encode } from '@msgpack/msgpack';
import { createClient } from 'redis';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createAdapter, type RedisAdapter } from '../../src/redis/index.js';
import { Server } from '../../src/server/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName, untilCount } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('createAdapter and foreign messages', { skip }, () => {
  const key = uniqueName('foreign');
  const request = `${key}-request#/#`;
  const response = `${key}-response#/#`;
  const broadcast = `${key}#/#`;
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  const raw = pub.duplicate();
  const listener = pub.duplicate();
  const http = createServer();
  let io: Server;
  let adapter: RedisAdapter;
  let client: ClientSocket | undefined;

  before(async () => {
    await Promise.all([pub.connect(), sub.connect(), raw.connect(), listener.connect()]);
    io = new Server(http, { adapter: createAdapter(pub, sub, { key, publishOnSpecificResponseChannel: true }) });
    adapter = io.of('/').adapter as RedisAdapter;
    // Subscribed once Redis counts this node on the request channel.
    await untilCount(() => adapter.serverCount(), 1);
    io.on('connection', (socket) => socket.join(['lobby', 42]));
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
    await waitFor(client, 'connect');
    await until(() => adapter.rooms.has(42), 3000, 'the client to join its rooms');
  });

  after(async () => {
    client?.disconnect();
    await io?.close();
    await Promise.allSettled([pub.quit(), sub.quit(), raw.quit(), listener.quit()]);
  });

  /** Publishes `body` (JSON text, or MessagePack for anything else) and returns the error it was reported with. */
  async function reported(channel: string, body: unknown): Promise<string> {
    const invalid = waitFor<[Error]>(adapter, 'invalid-message');
    await raw.publish(channel, typeof body === 'string' ? body : Buffer.from(encode(body)));
    const [error] = await invalid;
    assert.ok(error instanceof Error);
    return error.message;
  }

  test('malformed requests are reported with what is wrong', async () => {
    const cases: [unknown, string][] = [
      [[1, 2], 'a request that is not an object'],
      ['{"type":0,"requestId":5}', 'a request id that is not a string'],
      ['{"type":1,"requestId":"r","rooms":"lobby"}', 'a query with an invalid list of rooms'],
      ['{"type":0}', 'no requestId'],
      ['{"type":2,"opts":{"rooms":[]},"rooms":"lobby"}', 'a join or leave request without a list of rooms'],
      ['{"type":3,"opts":{"rooms":"lobby"},"rooms":[]}', 'options without a list of rooms'],
      ['{"type":4,"opts":{"rooms":[],"except":[{}]}}', 'options with an invalid list of excluded rooms'],
      ['{"type":6,"data":"hello"}', 'a server-side emit without arguments'],
      ['{"type":7,"packet":{"data":[]},"opts":{"rooms":[]},"requestId":"r"}', 'a packet without a type'],
      ['{"type":42}', 'a request of unknown type 42'],
    ];
    for (const [body, message] of cases) assert.equal(await reported(request, body), message, JSON.stringify(body));
  });

  test('malformed responses and broadcasts are reported with what is wrong', async () => {
    assert.equal(await reported(response, [1]), 'a response that is not an object');
    assert.equal(await reported(response, '{"requestId":7}'), 'no requestId');
    assert.equal(
      await reported(response, '{"requestId":"r","type":8,"clientCount":"3"}'),
      'a client count that is not a number',
    );
    assert.equal(
      await reported(response, '{"requestId":"r","sockets":[{"id":"s","rooms":[]}]}'),
      'a socket description without id, rooms or handshake',
    );
    assert.equal(await reported(broadcast, { uid: 'x' }), 'a broadcast that is not [uid, packet, opts]');
    assert.equal(
      await reported(broadcast, ['x', { type: 2, data: ['e'] }, { rooms: [], except: 'a' }]),
      'options with an invalid list of excluded rooms',
    );
  });

  test('the per-socket requests, answers to requests never sent and other namespaces are skipped silently', async () => {
    const invalid: string[] = [];
    const onInvalid = (error: Error): void => void invalid.push(error.message);
    adapter.on('invalid-message', onInvalid);
    try {
      // Messages on one subscriber connection arrive in order: the marker comes after all of these.
      await raw.publish(request, '{"type":2,"sid":"s","room":"lobby"}');
      await raw.publish(request, '{"type":4,"sid":"s","close":true}');
      await raw.publish(response, '{"requestId":"r","rooms":["lobby"]}');
      await raw.publish(response, '{"requestId":"r","sockets":["s"]}');
      await raw.publish(broadcast, Buffer.from(encode(['x', { type: 2, nsp: '/other', data: ['e'] }, { rooms: [] }])));
      await raw.publish(broadcast, Buffer.from(encode({ marker: true })));
      await until(() => invalid.length > 0, 5000, 'the marker to be reported');
      assert.deepEqual(invalid, ['a broadcast that is not [uid, packet, opts]']);
    } finally {
      adapter.off('invalid-message', onInvalid);
    }
  });

  test("an official node's room and socket queries are answered on its own response channel", async () => {
    const id = client!.id!;
    const answers: unknown[] = [];
    const channel = `${response}official#`;
    await listener.subscribe(channel, (message) => answers.push(decode(message)), true);
    try {
      // Its own queries (same uid) are left to the others.
      await raw.publish(request, JSON.stringify({ uid: adapter.uid, type: 1, requestId: 'own' }));
      await raw.publish(request, JSON.stringify({ uid: 'official', type: 1, requestId: 'q1' }));
      await raw.publish(request, JSON.stringify({ uid: 'official', type: 0, requestId: 'q2', rooms: ['lobby'] }));
      await until(
        () => answers.length >= 2,
        5000,
        () => `two answers, got ${JSON.stringify(answers)}`,
      );
      assert.deepEqual(answers, [
        { requestId: 'q1', rooms: [id, 'lobby', 42] },
        { requestId: 'q2', sockets: [id] },
      ]);
    } finally {
      await listener.unsubscribe(channel);
    }
  });

  test('a broadcast from a sender that names no namespace is for the main one; a numeric room matches its channel', async () => {
    const received = waitFor<unknown[]>(client!, 'news');
    await raw.publish(
      `${broadcast}42#`,
      Buffer.from(encode(['x', { type: 2, data: ['news', 'to 42'] }, { rooms: [42] }])),
    );
    assert.deepEqual(await received, ['to 42']);
  });
});
