/**
 * The Manager's settings as a user gives or changes them: the URL forms and options it takes, the
 * ones it refuses (with a message naming them), and the reconnection setters' effect on the loop.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSource } from '../../src/client/backoff.js';
import { Manager } from '../../src/client/manager.js';
import { io } from '../../src/client-node/index.js';
import { TestManager, engine, engines } from './fake-engine.js';

/** The session options a manager made for `uri` and `options` (its first session's). */
function sessionFor(uri: string, options: ConstructorParameters<typeof TestManager>[1] = {}) {
  const manager = new TestManager(uri, { reconnection: false, ...options });
  try {
    return engine().options;
  } finally {
    manager._close();
  }
}

describe('Manager: construction', () => {
  test('the Manager of the shared module has no host: it refuses, naming the entry to import', () => {
    assert.throws(() => new Manager('http://example.test'), {
      name: 'TypeError',
      message: /Manager needs a host: import it from switchboard\/client/,
    });
  });

  test('options alone, outside a browser: refused, asking for the server URL', () => {
    assert.throws(() => new TestManager({ reconnection: false }), {
      name: 'TypeError',
      message: /needs the server URL outside a browser/,
    });
    assert.throws(() => io({ forceNew: true }), { name: 'TypeError', message: /needs the server URL/ });
  });

  test('a URL alone connects at once with the defaults', () => {
    const made = engines.length;
    const manager = new TestManager('http://example.test');
    try {
      assert.equal(engines.length, made + 1);
      assert.equal(engine().options.origin, 'http://example.test');
      assert.equal(manager.reconnection(), true);
      assert.equal(manager.timeout(), 20_000);
    } finally {
      manager._close();
    }
  });

  test('a URL without a scheme, or starting with //, is reached over https outside a browser', () => {
    assert.equal(sessionFor('//example.test:3000').origin, 'https://example.test:3000');
    assert.equal(sessionFor('example.test:3000').origin, 'https://example.test:3000');
  });

  test('a URL that does not parse is refused with the URL in the message', () => {
    assert.throws(() => new TestManager('http://exa mple.test'), {
      name: 'TypeError',
      message: 'io(): "http://exa mple.test" is not a valid URL',
    });
  });

  test('a path that ends with a slash is used as given; one without gets it', () => {
    assert.equal(sessionFor('http://example.test', { path: '/live/' }).path, '/live/');
    assert.equal(sessionFor('http://example.test', { path: '/live' }).path, '/live/');
  });

  test('timeout: false gives the session no deadline', () => {
    assert.equal(sessionFor('http://example.test', { timeout: false }).timeout, Infinity);
  });

  test('a query given as a string is split into parameters; the URL’s own win', () => {
    assert.deepEqual(sessionFor('http://example.test/?b=url', { query: 'a=1&b=2' }).query, { a: '1', b: 'url' });
  });

  test('a query parameter that is not a string, number or boolean is refused, named', () => {
    assert.throws(() => new TestManager('http://example.test', { query: { token: { nested: 1 } } as never }), {
      name: 'TypeError',
      message: 'option "query.token" must be a string, number or boolean',
    });
  });

  test('a transport class (as the official client takes) is refused: transports are named', () => {
    class CustomTransport {}
    assert.throws(() => new TestManager('http://example.test', { transports: [CustomTransport] as never }), {
      name: 'TypeError',
      message: /option "transports": a transport class is not supported; use "websocket" or "polling"/,
    });
  });

  test('a number out of range is refused with the number it got, anything else with its type', () => {
    assert.throws(() => new TestManager('http://example.test', { reconnectionDelay: -5 }), {
      name: 'TypeError',
      message: /^option "reconnectionDelay" must be .*, got -5$/,
    });
    assert.throws(() => new TestManager('http://example.test', { reconnection: 'yes' as never }), {
      name: 'TypeError',
      message: /^option "reconnection" must be .*, got string$/,
    });
  });
});

