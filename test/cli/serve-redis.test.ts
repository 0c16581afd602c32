import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io, type Socket as ClientSocket, type SocketOptions, type ManagerOptions } from 'socket.io-client';
import { REDIS_URL, skipUnlessReachable } from '../ecosystem/services.js';
import { spawnCli, startServe, type ServeProcess } from '../helpers/processes.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { startRoundRobinProxy } from '../redis/fixtures/round-robin-proxy.js';
import { freePort, startRedis } from '../redis/helpers.js';
import { startSwitchProxy } from '../redis/switch-proxy.js';

const skip = await skipUnlessReachable('Redis', 6379);

/** The `skip` of a test that runs a `redis-server` of its own: a message when there is none, except under CI. */
function redisServerMissing(): string | false {
  if (process.env['CI'] === 'true') return false;
  const found = (process.env['PATH'] ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, 'redis-server')));
  return found ? false : 'redis-server is not installed (set CI=true to make this a failure)';
}

interface RoomsMessage {
  readonly room: string;
  readonly from: string;
  readonly text: string;
}

/** A room no other test run uses: every node of every run shares the Redis stream. */
function uniqueRoom(): string {
  return `test ${randomBytes(4).toString('hex')}`;
}

describe('switchboard serve --redis: nodes of one cluster (real processes, real Redis)', { skip }, () => {
  const nodes: ServeProcess[] = [];
  const clients: ClientSocket[] = [];

  before(async () => {
    nodes.push(...(await Promise.all([startServe(['--redis', REDIS_URL]), startServe(['--redis', REDIS_URL])])));
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
  });

  /** A Rooms page's connection to `base`, connected, in `room`. */
  async function joinRooms(
    base: string,
    name: string,
    room: string,
    options: Partial<ManagerOptions & SocketOptions> = {},
  ): Promise<ClientSocket> {
    const socket = io(new URL('rooms', base).href, {
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
      auth: { name },
      ...options,
    });
    clients.push(socket);
    await waitFor(socket, 'connect', 10_000);
    const joined = (await socket.timeout(5000).emitWithAck('join', { room })) as { ok: boolean };
    assert.equal(joined.ok, true);
    return socket;
  }

  test('says it is a node of the cluster, without the password of the URL', () => {
    for (const node of nodes)
      assert.match(node.stdout(), /cluster {4}a node of the cluster on Redis at redis:\/\/127\.0\.0\.1:6379/);
  });

  test('a Rooms message sent through one node reaches a page on the other', async () => {
    const room = uniqueRoom();
    const ada = await joinRooms(nodes[0]!.url, 'Ada', room);
    const grace = await joinRooms(nodes[1]!.url, 'Grace', room);
    const received = waitFor<[RoomsMessage]>(grace, 'message', 10_000);
    const sent = (await ada
      .timeout(5000)
      .emitWithAck('message', { id: randomBytes(8).toString('hex'), text: 'hi' })) as {
      ok: boolean;
    };
    assert.equal(sent.ok, true);
    const [message] = await received;
    assert.deepEqual({ room: message.room, from: message.from, text: message.text }, { room, from: 'Ada', text: 'hi' });
  });

  test('long-polling needs no sticky sessions: a round-robin proxy sends each request to the next node', async () => {
    const proxy = await startRoundRobinProxy(nodes.map((node) => Number(new URL(node.url).port)));
    try {
      const room = uniqueRoom();
      const ada = await joinRooms(nodes[0]!.url, 'Ada', room);
      const grace = await joinRooms(`${proxy.url}/`, 'Grace', room, { transports: ['polling'] });
      const received = waitFor<[RoomsMessage]>(grace, 'message', 10_000);
      await ada.timeout(5000).emitWithAck('message', { id: randomBytes(8).toString('hex'), text: 'over polling' });
      assert.equal((await received)[0].text, 'over polling');
      // Both nodes served the session's requests, and none was refused.
      assert.deepEqual(new Set(proxy.log.map((entry) => entry.backend)), new Set([0, 1]));
      assert.deepEqual(
        proxy.log.filter((entry) => entry.status !== 200),
        [],
      );
    } finally {
      await proxy.close();
    }
  });

  test('a page that drops recovers its session, and what it missed, on the other node', async () => {
    const proxy = await startSwitchProxy(Number(new URL(nodes[0]!.url).port));
    try {
      const room = uniqueRoom();
      const ada = await joinRooms(nodes[1]!.url, 'Ada', room);
      const grace = await joinRooms(`${proxy.url}/`, 'Grace', room, { reconnection: true, reconnectionDelay: 100 });
      // An offset first, so the recovery has a point to replay from.
      const first = waitFor<[RoomsMessage]>(grace, 'message', 10_000);
      await ada.timeout(5000).emitWithAck('message', { id: randomBytes(8).toString('hex'), text: 'before' });
      await first;
      proxy.setOpen(false);
      proxy.target(Number(new URL(nodes[1]!.url).port));
      proxy.cutAll();
      await waitFor(grace, 'disconnect', 5000);
      await ada.timeout(5000).emitWithAck('message', { id: randomBytes(8).toString('hex'), text: 'missed' });
      const missed = waitFor<[RoomsMessage]>(grace, 'message', 10_000);
      proxy.setOpen(true);
      await waitFor(grace, 'connect', 10_000);
      assert.equal(grace.recovered, true);
      assert.equal((await missed)[0].text, 'missed');
    } finally {
      await proxy.close();
    }
  });
});

describe('switchboard serve --redis: Redis going away after the start', { skip: redisServerMissing() }, () => {
  test('the node keeps serving, says once that Redis is lost, and when it is back', async () => {
    const redis = await startRedis();
    const node = await startServe(['--redis', redis.url]);
    try {
      await redis.kill();
      await until(
        () => /Lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ \(.+\); retrying/.test(node.stderr()),
        10_000,
        'the loss to be reported',
      );
      assert.equal((await fetch(node.url)).status, 200);
      await redis.restart();
      await until(
        () => /Connected to Redis at redis:\/\/127\.0\.0\.1:\d+ again/.test(node.stderr()),
        15_000,
        'the reconnection to be reported',
      );
      assert.equal(node.stderr().match(/Lost the connection/g)?.length, 1, node.stderr());
      assert.equal((await node.stop('SIGTERM')).code, 0);
    } finally {
      node.kill();
      await redis.kill();
    }
  });
});

describe('switchboard serve --redis: a Redis it cannot use', () => {
  async function failure(url: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const cli = spawnCli(['serve', '--port', '0', '--redis', url]);
    try {
      const { code } = await withTimeout(cli.exited, 'serve to give up', 20_000);
      return { code, stderr: cli.stderr(), stdout: cli.stdout() };
    } finally {
      cli.kill();
    }
  }

  test('nothing listening there: a clear message and the exit code of a failed serve', async () => {
    const port = await freePort();
    const result = await failure(`redis://127.0.0.1:${port}`);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^switchboard serve: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    assert.doesNotMatch(result.stdout, /listening/);
  });

  test('the password of the URL is never printed', async () => {
    const port = await freePort();
    const result = await failure(`redis://user:s3cret-word@127.0.0.1:${port}`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(result.stderr, /s3cret-word/);
  });

  test('not a Redis URL: a usage error naming the form expected', async () => {
    const result = await failure('http://127.0.0.1:6379');
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /--redis must be a URL like redis:\/\/127\.0\.0\.1:6379, got "http:\/\/127\.0\.0\.1:6379"/,
    );
  });
});
