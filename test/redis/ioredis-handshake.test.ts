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

describe('subscribing on an ioredis client during its handshake', { skip }, () => {
  for (const kind of ['channel', 'pattern'] as const) {
    test(`${kind}: sent once the handshake is over, and kept (no error, Redis counts it, messages arrive)`, async () => {
      const sub = new Redis(REDIS_URL, { lazyConnect: true });
      const pub = new Redis(REDIS_URL);
      const errors: Error[] = [];
      const subscriber = new RedisConnection(sub as unknown as RedisClient, 'sub', (err) => errors.push(err));
      const publisher = new RedisConnection(pub as unknown as RedisClient, 'pub', (err) => errors.push(err));
      try {
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
      } finally {
        subscriber.dispose();
        publisher.dispose();
        sub.disconnect();
        pub.disconnect();
      }
    });
  }
});
