/**
 * A WebSocket upgrade that lands on another node than the session's, through the Redis session
 * relay: two engines of this process on separate ports, each with its relay on the real Redis.
 * The receiving node answers the handshake and relays each message; the holder's session upgrades
 * over the relayed stream. Closes on either side, limits, refusals, and a holder that can no
 * longer publish.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decode, encode } from '@msgpack/msgpack';
import { createClient } from 'redis';
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

const skip = await skipUnlessReachable('Redis', 6379);

type Redis = ReturnType<typeof createClient>;

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
    options: { a?: EngineServerOptions; b?: EngineServerOptions; clients?: [Redis, Redis] },
    body: (a: EngineFixture, b: EngineFixture, relayA: RedisSessionRelay) => Promise<void>,
  ): Promise<void> {
    const [pubA, subA] = options.clients ?? [pub, sub];
    const relayA = createSessionRelay(pubA, subA, { key });
    const a = await startEngine({ ...options.a, sessionRelay: relayA });
    const b = await startEngine({ ...options.b, sessionRelay: createSessionRelay(pub, sub, { key }) }).catch(
      async (err: unknown) => {
        await a.close();
        throw err;
      },
    );
    try {
      await body(a, b, relayA);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  /** A polling session on `a`, upgraded over a WebSocket of `b`: the probe, then the upgrade packet. */
  async function upgradeOnOther(
    a: EngineFixture,
    b: EngineFixture,
  ): Promise<{ sid: string; socket: EngineSocket; client: RawWebSocket }> {
    const connection = a.nextConnection();
    const { sid } = await openPolling(a);
    const socket = await connection;
    const held = rawRequest(a.port, a.path(`EIO=4&transport=polling&sid=${sid}`));
    await until(() => socket.transport.writable, 3000, 'the poll to be held');
    const client = await RawWebSocket.connect(
      `ws://127.0.0.1:${b.port}${b.path(`EIO=4&transport=websocket&sid=${sid}`)}`,
    );
    client.send('2probe');
    assert.equal(await client.nextText(), '3probe');
    assert.equal((await held).body, '6', 'the held poll ends with a noop');
    const upgraded = waitFor(socket, 'upgrade');
    client.send('5');
    await upgraded;
    return { sid, socket, client };
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
    await withNodes({}, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      client.close();
      assert.equal((await closed)[0], 'transport close');
    });
  });

  test('the holder closing the session closes the client’s WebSocket', async () => {
    await withNodes({}, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      socket.close();
      await client.closed;
      assert.equal((await closed)[0], 'forced close');
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
      await client.closed;
    });
  });

  test('a holder that can no longer publish: its session closes, and the receiving node closes the WebSocket once the relay is silent', async () => {
    const pubA = createClient({ url: REDIS_URL });
    const subA = pubA.duplicate();
    own.push(pubA, subA);
    await Promise.all([pubA.connect(), subA.connect()]);
    const heartbeat = { pingInterval: 300, pingTimeout: 300 };
    await withNodes({ a: heartbeat, b: heartbeat, clients: [pubA, subA] }, async (a, b, relayA) => {
      const failures: Error[] = [];
      relayA.on('publish-failure', (error) => failures.push(error));
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close', 5000);
      await pubA.disconnect();
      // The holder's next ping cannot be published: its stream, and so its session, closes.
      assert.equal((await closed)[0], 'transport error');
      assert.ok(failures.length > 0);
      // The receiving node heard nothing since: it closes the WebSocket at pingInterval + pingTimeout.
      await withTimeout(client.closed, 'the relayed WebSocket to close', 5000);
    });
  });

  test('a node that closes ends its relayed WebSockets on both sides', async () => {
    await withNodes({}, async (a, b) => {
      const { socket, client } = await upgradeOnOther(a, b);
      const closed = waitFor<[string]>(socket, 'close');
      await b.close();
      await client.closed;
      assert.equal((await closed)[0], 'transport error');
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
  async function serving(streams?: RelayStreamHandler): Promise<RedisSessionRelay> {
    const relay = createSessionRelay(pub, sub, { key });
    relays.push(relay);
    relay.serve(() => Promise.resolve(undefined), streams);
    const channel = `${key}#relay#${relay.nodeId}`;
    await until(async () => (await pub.publish(channel, 'ping')) === 1, 3000, `${channel} to be subscribed`);
    return relay;
  }

  /** Records what the listener of `stream` hears. */
  function listen(stream: RelayStream): string[] {
    const heard: string[] = [];
    stream.listener = {
      onMessage: (message) => heard.push(`message ${typeof message === 'string' ? message : [...message].join()}`),
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
    first.close('gone');
    await until(() => holderHeard.length === 2, 3000, 'the holder to hear the message and the close');
    assert.deepEqual(holderHeard, ['message up', 'close gone']);
    first.send('after the close');
    holderEnds[1]!.close();
    const secondHeard = listen(second);
    await until(() => secondHeard.length === 1, 3000, 'the requester to hear the close');
    assert.deepEqual(secondHeard, ['close undefined']);
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
    ]) {
      await pub.publish(channel, Buffer.from(encode(message)));
    }
    await until(
      () => invalid.length === 5,
      3000,
      () => `5 invalid messages, got ${invalid.length}`,
    );
    // Answers for no stream of this node are ignored.
    await pub.publish(channel, Buffer.from(encode({ type: 'opened', from: relay.nodeId, id: 999 })));
    await pub.publish(channel, Buffer.from(encode({ type: 'data', from: relay.nodeId, id: 999, data: 'x' })));
    await watcher.subscribe(`${key}#relay#silent`, () => undefined);
    const opening = relay.open('silent.s', live);
    relay.close();
    assert.equal(await withTimeout(opening, 'the opening to end'), undefined);
    assert.equal(invalid.length, 5);
  });
});
