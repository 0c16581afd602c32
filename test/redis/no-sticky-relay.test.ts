/**
 * The Redis session relay on its own: two engines of this process, each with its relay on the
 * shared Redis, and what the relay does with a holder that is gone and with foreign messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import type { SessionRelay } from '../../src/engine/index.js';
import { RedisSessionRelay, createSessionRelay } from '../../src/redis/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { openPolling, rawRequest, startEngine, type EngineFixture } from '../engine/helpers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('createSessionRelay', { skip }, () => {
  const key = uniqueName('relay');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  let a: EngineFixture;
  let b: EngineFixture;
  let relayA: RedisSessionRelay;

  before(async () => {
    await Promise.all([pub.connect(), sub.connect()]);
    relayA = createSessionRelay(pub, sub, { key });
    // The engine's port and the relay made here are one shape (checked by the compiler).
    const port: SessionRelay = createSessionRelay(pub, sub, { key });
    a = await startEngine({ sessionRelay: relayA });
    b = await startEngine({ sessionRelay: port });
  });

  after(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled([pub.quit(), sub.quit()]);
  });

  test('a POST and a poll sent to the other engine reach the session through Redis', async () => {
    const connection = a.nextConnection();
    const { sid } = await openPolling(a);
    assert.ok(sid.startsWith(`${relayA.nodeId}.`));
    const socket = await connection;
    const message = waitFor<[string]>(socket, 'message');
    const post = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), {
      method: 'POST',
      body: '4hello',
    });
    assert.equal(post.status, 200);
    assert.deepEqual(await message, ['hello']);
    socket.send(Buffer.from([7, 8]));
    const poll = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(poll.body, 'bBwg=');
  });

  test('a session whose node is gone fails at once: PUBLISH reached no subscriber', async () => {
    const gone = createSessionRelay(pub, sub, { key });
    // Bounded well below the poll's deadline (pingInterval + pingTimeout, 45 s here).
    const answer = await withTimeout(
      rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${gone.nodeId}.abc`)),
      'the answer for a gone node',
      5000,
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { code: 1, message: 'Session ID unknown' });
  });

  test('a message that is not the relay’s is reported and ignored', async () => {
    const invalid = waitFor<[Error]>(relayA, 'invalid-message');
    await pub.publish(`${key}#relay#${relayA.nodeId}`, Buffer.from([0xc1]));
    await pub.publish(`${key}#relay#${relayA.nodeId}`, Buffer.from([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x01]));
    assert.ok((await invalid)[0] instanceof Error);
    // Still serving.
    const { sid } = await openPolling(a);
    const post = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), {
      method: 'POST',
      body: '4again',
    });
    assert.equal(post.status, 200);
  });

  test('options are checked, unknown ones refused by name; one relay serves one engine', async () => {
    assert.throws(
      () => createSessionRelay(pub, sub, { prefix: 'x' } as never),
      /unsupported option "prefix"; the supported options are key and streamHighWaterMark/,
    );
    assert.throws(() => createSessionRelay(pub, sub, { key: '' }), /option "key" must be a non-empty string/);
    assert.throws(() => createSessionRelay({}, sub), /pubClient must be a client/);
    const fixture = await startEngine({ sessionRelay: relayA }).catch((err: unknown) => err);
    if (!(fixture instanceof Error)) await (fixture as EngineFixture).close();
    assert.match(String(fixture), /serves an engine already/);
  });
});
