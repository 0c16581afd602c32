/**
 * A WebSocket upgrade that lands on another node than the session's, through the Redis session
 * relay: two engines of this process on separate ports, each with its relay on the real Redis.
 * The receiving node answers the handshake and relays each message; the holder's session upgrades
 * over the relayed stream. Closes on either side, limits, refusals, and a holder that can no
 * longer publish.
 */
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { decode, encode } from '@msgpack/msgpack';
import { Socket as EngineClient } from 'engine.io-client';
import { createClient } from 'redis';
import { WebSocket as WsClient } from 'ws';
import type { EngineServerOptions, EngineSocket } from '../../src/engine/index.js';
import { EngineErrorCode } from '../../src/protocol/engine-io/index.js';
import {
  RedisSessionRelay,
  createSessionRelay,
  type RelayStream,
  type RelayStreamHandler,
} from '../../src/redis/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { RawWebSocket, openPolling, rawRequest, startEngine, type EngineFixture } from '../engine/helpers.js';
import { refusedUpgrade } from '../helpers/raw-http.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { startRedis } from './helpers.js';

const skip = await skipUnlessReachable('Redis', 6379);

type Redis = ReturnType<typeof createClient>;

/** What a relay keeps per stream and per request: all empty once nothing is under way. */
function relayState(relay: RedisSessionRelay): Record<'streams' | 'opening' | 'pending' | 'serving', number> {
  const own = relay as unknown as Record<'streams' | 'opening' | 'pending' | 'serving', Map<unknown, unknown>>;
  return { streams: own.streams.size, opening: own.opening.size, pending: own.pending.size, serving: own.serving.size };
}

const RELEASED = { streams: 0, opening: 0, pending: 0, serving: 0 };

/** Waits until each relay holds nothing for any stream or request. */
async function released(...relays: RedisSessionRelay[]): Promise<void> {
  await until(
    () => relays.every((relay) => isDeepStrictEqual(relayState(relay), RELEASED)),
    5000,
    () => `the relays to let go of everything, got ${JSON.stringify(relays.map(relayState))}`,
  );
}