describe('Manager: reconnection settings changed on a live manager', () => {
  test('randomizationFactor reads 0.5 while full jitter is in use, then the value set', () => {
    const manager = new TestManager('http://example.test', { reconnection: false });
    try {
      assert.equal(manager.randomizationFactor(), 0.5);
      assert.equal(manager.randomizationFactor(0.2).randomizationFactor(), 0.2);
    } finally {
      manager._close();
    }
  });

  test('reconnectionAttempts(n) takes effect on the next failure; a bad value is refused', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const manager = new TestManager('http://example.test', { reconnectionDelay: 10 });
    manager[randomSource] = () => 0;
    let failed = 0;
    manager.on('reconnect_failed', () => failed++);
    try {
      assert.throws(() => manager.reconnectionAttempts(-1), { name: 'TypeError', message: /got -1$/ });
      assert.equal(manager.reconnectionAttempts(1).reconnectionAttempts(), 1);
      engine().fail();
      t.mock.timers.tick(0);
      const made = engines.length;
      engine().fail();
      t.mock.timers.tick(1000);
      assert.equal(failed, 1);
      assert.equal(engines.length, made, 'no attempt after the last one allowed');
    } finally {
      manager._close();
    }
  });

  test('reconnectionDelayMax(ms) caps the next delays', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const manager = new TestManager('http://example.test', { reconnectionDelay: 100, reconnectionDelayMax: 1000 });
    // The largest draw waits the whole ceiling.
    manager[randomSource] = () => 0.999999;
    try {
      assert.equal(manager.reconnectionDelayMax(150).reconnectionDelayMax(), 150);
      const delays: number[] = [];
      for (let n = 0; n < 3; n++) {
        const made = engines.length;
        engine().fail();
        let waited = 0;
        while (engines.length === made && waited < 2000) {
          t.mock.timers.tick(1);
          waited++;
        }
        delays.push(waited);
      }
      assert.deepEqual(delays, [100, 150, 150]);
    } finally {
      manager._close();
    }
  });

  test('reconnection(false) while a reconnection waits: the attempt never starts', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const manager = new TestManager('http://example.test', { reconnectionDelay: 100 });
    manager[randomSource] = () => 0.999999;
    const attempts: number[] = [];
    manager.on('reconnect_attempt', (attempt) => attempts.push(attempt));
    try {
      engine().fail();
      const made = engines.length;
      manager.reconnection(false);
      t.mock.timers.tick(1000);
      assert.deepEqual(attempts, []);
      assert.equal(engines.length, made);
    } finally {
      manager._close();
    }
  });

  test('a reconnect_attempt listener that closes the manager stops that attempt', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const manager = new TestManager('http://example.test', { reconnectionDelay: 100 });
    manager[randomSource] = () => 0;
    manager.on('reconnect_attempt', () => manager._close());
    try {
      engine().fail();
      const made = engines.length;
      t.mock.timers.tick(0);
      assert.equal(engines.length, made, 'no session opened for the attempt');
      t.mock.timers.tick(10_000);
      assert.equal(engines.length, made);
    } finally {
      manager._close();
    }
  });

  test('reconnection(false) during an attempt: its failure is reported, and it is the last', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const manager = new TestManager('http://example.test', { reconnectionDelay: 100 });
    manager[randomSource] = () => 0;
    const errors: string[] = [];
    manager.on('reconnect_error', (error) => errors.push(error.message));
    try {
      engine().fail();
      t.mock.timers.tick(0);
      const made = engines.length;
      manager.reconnection(false);
      engine().fail('still refused');
      t.mock.timers.tick(10_000);
      assert.deepEqual(errors, ['still refused']);
      assert.equal(engines.length, made);
      assert.equal(manager._reconnecting, false);
    } finally {
      manager._close();
    }
  });
});

describe('Manager: listeners', () => {
  test('off(event) removes every listener of that event, off() every listener', () => {
    const manager = new TestManager('http://example.test', { autoConnect: false, reconnection: false });
    const heard: string[] = [];
    manager.on('open', () => heard.push('open 1'));
    manager.on('open', () => heard.push('open 2'));
    manager.on('error', () => heard.push('error'));
    manager.off('reconnect');
    manager.off('open');
    manager.open();
    engine().open();
    assert.deepEqual(heard, []);
    manager._close();
    manager.off();
    manager.open();
    engine().fail();
    assert.deepEqual(heard, []);
    assert.equal(manager.hasListeners('error'), false);
    manager._close();
  });
});
