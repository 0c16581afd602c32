/**
 * `createStreamsAdapter` at its edges, one in-process server on the shared Redis with an official
 * client: foreign entries and messages, operations flagged `local` (which skip the stream), and
 * recovery requests it cannot vouch for.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { createClient } from 'redis';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createStreamsAdapter, type StreamsRedisAdapter } from '../../src/redis/index.js';
import { Server, type Socket } from '../../src/server/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName, untilCount } from '../ecosystem/services.js';
import { until, waitFor } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('createStreamsAdapter at its edges', { skip }, () => {
  const key = uniqueName('streams-edges');
  const sessionKeyPrefix = `${key}:session:`;
  const redis = createClient({ url: REDIS_URL });
  const http = createServer();
  const clients: ClientSocket[] = [];
  let io: Server;
  let adapter: StreamsRedisAdapter;
  let url: string;

  /** Connects a client (with `auth`, if given) and resolves with both ends once connected. */
  async function connected(auth?: Record<string, string>): Promise<{ client: ClientSocket; socket: Socket }> {
    const serverSide = waitFor<[Socket]>(io, 'connection');
    const client = connect(url, { forceNew: true, transports: ['websocket'], ...(auth ? { auth } : {}) });
    clients.push(client);
    const [socket] = await serverSide;
    await waitFor(client, 'connect');
    return { client, socket };
  }

  /** Publishes `fields` as a stream entry, or `body` on the namespace's channel, and returns what was reported. */
  async function reported(send: () => Promise<unknown>): Promise<Error> {
    const invalid = waitFor<[Error]>(adapter, 'invalid-message');
    await send();
    const [error] = await invalid;
    assert.ok(error instanceof Error);
    return error;
  }

  const streamLength = async (): Promise<number> => Number(await redis.sendCommand(['XLEN', key]));

  before(async () => {
    await redis.connect();
    io = new Server(http, {
      adapter: createStreamsAdapter(redis, { streamName: key, channelPrefix: key, sessionKeyPrefix }),
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
    });
    adapter = io.of('/').adapter as StreamsRedisAdapter;
    await untilCount(() => adapter.serverCount(), 1);
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await io?.close();
    await redis.sendCommand(['DEL', key]).catch(() => undefined);
    await redis.quit().catch(() => undefined);
  });

  test('foreign stream entries and pub/sub messages are reported with what is wrong', async () => {
    const noType = await reported(() => redis.sendCommand(['XADD', key, '*', 'uid', 'x', 'nsp', '/']));
    assert.equal(noType.message, 'an entry without uid, nsp or type');
    const channel = `${key}#/#`;
    const notMessage = await reported(() => redis.publish(channel, Buffer.from(encode([1]))));
    assert.equal(notMessage.message, 'a message without uid or type');
    // 8: a response to fetchSockets, which must name its request.
    const noRequestId = await reported(() =>
      redis.publish(channel, Buffer.from(encode({ uid: 'x', type: 8, data: {} }))),
    );
    assert.equal(noRequestId.message, 'a response without a request id');
  });

  test('operations flagged local act on this node at once and add nothing to the stream', async () => {
    const { client, socket } = await connected();
    const before = await streamLength();
    const news = waitFor<[string]>(client, 'local news');
    io.local.emit('local news', 'here only');
    assert.deepEqual(await news, ['here only']);
    io.local.socketsJoin('lobby');
    assert.ok(socket.rooms.has('lobby'));
    io.local.socketsLeave('lobby');
    assert.ok(!socket.rooms.has('lobby'));
    const gone = waitFor<[string]>(client, 'disconnect');
    io.local.disconnectSockets();
    assert.equal((await gone)[0], 'io server disconnect');
    assert.equal(await streamLength(), before);
  });

  test('disconnectSockets goes through the stream and reaches the socket when read back', async () => {
    const { client } = await connected();
    const before = await streamLength();
    const gone = waitFor<[string]>(client, 'disconnect');
    io.disconnectSockets(true);
    assert.equal((await gone)[0], 'io server disconnect');
    assert.equal(await streamLength(), before + 1);
  });

  test('a recovery skips the malformed entries of the stream, reports each and replays the rest', async () => {
    const { client, socket: first } = await connected();
    const { client: witness } = await connected();
    const pid = first.pid;
    assert.ok(pid !== undefined);
    const firstNews = waitFor<[string, string]>(client, 'news');
    io.emit('news', 'before');
    // With recovery on, the offset (the entry's id) comes last.
    const [news, offset] = await firstNews;
    assert.equal(news, 'before');
    // Away without a word, so the session is kept; it comes back below, by hand.
    client.io.reconnection(false);
    client.io.engine.close();
    await until(async () => (await redis.exists(`${sessionKeyPrefix}${pid}`)) === 1, 3000, 'the session to be stored');
    const reports: string[] = [];
    const onInvalid = (error: Error): void => void reports.push(error.message);
    adapter.on('invalid-message', onInvalid);
    try {
      const entry = (data: string): Promise<unknown> =>
        redis.sendCommand(['XADD', key, '*', 'uid', 'foreign', 'nsp', '/', 'type', '3', 'data', data]);
      await entry('{not json');
      await entry('{}');
      await entry('{"packet":{"type":2,"data":["news","odd"]},"opts":{"rooms":"all"}}');
      const witnessed = waitFor<[string]>(witness, 'news');
      io.emit('news', 'missed');
      assert.equal((await witnessed)[0], 'missed');
      // Read live, only the entry that cannot be decoded is reported; the cluster adapter ignores the others.
      assert.equal(reports.length, 1);
      assert.match(reports[0]!, /JSON/);
      const back = connect(url, { forceNew: true, transports: ['websocket'], auth: { pid, offset } });
      clients.push(back);
      const replayed: string[] = [];
      back.on('news', (value: string) => replayed.push(value));
      const [socket] = await waitFor<[Socket]>(io, 'connection');
      await waitFor(back, 'connect');
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, first.id);
      assert.deepEqual(replayed, ['missed']);
      // Read again for the replay, each is skipped and reported.
      assert.deepEqual(reports.slice(1), [
        reports[0],
        'a broadcast without a packet or options',
        'a broadcast without a list of rooms',
      ]);
    } finally {
      adapter.off('invalid-message', onInvalid);
    }
  });

  test('a recovery it cannot vouch for starts a new session: bad offset, foreign or mismatched record, no offset to start from', async () => {
    const stored = (value: unknown): string => Buffer.from(encode(value)).toString('base64');
    await redis.set(`${sessionKeyPrefix}foreign`, stored({ whatever: 1 }));
    await redis.set(`${sessionKeyPrefix}mismatch`, stored({ sid: 'old', pid: 'someone-else', rooms: ['r'] }));
    await redis.set(`${sessionKeyPrefix}unsettled`, stored({ sid: 'old', pid: 'unsettled', rooms: ['r'] }));
    const attempts: Record<string, string>[] = [
      { pid: 'bad-offset', offset: 'not-an-entry-id' },
      { pid: 'foreign', offset: '0-0' },
      { pid: 'mismatch', offset: '0-0' },
      // No offset: the client never got a packet, and the record does not say where its rooms last changed.
      { pid: 'unsettled' },
    ];
    for (const auth of attempts) {
      const { client, socket } = await connected(auth);
      assert.equal(socket.recovered, false, JSON.stringify(auth));
      assert.notEqual(socket.id, 'old');
      assert.ok(!socket.rooms.has('r'));
      client.disconnect();
    }
    // Each record read was taken out of Redis.
    await until(async () => (await redis.exists([`${sessionKeyPrefix}foreign`, `${sessionKeyPrefix}mismatch`])) === 0);
    assert.equal(await redis.exists(`${sessionKeyPrefix}unsettled`), 0);
  });
});
