import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay } from '../../src/client/backoff.js';
import { Manager as BrowserManager } from '../../src/client/index.js';
import { Manager as WebSocketManager } from '../../src/client/websocket.js';
import { parseUrl } from '../../src/client/url.js';
import { Manager, io } from '../../src/client-node/index.js';
import type { EngineSocketOptions } from '../../src/client/engine/types.js';
import { FakeEngine, TestManager } from './fake-engine.js';

const page = { protocol: 'https:', host: 'app.example:8443' };

describe('io(): URLs', () => {
  test('namespace, query and the shared-connection key come from the URL', () => {
    const parsed = parseUrl('http://localhost:3000/admin?token=abc&x=1', undefined);
    assert.equal(parsed.origin, 'http://localhost:3000');
    assert.equal(parsed.pathname, '/admin');
    assert.deepEqual(Object.fromEntries(parsed.searchParams), { token: 'abc', x: '1' });
    assert.equal(parseUrl('http://localhost', undefined).origin, parseUrl('http://localhost:80/x', undefined).origin);
  });

  test("in a browser: no URL is the page's origin; //host and /path are relative to the page", () => {
    assert.equal(parseUrl(undefined, page).origin, 'https://app.example:8443');
    assert.equal(parseUrl('//other.example/chat', page).origin, 'https://other.example');
    assert.equal(parseUrl('/chat', page).pathname, '/chat');
    assert.equal(parseUrl('/chat', page).origin, 'https://app.example:8443');
    assert.equal(parseUrl('example.com', page).origin, 'https://example.com');
  });

  test('in Node a URL is required', () => {
    assert.throws(() => io(), { name: 'TypeError', message: /needs the server URL outside a browser/ });
    assert.throws(() => io('/chat'), /give the full URL/);
  });

  test('one manager per server, unless forceNew or multiplex: false; other options on a shared one are refused', () => {
    const url = 'http://127.0.0.1:9';
    const a = io(`${url}/a`, { autoConnect: false });
    const b = io(`${url}/b`, { autoConnect: false });
    assert.equal(a.io, b.io);
    assert.notEqual(io(`${url}/c`, { autoConnect: false, forceNew: true }).io, a.io);
    assert.notEqual(io(`${url}/d`, { autoConnect: false, multiplex: false }).io, a.io);
    assert.throws(() => io(`${url}/e`, { autoConnect: false, timeout: 5 }), /has another "timeout".*forceNew/);
    assert.equal(
      io(`${url}/g`, { autoConnect: false, path: '/socket.io' }).io,
      a.io,
      'a default given is not another value',
    );
    assert.equal(io(`${url}/f`, { autoConnect: false, auth: { token: 1 } }).io, a.io, 'socket options are per socket');
  });
});

describe('options', () => {
  test('unknown options and official ones not offered are refused by name', () => {
    assert.throws(
      () => new Manager('http://h', { reconectionDelay: 1 } as never),
      /unknown Manager option "reconectionDelay"/,
    );
    assert.throws(() => new Manager('http://h', { parser: {} } as never), /"parser" is not supported: .*msgpack/);
    assert.throws(
      () => new Manager('http://h', { autoConnect: false, auth: {} } as never),
      /"auth" is a socket option/,
    );
    assert.throws(() => io('http://h', { forceNew: true, autoConnect: false, agent: {} } as never), /"agent"/);
    assert.throws(() => io('http://h', { forceNew: true, transports: ['webtransport'] } as never), /"webtransport"/);
    assert.throws(() => io('http://h', { forceNew: true, reconnectionDelay: -1 }), /reconnectionDelay/);
    assert.throws(() => io('http://h', { forceNew: true, offlineBuffer: { maxPacket: 1 } } as never), /maxPacket/);
    const manager = new TestManager('http://h', { autoConnect: false });
    assert.throws(() => manager.socket('/', { timeout: 5 } as never), /"timeout" is a Manager option/);
    assert.throws(
      () => manager.socket('/buffer', { offlineBuffer: { auth: {} } } as never),
      { message: 'unknown offlineBuffer option "auth"' },
      'a socket option inside offlineBuffer is unknown there',
    );
    assert.throws(() => manager.socket('/buffer', { offlineBuffer: { maxBytes: -1 } }), {
      message: 'option "offlineBuffer.maxBytes" must be a number ≥ 0 or Infinity, got -1',
    });
    assert.throws(
      () => manager.socket('/buffer', { offlineBuffer: null } as never),
      /"offlineBuffer" must be an object/,
    );
    assert.throws(
      () => new WebSocketManager('http://h', { autoConnect: false, transports: ['websocket', 'polling'] }),
      /"polling" is not supported; use "websocket" \(or import switchboard\/client\)/,
    );
    const made: EngineSocketOptions[] = [];
    class CapturingManager extends WebSocketManager {
      protected override createEngine(options: EngineSocketOptions): FakeEngine {
        made.push(options);
        return new FakeEngine(options);
      }
    }
    const capturing = new CapturingManager('http://h', { reconnection: false });
    capturing._close();
    assert.deepEqual(made[0]?.transports, ['websocket'], "the entry's transports are the default");
  });

  test('extraHeaders are refused in a browser, where a WebSocket cannot send them', () => {
    assert.throws(
      () => new BrowserManager('http://h', { autoConnect: false, extraHeaders: { authorization: 'x' } }),
      /"extraHeaders" works in Node only: use auth or query/,
    );
    assert.doesNotThrow(() => new Manager('http://h', { autoConnect: false, extraHeaders: { authorization: 'x' } }));
  });

  test('setters as the official manager has them', () => {
    const manager = new Manager('http://h', { autoConnect: false });
    assert.equal(manager.reconnectionDelay(), 1000);
    assert.equal(manager.reconnectionDelayMax(), 5000);
    assert.equal(manager.timeout(), 20000);
    assert.equal(manager.reconnectionAttempts(), Infinity);
    assert.equal(manager.reconnectionDelay(10).reconnectionDelay(), 10);
    assert.equal(manager.timeout(false).timeout(), false);
    assert.equal(manager.reconnection(false).reconnection(), false);
    assert.throws(() => manager.randomizationFactor(2), /randomizationFactor/);
  });
});

describe('backoffDelay', () => {
  test('full jitter stays within [0, min(max, base·2ⁿ)] for any draw', () => {
    for (const draw of [0, 0.1, 0.5, 0.999999]) {
      for (let n = 0; n < 40; n++) {
        const delay = backoffDelay(n, 100, 5000, undefined, draw);
        const ceiling = Math.min(5000, 100 * 2 ** n);
        assert.ok(delay >= 0 && delay <= ceiling, `attempt ${n}: ${delay} outside [0, ${ceiling}]`);
        if (draw === 0.999999) assert.equal(delay, ceiling);
      }
    }
  });

  test("with a factor, socket.io-client's formula: up or down by the draw, capped", () => {
    assert.equal(backoffDelay(0, 1000, 5000, 0.5, 0.15), 1075);
    assert.equal(backoffDelay(0, 1000, 5000, 0.5, 0.25), 875);
    assert.equal(backoffDelay(10, 1000, 5000, 0.5, 0.15), 5000);
  });
});
