/**
 * An adapter subscribing on an ioredis client whose connection is up but whose handshake is not
 * over (status `connect`), as the Streams adapter's own subscriber connection can be when the node
 * starts: ioredis would write SUBSCRIBE at once, then fail its own ready check in subscriber mode and
 * reconnect without the subscription, leaving the node out of the cluster for good.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisConnection, type RedisClient } from '../../src/redis/redis-client.js';
import { REDIS_URL, skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { until, withTimeout } from '../helpers/wait.js';

const skip = await skipUnlessReachable('Redis', 6379);

/** What each test gets: an ioredis subscriber not yet connected, a publisher, their wrappers, their errors. */
interface HandshakeClients {
  readonly sub: Redis;
  readonly subscriber: RedisConnection;
  readonly publisher: RedisConnection;
  readonly errors: Error[];
}

/** Runs `body` with fresh {@link HandshakeClients}, closed afterwards whatever happens. */
async function withClients(body: (clients: HandshakeClients) => Promise<void>): Promise<void> {
  const sub = new Redis(REDIS_URL, { lazyConnect: true });
  const pub = new Redis(REDIS_URL);
  const errors: Error[] = [];
  const subscriber = new RedisConnection(sub as unknown as RedisClient, 'sub', (err) => errors.push(err));
  const publisher = new RedisConnection(pub as unknown as RedisClient, 'pub', (err) => errors.push(err));
  try {
    await body({ sub, subscriber, publisher, errors });
  } finally {
    subscriber.dispose();
    publisher.dispose();
    sub.disconnect();
    pub.disconnect();
  }
}

describe('subscribing on an ioredis client during its handshake', { skip }, () => {
  for (const kind of ['channel', 'pattern'] as const) {
    test(`${kind}: sent once the handshake is over, and kept (no error, Redis counts it, messages arrive)`, async () => {
      await withClients(async ({ sub, subscriber, publisher, errors }) => {
        const channel = uniqueName('handshake');
        const subscribed = kind === 'pattern' ? `${channel}*` : channel;
        const received: string[] = [];
        let statusWhenSubscribing = '';
        const done = new Promise<unknown>((resolve, reject) => {
          // The moment the TCP connection is up: ioredis has not sent its own handshake's INFO yet.
          sub.once('connect', () => {
            statusWhenSubscribing = sub.status;
            subscriber
              .subscribe(kind, [subscribed], (message) => received.push(message.toString()))
              .then(resolve, reject);
          });
        });
        void sub.connect().catch(() => undefined);
        await withTimeout(done, 'the subscription', 5000);
        assert.equal(statusWhenSubscribing, 'connect', 'subscribed during the handshake');
        await until(() => sub.status === 'ready', 3000, 'the subscriber to be ready');
        assert.deepEqual(errors, [], 'no error: the handshake went through');
        await publisher.publish(channel, 'hello');
        await until(() => received.length === 1, 3000, 'the message on the subscription');
        assert.deepEqual(received, ['hello']);
        if (kind === 'channel') assert.equal(await publisher.subscriberCount(channel), 1);
      });
    });
  }

  test('what waits for the handshake keeps its order (an unsubscription stays behind its subscription), with one listener pair', async () => {
    await withClients(async ({ sub, subscriber, publisher, errors }) => {
      const left = uniqueName('left');
      const kept = Array.from({ length: 11 }, (_, i) => uniqueName(`kept${i}`));
      const handler = (): void => undefined;
      const calls: Promise<unknown>[] = [];
      let readyListeners = 0;
      // Registered before the adapter's own wait, so it runs first when the client is ready: an
      // unsubscription made here must still go after the subscription queued during the handshake.
      sub.once('ready', () => calls.push(subscriber.unsubscribe('channel', [left], handler)));
      const subscribed = new Promise<void>((resolve) => {
        sub.once('connect', () => {
          const before = sub.listenerCount('ready');
          calls.push(subscriber.subscribe('channel', [left], handler));
          for (const channel of kept) calls.push(subscriber.subscribe('channel', [channel], handler));
          readyListeners = sub.listenerCount('ready') - before;
          resolve();
        });
      });
      void sub.connect().catch(() => undefined);
      await withTimeout(subscribed, 'the handshake', 5000);
      assert.equal(readyListeners, 1, 'twelve waiting subscriptions share one ready listener');
      await until(() => calls.length === 13, 3000, 'the unsubscription made when ready');
      await withTimeout(Promise.all(calls), 'the queued calls', 5000);
      assert.equal(await publisher.subscriberCount(left), 0, 'subscribed, then unsubscribed: in that order');
      for (const channel of kept) assert.equal(await publisher.subscriberCount(channel), 1, channel);
      assert.deepEqual(errors, []);
    });
  });

  test('a client closed during its handshake fails what waited for it, and what comes after, without waiting', async () => {
    await withClients(async ({ sub, subscriber }) => {
      const handler = (): void => undefined;
      // Wrapped: a promise resolved with a promise would wait for it.
      const queued = new Promise<{ waiting: Promise<unknown> }>((resolve) => {
        sub.once('connect', () => {
          const waiting = subscriber.subscribe('channel', [uniqueName('queued')], handler);
          sub.disconnect();
          resolve({ waiting });
        });
      });
      void sub.connect().catch(() => undefined);
      const { waiting } = await withTimeout(queued, 'the handshake', 5000);
      await assert.rejects(withTimeout(waiting, 'the queued subscription to fail', 3000), /Connection is closed/);
      const later = subscriber.subscribe('channel', [uniqueName('later')], handler);
      await assert.rejects(withTimeout(later, 'a later subscription to fail', 3000), /Connection is closed/);
    });
  });
});