describe('a WebSocket upgrade relayed to the node holding the session', { skip }, () => {
  const key = uniqueName('relayed-ws');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  /** Clients of the tests that cut a node off Redis: each has its own, quit at the end. */
  const own: Redis[] = [];

  before(async () => {
    await Promise.all([pub.connect(), sub.connect()]);
  });

  after(async () => {
    await Promise.allSettled([pub, sub, ...own].filter((client) => client.isOpen).map((client) => client.quit()));
  });

  /** Runs `body` with `a` holding sessions and `b` receiving upgrades; both closed afterwards. */
  async function withNodes(
    options: { a?: EngineServerOptions; b?: EngineServerOptions; clients?: [Redis, Redis]; clientsB?: [Redis, Redis] },
    body: (a: EngineFixture, b: EngineFixture, relayA: RedisSessionRelay, relayB: RedisSessionRelay) => Promise<void>,
  ): Promise<void> {
    const [pubA, subA] = options.clients ?? [pub, sub];
    const relayA = createSessionRelay(pubA, subA, { key });
    const relayB = createSessionRelay(...(options.clientsB ?? [pub, sub]), { key });
    const a = await startEngine({ ...options.a, sessionRelay: relayA });
    const b = await startEngine({ ...options.b, sessionRelay: relayB }).catch(async (err: unknown) => {
      await a.close();
      throw err;
    });
    try {
      await body(a, b, relayA, relayB);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  /** A polling session on `a` with a poll held, and the URL of its WebSocket on `b`. */
  async function heldPollOn(
    a: EngineFixture,
    b: EngineFixture,
  ): Promise<{ sid: string; socket: EngineSocket; held: ReturnType<typeof rawRequest>; url: string }> {
    const connection = a.nextConnection();
    const { sid } = await openPolling(a);
    const socket = await connection;
    const held = rawRequest(a.port, a.path(`EIO=4&transport=polling&sid=${sid}`));
    await until(() => socket.transport.writable, 3000, 'the poll to be held');
    return { sid, socket, held, url: `ws://127.0.0.1:${b.port}${b.path(`EIO=4&transport=websocket&sid=${sid}`)}` };
  }

  /**
   * A polling session on `a`, probed over a WebSocket of `b` (relayed, unless `b` is `a`): the
   * probe is answered and the held poll ended, the upgrade packet not sent yet.
   */
  async function probeOn(
    a: EngineFixture,
    b: EngineFixture,
  ): Promise<{ sid: string; socket: EngineSocket; client: RawWebSocket }> {
    const { sid, socket, held, url } = await heldPollOn(a, b);
    const client = await RawWebSocket.connect(url);
    client.send('2probe');
    assert.equal(await client.nextText(), '3probe');
    assert.equal((await held).body, '6', 'the held poll ends with a noop');
    return { sid, socket, client };
  }

  /**
   * A polling session on `a`, upgraded over a WebSocket of `b` (relayed, unless `b` is `a`): the
   * probe, then the upgrade packet.
   */
  async function upgradeOnOther(
    a: EngineFixture,
    b: EngineFixture,
  ): Promise<{ sid: string; socket: EngineSocket; client: RawWebSocket }> {
    const probed = await probeOn(a, b);
    const upgraded = waitFor(probed.socket, 'upgrade');
    probed.client.send('5');
    await upgraded;
    return probed;
  }

  /**
   * As {@link upgradeOnOther}, through a `ws` client, for what only a full client shows: its
   * negotiated extensions, its socket's backpressure. The caller terminates the client.
   */
  async function upgradeWsClientOnOther(
    a: EngineFixture,
    b: EngineFixture,
  ): Promise<{ socket: EngineSocket; client: WsClient }> {
    const { socket, held, url } = await heldPollOn(a, b);
    const client = new WsClient(url);
    try {
      await waitFor(client, 'open');
      const probe = waitFor<[Buffer]>(client, 'message');
      client.send('2probe');
      assert.equal(String((await probe)[0]), '3probe');
      await held;
      const upgraded = waitFor(socket, 'upgrade');
      client.send('5');
      await upgraded;
      return { socket, client };
    } catch (error) {
      client.terminate();
      throw error;
    }
  }

  test('the holder upgrades over the relayed WebSocket: text and binary both ways, in order', async () => {
    await withNodes({}, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      assert.equal(socket.transportName, 'websocket');

      const messages: (string | Buffer)[] = [];
      socket.on('message', (data) => messages.push(data));
      for (let i = 0; i < 20; i++) client.send(`4up ${i}`);
      client.send(Buffer.from([0, 1, 254, 255]));
      await until(
        () => messages.length === 21,
        3000,
        () => `21 messages on the holder, got ${messages.length}`,
      );
      assert.deepEqual(
        messages.slice(0, 20),
        Array.from({ length: 20 }, (_, i) => `up ${i}`),
      );
      assert.deepEqual([...(messages[20] as Buffer)], [0, 1, 254, 255]);

      for (let i = 0; i < 20; i++) socket.send(`down ${i}`);
      socket.send(Buffer.from([9, 8, 7]));
      for (let i = 0; i < 20; i++) assert.equal(await client.nextText(), `4down ${i}`);
      const binary = await client.next();
      assert.equal(binary.isBinary, true);
      assert.deepEqual([...binary.data], [9, 8, 7]);
    });
  });

  test("the heartbeat runs over the relay: the holder's pings reach the client, its pongs the holder", async () => {
    const heartbeat = { pingInterval: 200, pingTimeout: 1000 };
    await withNodes({ a: heartbeat, b: heartbeat }, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      for (let i = 0; i < 3; i++) {
        const answered = waitFor(socket, 'heartbeat');
        assert.equal(await client.nextText(), '2');
        client.send('3');
        await answered;
      }
      assert.equal(socket.readyState, 'open');
    });
  });

  test('the client closing its WebSocket closes the session on the holder', async () => {
    const channels: string[] = [];
    /** How many subscribers each node's channel has. */
    const subscribers = async (): Promise<number[]> => {
      const counts = (await pub.sendCommand(['PUBSUB', 'NUMSUB', ...channels])) as (string | number)[];
      return counts.filter((_, i) => i % 2 === 1).map(Number);
    };
    await withNodes({}, async (a, b, relayA, relayB) => {
      channels.push(`${key}#relay#${relayA.nodeId}`, `${key}#relay#${relayB.nodeId}`);
      const { socket, client } = await upgradeOnOther(a, b);
      assert.deepEqual([relayState(relayA).streams, relayState(relayB).streams], [1, 1]);
      // A stream has no channel of its own: each node listens on its one channel.
      assert.deepEqual(await subscribers(), [1, 1]);
      const closed = waitFor<[string]>(socket, 'close');
      client.close();
      assert.equal((await closed)[0], 'transport close');
      await released(relayA, relayB);
    });
    await until(async () => (await subscribers()).every((count) => count === 0), 3000, 'the nodes to unsubscribe');
  });

  test('the holder closing the session closes the client’s WebSocket', async () => {
    await withNodes({}, async (a, b, relayA, relayB) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      socket.close();
      // Closed as a local WebSocket is (no status code): the session said goodbye.
      assert.equal((await client.closed)[0], 1005);
      assert.equal((await closed)[0], 'forced close');
      await released(relayA, relayB);
    });
  });

  test('refused as locally: an unknown session, one already upgraded, one upgrading', async () => {
    await withNodes({}, async (a, b, relayA) => {
      const errors: Record<string, unknown>[] = [];
      b.engine.on('connection_error', (error) => errors.push({ code: error.code, ...error.context }));
      const upgrade = (sid: string) => refusedUpgrade(b.origin, b.path(`EIO=4&transport=websocket&sid=${sid}`));

      const unknown = await upgrade(`${relayA.nodeId}.nobody`);
      assert.equal(unknown.status, 400);
      assert.deepEqual(JSON.parse(unknown.body.toString()), { code: 1, message: 'Session ID unknown' });
      const gone = await upgrade(`${createSessionRelay(pub, sub, { key }).nodeId}.nobody`);
      assert.deepEqual(JSON.parse(gone.body.toString()), { code: 1, message: 'Session ID unknown' });

      const { sid, client } = await upgradeOnOther(a, b);
      const twice = await upgrade(sid);
      assert.equal(twice.status, 400);
      assert.deepEqual(JSON.parse(twice.body.toString()), { code: 3, message: 'Bad request' });
      assert.deepEqual(errors.at(-1), {
        code: EngineErrorCode.BadRequest,
        sid,
        relayed: true,
        name: 'TRANSPORT_UPGRADE_ERROR',
      });
      client.close();

      // While a relayed probe is under way, another upgrade (here, one to the holder itself) is refused.
      const connection = a.nextConnection();
      const { sid: other } = await openPolling(a);
      await connection;
      const probing = await RawWebSocket.connect(
        `ws://127.0.0.1:${b.port}${b.path(`EIO=4&transport=websocket&sid=${other}`)}`,
      );
      const local = await refusedUpgrade(a.origin, a.path(`EIO=4&transport=websocket&sid=${other}`));
      assert.equal(local.status, 400);
      probing.close();
    });
  });

  test('maxHttpBufferSize: the receiving node refuses a larger message (1009), the holder its own, and the session fails', async () => {
    await withNodes({ a: { maxHttpBufferSize: 100 }, b: { maxHttpBufferSize: 100 } }, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string, Error]>(socket, 'close');
      client.send('4' + 'x'.repeat(200));
      assert.equal((await client.closed)[0], 1009);
      const [reason, error] = await closed;
      assert.equal(reason, 'transport error');
      assert.match(String((error as Error & { description?: unknown }).description), /payload/i);
    });
    await withNodes({ a: { maxHttpBufferSize: 100 }, b: { maxHttpBufferSize: 1000 } }, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string, Error]>(socket, 'close');
      client.send('4' + 'x'.repeat(200));
      const [reason, error] = await closed;
      assert.equal(reason, 'transport error');
      assert.match(String((error as Error & { description?: unknown }).description), /Max payload size exceeded/);
      assert.deepEqual(await client.closed, [1011, 'Max payload size exceeded (201 > 100)']);
    });
  });

  test('a holder that can no longer publish: its session closes, and the receiving node closes the WebSocket once the relay is silent', async () => {
    const pubA = createClient({ url: REDIS_URL });
    const subA = pubA.duplicate();
    own.push(pubA, subA);
    await Promise.all([pubA.connect(), subA.connect()]);
    const heartbeat = { pingInterval: 300, pingTimeout: 300 };
    await withNodes({ a: heartbeat, b: heartbeat, clients: [pubA, subA] }, async (a, b, relayA, relayB) => {
      const failures: Error[] = [];
      relayA.on('publish-failure', (error) => failures.push(error));
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close', 5000);
      await pubA.disconnect();
      // The holder's next ping cannot be published: its stream, and so its session, closes.
      assert.equal((await closed)[0], 'transport error');
      assert.ok(failures.length > 0);
      assert.deepEqual(relayState(relayA), RELEASED);
      // The receiving node heard nothing since: it closes the WebSocket at pingInterval + pingTimeout,
      // telling the client why.
      assert.deepEqual(await withTimeout(client.closed, 'the relayed WebSocket to close', 5000), [
        1011,
        'the session relay went silent',
      ]);
      await released(relayB);
    });
  });

  test('Redis going down under an open relayed WebSocket: both sides close, the client hears why, nothing is left and nothing rejects', async () => {
    const redis = await startRedis();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const pair = (): [Redis, Redis] => {
      const first = createClient({ url: redis.url, socket: { reconnectStrategy: 100 } });
      const second = first.duplicate();
      for (const client of [first, second]) client.on('error', () => undefined);
      return [first, second];
    };
    const [clientsA, clientsB] = [pair(), pair()];
    try {
      await Promise.all([...clientsA, ...clientsB].map((client) => client.connect()));
      const heartbeat = { pingInterval: 300, pingTimeout: 300 };
      await withNodes({ a: heartbeat, b: heartbeat, clients: clientsA, clientsB }, async (a, b, relayA, relayB) => {
        const { socket, client } = await upgradeOnOther(a, b);
        const closed = waitFor<[string]>(socket, 'close', 5000);
        await redis.kill();
        await closed;
        // Whichever side noticed first (a pong or a ping that could not be published, or silence).
        assert.equal((await client.closed)[0], 1011);
        await released(relayA, relayB);
      });
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const client of [...clientsA, ...clientsB]) client.destroy();
      await redis.kill();
    }
  });

  test('a node that closes ends its relayed WebSockets on both sides', async () => {
    await withNodes({}, async (a, b, relayA, relayB) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      await b.close();
      assert.deepEqual(relayState(relayB), RELEASED);
      // As the WebSockets of this node's own sessions.
      assert.deepEqual(await client.closed, [1001, 'server shutting down']);
      assert.equal((await closed)[0], 'transport error');
      await released(relayA);
    });
    // The holder closing: its session's transport closes, and so does the client's WebSocket.
    await withNodes({}, async (a, b, relayA, relayB) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      await a.close();
      assert.deepEqual(relayState(relayA), RELEASED);
      assert.equal((await closed)[0], 'server shutting down');
      assert.equal((await client.closed)[0], 1005);
      await released(relayB);
    });
  });

  test('a holder that shuts down closes its relayed WebSockets as it closes its own: same code and reason', async () => {
    await withNodes({}, async (a, b, _relayA, relayB) => {
      // On the holder's own WebSockets and on relayed ones alike: an upgraded session, and one mid-upgrade.
      const direct = [(await upgradeOnOther(a, a)).client, (await probeOn(a, a)).client];
      const relayed = [(await upgradeOnOther(a, b)).client, (await probeOn(a, b)).client];
      await a.close();
      const [directUpgraded, directProbing, relayedUpgraded, relayedProbing] = await Promise.all(
        [...direct, ...relayed].map((client) => client.closed),
      );
      // No status, as official engine.io closes them (see the holder-closing case above).
      assert.equal(directUpgraded?.[0], 1005);
      assert.equal(directProbing?.[0], 1005);
      assert.deepEqual(relayedUpgraded, directUpgraded);
      assert.deepEqual(relayedProbing, directProbing);
      await released(relayB);
    });
  });

  test('both sides closing at once, and a client that leaves before the probe or mid-handshake, leave nothing behind', async () => {
    await withNodes({}, async (a, b, relayA, relayB) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor(socket, 'close');
      socket.close();
      client.close();
      await closed;
      await client.closed;
      await released(relayA, relayB);

      // A WebSocket that closes before the probe: the session stays on polling, and can upgrade later.
      const connection = a.nextConnection();
      const { sid } = await openPolling(a);
      const session = await connection;
      const early = await RawWebSocket.connect(
        `ws://127.0.0.1:${b.port}${b.path(`EIO=4&transport=websocket&sid=${sid}`)}`,
      );
      early.close();
      await early.closed;
      await released(relayA, relayB);
      assert.equal(session.readyState, 'open');
      await until(() => session.canUpgrade, 3000, 'the session to be able to upgrade again');

      // A client that sends its upgrade request and leaves before the answer.
      for (let i = 0; i < 5; i++) {
        const tcp = connectTcp(b.port, '127.0.0.1');
        await waitFor(tcp, 'connect');
        tcp.write(
          `GET ${b.path(`EIO=4&transport=websocket&sid=${sid}`)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
        // Left at once, or once the holder may have adopted the stream.
        if (i > 0) await until(() => relayState(relayA).streams === 1 || tcp.readableLength > 0, 1000).catch(() => {});
        tcp.destroy();
        await released(relayA, relayB);
      }
      assert.equal(session.readyState, 'open');
      await until(() => session.canUpgrade, 3000, 'the session to be able to upgrade again');
    });
  });

  test('a steady stream of packets both ways during the upgrade: each arrives once, in order', async () => {
    await withNodes({}, async (a, b, relayA, relayB) => {
      const connection = a.nextConnection();
      // The official client polls node a and upgrades on node b.
      const client = new EngineClient(`http://127.0.0.1:${a.port}`, {
        path: a.path('').slice(0, -1),
        transports: ['polling', 'websocket'],
        transportOptions: { websocket: { port: String(b.port) } },
      });
      const up: string[] = [];
      const down: string[] = [];
      const received: string[] = [];
      client.on('message', (data) => received.push(String(data)));
      let upgraded = false;
      let beforeSwitch = 0;
      client.on('upgrade', () => {
        upgraded = true;
        beforeSwitch = up.length;
      });
      try {
        const socket = await connection;
        const heard: string[] = [];
        socket.on('message', (data) => heard.push(String(data)));
        // Both sides send one packet every tick of a few ms, until well after the switch.
        let after = 0;
        await new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => {
            if (socket.readyState !== 'open') {
              clearInterval(timer);
              reject(new Error('the session closed'));
              return;
            }
            up.push(`up ${up.length}`);
            client.send(up.at(-1)!);
            down.push(`down ${down.length}`);
            socket.send(down.at(-1)!);
            if (upgraded && ++after === 50) {
              clearInterval(timer);
              resolve();
            }
          }, 2);
        });
        assert.equal(socket.transportName, 'websocket');
        assert.deepEqual([relayState(relayA).streams, relayState(relayB).streams], [1, 1], 'relayed through b');
        await until(
          () => heard.length >= up.length && received.length >= down.length,
          5000,
          () => `every packet, got ${heard.length}/${up.length} up, ${received.length}/${down.length} down`,
        );
        assert.ok(beforeSwitch > 0, 'packets were sent while polling and during the probe');
        assert.deepEqual(heard, up);
        assert.deepEqual(received, down);
      } finally {
        client.close();
      }
      await released(relayA, relayB);
    });
  });

  test('compress: a packet sent without compression goes uncompressed to a client with permessage-deflate', async () => {
    const deflate = { perMessageDeflate: { threshold: 0 } };
    await withNodes({ a: deflate, b: deflate }, async (a, b) => {
      const { socket, client } = await upgradeWsClientOnOther(a, b);
      try {
        assert.match(client.extensions, /permessage-deflate/);
        // The first byte of each frame as it came: RSV1 (0x40) marks a compressed message.
        const firstBytes: number[] = [];
        (client as unknown as { _socket: NodeJS.EventEmitter })._socket.on('data', (chunk: Buffer) =>
          firstBytes.push(chunk[0]!),
        );
        const next = (): Promise<string> => waitFor<[Buffer]>(client, 'message').then(([data]) => String(data));
        const text = 'compressible '.repeat(50);
        for (const compress of [false, true]) {
          firstBytes.length = 0;
          const message = next();
          socket.send(text, { compress });
          assert.equal(await message, `4${text}`);
          assert.equal((firstBytes[0]! & 0x40) !== 0, compress, `compress: ${compress}`);
        }
      } finally {
        client.terminate();
      }
    });
  });

  test('a client that reads too slowly: the holder hears of it (its volatile packets are dropped), and past maxBufferedAmount the receiving node closes it', async () => {
    const limits = { connectionLimits: { highWaterMark: 1024 * 1024, maxBufferedAmount: 4 * 1024 * 1024 } };
    await withNodes({ b: limits }, async (a, b, relayA, relayB) => {
      const { socket, client } = await upgradeWsClientOnOther(a, b);
      try {
        const clientSocket = (client as unknown as { _socket: NodeJS.ReadableStream })._socket;
        // Past the relay's own high-water mark (1 MiB in flight), the session is not writable until Redis took it.
        const big = 'x'.repeat(600 * 1024);
        socket.send(big);
        assert.equal(socket.writable, true);
        socket.send(big);
        assert.equal(socket.writable, false);
        await until(() => socket.writable, 5000, 'the relay to hand the packets on');

        clientSocket.pause();
        const chunk = 'x'.repeat(64 * 1024);
        // The client reads nothing: once its WebSocket on b backs up, a tells the session so.
        await until(
          () => {
            for (let i = 0; i < 8 && socket.writable; i++) socket.send(chunk);
            return !socket.writable;
          },
          20_000,
          'the session to hear that its client is backed up',
        );
        clientSocket.resume();
        await until(() => socket.writable, 20_000, 'the session to hear that its client caught up');

        // Backed up past the receiving node's maxBufferedAmount: it closes the WebSocket, and the session fails.
        clientSocket.pause();
        const closed = waitFor<[string, Error & { description?: unknown }]>(socket, 'close', 20_000);
        await until(
          () => {
            for (let i = 0; i < 8 && socket.readyState === 'open'; i++) socket.send(chunk);
            return socket.readyState !== 'open';
          },
          20_000,
          'the session to close',
        );
        const [reason, error] = await closed;
        assert.equal(reason, 'transport error');
        assert.match(String(error.description), /maxBufferedAmount/);
      } finally {
        client.terminate();
      }
      await released(relayA, relayB);
    });
  });
});

