import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConnectionSettings } from '../../src/ws/options.js';

describe('resolveConnectionSettings', () => {
  test('options that set no connection setting share one frozen object of defaults', () => {
    const shared = resolveConnectionSettings();
    // A client resolves its settings once per connection: thousands of idle clients hold one copy.
    assert.equal(resolveConnectionSettings({}), shared);
    assert.ok(Object.isFrozen(shared));
    assert.deepEqual({ ...resolveConnectionSettings({ closeTimeout: 30_000 }) }, { ...shared });
  });

  test('a connection setting given gets an object of its own, checked as before', () => {
    const own = resolveConnectionSettings({ maxPayload: 10 });
    assert.notEqual(own, resolveConnectionSettings());
    assert.equal(own.maxPayload, 10);
    assert.equal(resolveConnectionSettings().maxPayload, 100 * 1024 * 1024);
    assert.throws(() => resolveConnectionSettings({ closeTimeout: -1 }), TypeError);
    assert.throws(() => resolveConnectionSettings({ allowSynchronousEvents: false }), TypeError);
  });
});
