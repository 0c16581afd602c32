/**
 * The `Emitter` at its edges: what it publishes for a namespace named without its slash and a
 * numeric room (read back from Redis by a raw subscriber), what it refuses, and its failure events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decode } from '@msgpack/msgpack';
import { createClient } from 'redis';
import { Emitter } from '../../src/redis/index.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

describe('Emitter at its edges', { skip }, () => {
  const key = uniqueName('emitter-edges');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  const seen: { channel: string; body: unknown }[] = [];

  before(async () => {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.pSubscribe(
      `${key}*`,
      (message, channel) => seen.push({ channel: channel.toString(), body: decode(message) }),
      true,
    );
  });

  after(async () => {
    await Promise.allSettled([pub.quit(), sub.quit()]);
  });

  test('of() adds the leading slash; a single numeric room gets its own channel', async () => {
    const emitter = new Emitter(pub, { key });
    emitter.of('chat').to(42).except('muted').emit('news', 1);
    await until(() => seen.length > 0, 3000, 'the broadcast');
    const [{ channel, body }] = seen.splice(0) as [{ channel: string; body: unknown[] }];
    assert.equal(channel, `${key}#/chat#42#`);
    assert.deepEqual(body.slice(1), [
      { type: 2, nsp: '/chat', data: ['news', 1] },
      { rooms: [42], except: ['muted'], flags: {} },
    ]);
  });

  test('reserved events and acknowledgements are refused', () => {
    const emitter = new Emitter(pub, { key });
    assert.throws(() => emitter.emit('disconnect'), /"disconnect" is a reserved event name/);
    assert.throws(() => emitter.to('r').emit('x', () => undefined), /an emitter cannot receive acknowledgements/);
    assert.throws(() => emitter.serverSideEmit('x', () => undefined), /use serverSideEmit of a server to get them/);
    assert.equal(emitter.publishFailures, 0);
  });

  test('publish failures reach the listeners until they are removed, and are counted either way', () => {
    const offline = new Emitter(createClient({ url: REDIS_URL }), { key });
    const heard: string[] = [];
    const listener = (error: Error): void => void heard.push(error.message);
    offline.on('publish-failure', listener);
    offline.of('/admin').emit('first');
    offline.off('publish-failure', listener);
    offline.emit('second');
    assert.equal(offline.publishFailures, 2);
    assert.deepEqual(heard, [`Redis is unreachable: a message to ${key}#/admin# was dropped`]);
  });

  test("a view of a view is an Emitter sharing its root's count; another emitter on the same client keeps its own", () => {
    const client = createClient({ url: REDIS_URL });
    const offline = new Emitter(client, { key });
    const view = offline.of('/admin').of('chat');
    assert.ok(view instanceof Emitter);
    view.to('room').emit('dropped');
    const other = new Emitter(client, { key });
    other.emit('dropped too');
    assert.equal(offline.publishFailures, 1);
    assert.equal(view.publishFailures, 1);
    assert.equal(other.publishFailures, 1);
  });
});