describe("createSessionRelay's streams at their edges", { skip }, () => {
  const key = uniqueName('relayed-ws-edges');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  const watcher = pub.duplicate();
  const relays: RedisSessionRelay[] = [];
  const live = new AbortController().signal;

  /** A relay on the shared clients whose engine takes streams with `streams`, subscribed when it resolves. */
  async function serving(streams?: RelayStreamHandler, streamHighWaterMark?: number): Promise<RedisSessionRelay> {
    const relay = createSessionRelay(
      pub,
      sub,
      streamHighWaterMark === undefined ? { key } : { key, streamHighWaterMark },
    );
    relays.push(relay);
    relay.serve(() => Promise.resolve(undefined), streams);
    const channel = `${key}#relay#${relay.nodeId}`;
    // The one ping that reaches the relay is an invalid message: heard before the relay is handed over.
    const pinged = waitFor(relay, 'invalid-message');
    await until(async () => (await pub.publish(channel, 'ping')) === 1, 3000, `${channel} to be subscribed`);
    await pinged;
    return relay;
  }

  /** Records what the listener of `stream` hears. */
  function listen(stream: RelayStream): string[] {
    const heard: string[] = [];
    stream.listener = {
      onMessage: (message, compress) =>
        heard.push(
          `message ${typeof message === 'string' ? message : [...message].join()}${compress === false ? ' uncompressed' : ''}`,
        ),
      onCongestion: (congested) => heard.push(`congested ${congested}`),
      onDrain: () => heard.push('drain'),
      onClose: (error) => heard.push(`close ${String(error)}`),
    };
    return heard;
  }

  before(async () => {
    await Promise.all([pub.connect(), sub.connect(), watcher.connect()]);
  });

  after(async () => {
    for (const relay of relays) relay.close();
    await Promise.allSettled([pub.quit(), sub.quit(), watcher.quit()]);
  });

  test('a node that takes no streams refuses with "Session ID unknown", one whose engine throws with "Bad request"', async () => {
    const none = await serving();
    const throwing = await serving(() => {
      throw new Error('engine failure');
    });
    const requester = await serving();
    assert.deepEqual(await requester.open(`${none.nodeId}.s`, live), { code: 1 });
    assert.deepEqual(await requester.open(`${throwing.nodeId}.s`, live), { code: 3 });
    assert.equal(await requester.open('no-node-id', live), undefined);
    assert.equal(await requester.open(`${none.nodeId}.s`, AbortSignal.abort()), undefined);
  });

  test('what arrives before the listener is set is kept for it, in order; a close ends both sides', async () => {
    const holderEnds: RelayStream[] = [];
    const holder = await serving((_sid, stream) => {
      holderEnds.push(stream);
      if (holderEnds.length === 1) {
        stream.send('early');
        stream.send(new Uint8Array([1, 2]));
      }
      return undefined;
    });
    const requester = await serving();
    const first = (await requester.open(`${holder.nodeId}.s`, live)) as RelayStream;
    // A second opening's answer is published after the first stream's messages, so it comes after them.
    const second = (await requester.open(`${holder.nodeId}.t`, live)) as RelayStream;
    const heard = listen(first);
    assert.deepEqual(heard, ['message early', 'message 1,2']);
    const holderHeard = listen(holderEnds[0]!);
    first.send('up');
    first.reportCongestion(true);
    holderEnds[0]!.send('down', false);
    await until(() => heard.length === 3 && holderHeard.length === 2, 3000, 'the messages and the report');
    assert.deepEqual(heard.slice(2), ['message down uncompressed']);
    first.close('gone');
    await until(() => holderHeard.length === 3, 3000, 'the holder to hear the close');
    assert.deepEqual(holderHeard, ['message up', 'congested true', 'close gone']);
    first.send('after the close');
    holderEnds[1]!.close();
    const secondHeard = listen(second);
    await until(() => secondHeard.length === 1, 3000, 'the requester to hear the close');
    assert.deepEqual(secondHeard, ['close undefined']);
  });

  test('an end with more than its high-water mark in flight asks its sender to hold back, then tells it once drained', async () => {
    let holderEnd: RelayStream | undefined;
    const holder = await serving((_sid, stream) => void (holderEnd = stream));
    const requester = await serving();
    const end = (await requester.open(`${holder.nodeId}.s`, live)) as RelayStream;
    const heard = listen(end);
    const holderHeard: string[] = [];
    holderEnd!.listener = {
      onMessage: (message) => holderHeard.push(String(message).slice(0, 1)),
      onClose: () => holderHeard.push('close'),
    };
    const big = (mark: string): string => mark + 'x'.repeat(600 * 1024);
    // 600 KiB in flight is under the 1 MiB mark; 1.2 MiB is past it, and so is what follows.
    assert.deepEqual([end.send(big('a')), end.send(big('b')), end.send(big('c'))], [true, false, false]);
    await until(() => heard.includes('drain'), 5000, 'the drain');
    assert.deepEqual(heard, ['drain']);
    assert.equal(end.send('d'), true);
    await until(() => holderHeard.length === 4, 5000, 'every message at the holder');
    assert.deepEqual(holderHeard, ['a', 'b', 'c', 'd']);
    end.close();
  });

  test('streamHighWaterMark sets where an end holds back', async () => {
    const holder = await serving(() => undefined);
    const requester = await serving(undefined, 1000);
    const end = (await requester.open(`${holder.nodeId}.s`, live)) as RelayStream;
    const heard = listen(end);
    const part = 'x'.repeat(600);
    assert.deepEqual([end.send(part), end.send(part)], [true, false]);
    await until(() => heard.includes('drain'), 5000, 'the drain');
    end.close();
    for (const streamHighWaterMark of [0, 1.5, -1, Number.NaN, '1' as never]) {
      assert.throws(
        () => createSessionRelay(pub, sub, { streamHighWaterMark }),
        /option "streamHighWaterMark" must be a whole number of bytes from 1/,
      );
    }
  });

  test('an opening given up on tells the holder; one whose opener is gone closes the adopted end', async () => {
    const requester = await serving();
    const seen: unknown[] = [];
    await watcher.subscribe(`${key}#relay#hung`, (message) => seen.push(decode(message)), true);
    const controller = new AbortController();
    const opening = requester.open('hung.s', controller.signal);
    await until(() => seen.length === 1, 3000, 'the opening to reach the node');
    controller.abort();
    assert.equal(await opening, undefined);
    await until(() => seen.length === 2, 3000, 'the end to reach the node');
    assert.deepEqual(
      seen.map((message) => (message as { type: string }).type),
      ['open', 'end'],
    );

    let adopted: string[] | undefined;
    const holder = await serving((_sid, stream) => void (adopted = listen(stream)));
    await pub.publish(
      `${key}#relay#${holder.nodeId}`,
      Buffer.from(encode({ type: 'open', from: 'gone', id: 1, sid: 's' })),
    );
    await until(() => adopted?.length === 1, 3000, 'the adopted end to close');
    assert.match(adopted![0]!, /^close .*could not reach/);
  });

  test('malformed stream messages are reported and ignored; closing the relay ends its openings', async () => {
    const relay = await serving();
    const invalid: Error[] = [];
    relay.on('invalid-message', (error) => invalid.push(error));
    const channel = `${key}#relay#${relay.nodeId}`;
    for (const message of [
      { type: 'open', from: 'x', id: 1 },
      { type: 'opened', from: 'x', id: 1, code: 'one' },
      { type: 'opened', from: 'x', id: 1, name: 5 },
      { type: 'data', from: 'x', id: 1, data: 5 },
      { type: 'end', from: 'x', id: 1, error: 5 },
      { type: 'data', from: 'x', id: 1, data: 'x', compress: true },
      { type: 'congestion', from: 'x', id: 1, congested: 'yes' },
    ]) {
      await pub.publish(channel, Buffer.from(encode(message)));
    }
    await until(
      () => invalid.length === 7,
      3000,
      () => `7 invalid messages, got ${invalid.length}`,
    );
    // Answers for no stream of this node are ignored.
    await pub.publish(channel, Buffer.from(encode({ type: 'opened', from: relay.nodeId, id: 999 })));
    await pub.publish(channel, Buffer.from(encode({ type: 'data', from: relay.nodeId, id: 999, data: 'x' })));
    await watcher.subscribe(`${key}#relay#silent`, () => undefined);
    const opening = relay.open('silent.s', live);
    relay.close();
    assert.equal(await withTimeout(opening, 'the opening to end'), undefined);
    assert.equal(invalid.length, 7);
  });
});
