/**
 * The Redis session relay's edges, driven through its engine-facing port (`serve`, `forward`,
 * `close`) on the shared Redis: requests the holder cannot answer, requests given up on either
 * side, clients that cannot subscribe or publish, and malformed messages on a node's channel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RelayRequest, RelayResponse } from '../../src/redis/index.js';
import { RedisSessionRelay, createSessionRelay } from '../../src/redis/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

type Handler = (request: RelayRequest, signal: AbortSignal) => Promise<RelayResponse | undefined>;

function poll(sid: string): RelayRequest {
  return { sid, method: 'GET', headers: {}, body: new Uint8Array() };
}

describe('createSessionRelay at its edges', { skip }, () => {
  const key = uniqueName('relay-edges');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  const never = createClient({ url: REDIS_URL });
  const relays: RedisSessionRelay[] = [];
  /** What the holder's engine does with each request; tests replace it. */
  let onHolder: Handler = () => Promise.resolve(undefined);
  let holder: RedisSessionRelay;
  let requester: RedisSessionRelay;

  /** A relay on the shared clients (or those given), serving `handler`, closed after the suite. */
  async function serving(handler: Handler, clients: [unknown, unknown] = [pub, sub]): Promise<RedisSessionRelay> {
    const relay = createSessionRelay(clients[0], clients[1], { key });
    relays.push(relay);
    relay.serve(handler);
    return relay;
  }

  /** Resolves once PUBLISH on `relay`'s channel reaches it. */
  async function subscribed(relay: RedisSessionRelay): Promise<void> {
    const channel = `${key}#relay#${relay.nodeId}`;
    await until(async () => (await pub.publish(channel, 'ping')) === 1, 3000, `${channel} to be subscribed`);
  }

  before(async () => {
    await Promise.all([pub.connect(), sub.connect()]);
    holder = await serving((request, signal) => onHolder(request, signal));
    requester = await serving(() => Promise.resolve(undefined));
    await subscribed(holder);
  });

  after(async () => {
    for (const relay of relays) relay.close();
    await Promise.allSettled([pub.quit(), sub.quit()]);
  });

  test('a holder without the session, or whose engine fails, answers nothing: the request resolves undefined', async () => {
    const seen: string[] = [];
    onHolder = (request) => {
      seen.push(request.sid);
      return request.sid.endsWith('.fails') ? Promise.reject(new Error('engine failure')) : Promise.resolve(undefined);
    };
    const signal = new AbortController().signal;
    assert.equal(await withTimeout(requester.forward(poll(`${holder.nodeId}.gone`), signal), 'forward'), undefined);
    assert.equal(await withTimeout(requester.forward(poll(`${holder.nodeId}.fails`), signal), 'forward'), undefined);
    assert.deepEqual(seen, [`${holder.nodeId}.gone`, `${holder.nodeId}.fails`]);
  });

  test('a sid without a node id, an aborted request and a relay not serving yet relay nothing', async () => {
    let called = 0;
    onHolder = () => Promise.resolve(void called++);
    const live = new AbortController().signal;
    assert.equal(await requester.forward(poll('no-node-id'), live), undefined);
    assert.equal(await requester.forward(poll('.starts-with-a-dot'), live), undefined);
    assert.equal(await requester.forward(poll(`${holder.nodeId}.s`), AbortSignal.abort()), undefined);
    const idle = createSessionRelay(pub, sub, { key });
    assert.equal(await idle.forward(poll(`${holder.nodeId}.s`), live), undefined);
    idle.close();
    // A last request that does reach the holder: nothing before it did.
    await requester.forward(poll(`${holder.nodeId}.s`), live);
    assert.equal(called, 1);
  });

  test('a request the requester gives up on is aborted on the holder too', async () => {
    let holderSignal: AbortSignal | undefined;
    onHolder = (_request, signal) => {
      holderSignal = signal;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
    };
    const controller = new AbortController();
    const answer = requester.forward(poll(`${holder.nodeId}.slow`), controller.signal);
    await until(() => holderSignal !== undefined, 3000, 'the holder to get the request');
    controller.abort();
    assert.equal(await withTimeout(answer, 'forward'), undefined);
    await until(() => holderSignal!.aborted, 3000, 'the abort to reach the holder');
  });

  test('closing ends what is pending on both sides', async () => {
    let holderSignal: AbortSignal | undefined;
    const closingHolder = await serving((_request, signal) => {
      holderSignal = signal;
      const ok = { status: 200, headers: {}, body: new Uint8Array() };
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(ok)));
    });
    const closingRequester = await serving(() => Promise.resolve(undefined));
    await subscribed(closingHolder);
    await subscribed(closingRequester);
    let settled = false;
    const answer = closingRequester.forward(poll(`${closingHolder.nodeId}.s`), new AbortController().signal);
    void answer.then(() => (settled = true));
    await until(() => holderSignal !== undefined, 3000, 'the holder to get the request');
    closingHolder.close();
    assert.equal(holderSignal!.aborted, true);
    // The answer its engine gave once aborted is not published: a marker sent after it arrives
    // at the requester while the request is still pending.
    const marker = waitFor(closingRequester, 'invalid-message');
    await pub.publish(`${key}#relay#${closingRequester.nodeId}`, 'marker');
    await marker;
    assert.equal(settled, false);
    closingRequester.close();
    assert.equal(await withTimeout(answer, 'forward after close'), undefined);
  });

  test('a subscriber client that cannot subscribe is reported, and nothing is relayed', async () => {
    const closed = new Redis(REDIS_URL);
    await closed.ping();
    closed.disconnect();
    const relay = createSessionRelay(pub, closed, { key });
    const error = waitFor<[Error]>(relay, 'redis-error');
    relay.serve(() => Promise.resolve(undefined));
    try {
      assert.match((await error)[0].message, /Connection is closed/);
      assert.equal(await relay.forward(poll(`${holder.nodeId}.s`), new AbortController().signal), undefined);
    } finally {
      relay.close();
    }
  });

  test('a publisher that is not connected, or in subscriber mode, fails the request with a publish-failure', async () => {
    const offline = await serving(() => Promise.resolve(undefined), [never, sub]);
    const dropped = waitFor<[Error]>(offline, 'publish-failure');
    assert.equal(await offline.forward(poll(`${holder.nodeId}.s`), new AbortController().signal), undefined);
    assert.match((await dropped)[0].message, /^Redis is unreachable: a relay message to .*#relay#.* was dropped$/);

    const shared = new Redis(REDIS_URL);
    try {
      // The same connection as publisher and subscriber: a mistake the relay reports.
      const misused = await serving(() => Promise.resolve(undefined), [shared, shared]);
      await subscribed(misused);
      const refused = waitFor<[Error]>(misused, 'publish-failure');
      assert.equal(await misused.forward(poll(`${holder.nodeId}.s`), new AbortController().signal), undefined);
      assert.match((await refused)[0].message, /subscriber mode/);
    } finally {
      shared.disconnect();
    }
  });

  test('malformed messages on a node’s channel are reported with what is wrong', async () => {
    const channel = `${key}#relay#${holder.nodeId}`;
    const cases: [unknown, RegExp][] = [
      [7, /relay message is not a map/],
      [{ type: 'response', id: 1.5 }, /relay message without a valid id/],
      [{ type: 'request', id: 1, from: 'a.b' }, /relay request without a valid sender/],
      [{ type: 'abort', id: 1 }, /relay abort without a valid sender/],
      [
        { type: 'request', id: 1, from: 'n', sid: 's', method: 'PUT', headers: {}, body: new Uint8Array() },
        /relay message of type "request" with missing or invalid fields/,
      ],
      [
        { type: 'request', id: 1, from: 'n', sid: 's', method: 'GET', headers: [], body: new Uint8Array() },
        /type "request" with missing or invalid fields/,
      ],
      [
        { type: 'response', id: 1, status: 200, headers: { a: 1 }, body: new Uint8Array() },
        /type "response" with missing or invalid fields/,
      ],
      [{ type: 'other', id: 1, from: 'n' }, /type "other" with missing or invalid fields/],
    ];
    for (const [body, message] of cases) {
      const invalid = waitFor<[Error]>(holder, 'invalid-message');
      await pub.publish(channel, Buffer.from(encode(body)));
      assert.match((await invalid)[0].message, message, JSON.stringify(body));
    }
    // An abort for a request this node does not serve is no error.
    const invalid: Error[] = [];
    const onInvalid = (error: Error): void => void invalid.push(error);
    holder.on('invalid-message', onInvalid);
    try {
      await pub.publish(channel, Buffer.from(encode({ type: 'abort', id: 99, from: 'n' })));
      await pub.publish(channel, Buffer.from(encode(7)));
      await until(() => invalid.length > 0, 3000, 'the marker');
      assert.match(invalid[0]!.message, /not a map/);
    } finally {
      holder.off('invalid-message', onInvalid);
    }
  });

  test('options that are not an object are refused', () => {
    assert.throws(() => createSessionRelay(pub, sub, null as never), /createSessionRelay: options must be an object/);
    assert.throws(() => createSessionRelay(pub, sub, 'key' as never), /createSessionRelay: options must be an object/);
    assert.throws(() => createSessionRelay(pub, sub, { key: 5 as never }), /option "key" must be a non-empty string/);
  });
});
