/** What createAdapter, createShardedAdapter, createStreamsAdapter and Emitter refuse, before any connection is made. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Emitter, createAdapter, createShardedAdapter, createStreamsAdapter } from '../../src/redis/index.js';

// Never connected: the checks happen before any command.
const client = createClient();
const ioredis = new Redis({ lazyConnect: true });

describe('options and clients', () => {
  test('an unknown option is refused by name, with what to use instead', () => {
    assert.throws(() => createAdapter(client, client, { keyPrefix: 'x' } as never), {
      name: 'TypeError',
      message:
        /unsupported option "keyPrefix"; the supported options are key, requestsTimeout, publishOnSpecificResponseChannel, parser/,
    });
    assert.throws(
      () => createShardedAdapter(client, client, { key: 'x' } as never),
      /unsupported option "key"; use channelPrefix/,
    );
    assert.throws(
      () => new Emitter(client, { requestsTimeout: 1 } as never),
      /Emitter: unsupported option "requestsTimeout"/,
    );
    assert.throws(
      () => createStreamsAdapter(client, { heartbeatInterval: 1000 } as never),
      /createStreamsAdapter: unsupported option "heartbeatInterval"; nodes are counted by their subscriptions/,
    );
  });

  test('createStreamsAdapter takes the official options; streamCount only as 1', () => {
    const options = {
      streamName: 's',
      maxLen: 50,
      readCount: 10,
      blockTimeInMs: 1000,
      sessionKeyPrefix: 'p:',
      channelPrefix: 'c',
      useShardedPubSub: true,
      onlyPlaintext: true,
      requestsTimeout: 100,
      streamCount: 1,
    } as const;
    assert.equal(typeof createStreamsAdapter(client, options), 'function');
    assert.equal(typeof createStreamsAdapter(ioredis), 'function');
    assert.throws(() => createStreamsAdapter(client, { streamCount: 2 as 1 }), /"streamCount" must be 1/);
    assert.throws(() => createStreamsAdapter(client, { maxLen: 0 }), /"maxLen" must be a positive whole number/);
    const withoutDuplicate = Object.assign(Object.create(ioredis) as object, { duplicate: undefined });
    assert.throws(() => createStreamsAdapter(withoutDuplicate as never), /must have a duplicate\(\) method/);
  });

  test('an option of the wrong kind is refused', () => {
    assert.throws(
      () => createAdapter(client, client, { requestsTimeout: 0 }),
      /"requestsTimeout" must be a positive whole number/,
    );
    assert.throws(
      () => createAdapter(client, client, { parser: {} as never }),
      /"parser" must be an object with encode\(\) and decode\(\)/,
    );
    assert.throws(
      () => createAdapter(client, client, { parser: { encode: () => '' } as never }),
      /"parser" must be an object with encode\(\) and decode\(\)/,
    );
    assert.throws(() => createAdapter(client, client, 'fast' as never), /createAdapter: options must be an object/);
    assert.throws(
      () => createShardedAdapter(client, client, { subscriptionMode: 'sometimes' as never }),
      /"subscriptionMode" must be/,
    );
  });

  test('what is not a standalone client of a supported library is refused', () => {
    assert.throws(
      () => createAdapter({} as never, client),
      /pubClient must be a client from the "redis" \(v4 or v5\) or "ioredis"/,
    );
    assert.throws(() => createAdapter(client, null as never), /subClient must be a Redis client/);
    const cluster = Object.assign(Object.create(ioredis) as object, { isCluster: true });
    assert.throws(
      () => createAdapter(client, cluster as never),
      /subClient is a Redis Cluster client, which is not supported yet/,
    );
    assert.equal(typeof createAdapter(client, ioredis), 'function');
  });
});
