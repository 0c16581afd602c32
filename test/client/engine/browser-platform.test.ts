/**
 * The browser platform read from a page scope set up on `globalThis` (Node has none): its WebSocket
 * asks for ArrayBuffers, binary data reaches the application as whole ArrayBuffers, the page's
 * events are listened to and let go of, and `pageLocation` is the page's.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { browserPlatform } from '../../../src/client/platform/browser.js';

type Scope = Record<string, unknown>;
const scope = globalThis as unknown as Scope;
const PAGE_KEYS = ['WebSocket', 'addEventListener', 'removeEventListener', 'location'] as const;

/** What the global scope held under those names before the tests (a newer Node has a WebSocket). */
const original = new Map(PAGE_KEYS.filter((key) => key in scope).map((key) => [key, scope[key]]));

/** Installs `page` on the global scope; `afterEach` puts the original scope back. */
function installPage(page: Partial<Record<(typeof PAGE_KEYS)[number], unknown>>): void {
  for (const key of PAGE_KEYS) if (key in page) scope[key] = page[key];
}

afterEach(() => {
  for (const key of PAGE_KEYS) {
    if (original.has(key)) scope[key] = original.get(key);
    else delete scope[key];
  }
});

describe('the browser platform', () => {
  it("opens the page's WebSocket with binaryType 'arraybuffer'", () => {
    const opened: string[] = [];
    installPage({
      WebSocket: class {
        binaryType = 'blob';
        constructor(url: string) {
          opened.push(url);
        }
      },
    });
    const socket = browserPlatform.createWebSocket('wss://example.test/socket.io/?EIO=4&transport=websocket', {});
    assert.deepEqual(opened, ['wss://example.test/socket.io/?EIO=4&transport=websocket']);
    assert.equal(socket.binaryType, 'arraybuffer');
  });

  it('hands a whole ArrayBuffer over as is, and a view of part of one as a copy of its bytes', () => {
    const whole = new Uint8Array([1, 2, 3]);
    assert.equal(browserPlatform.wrapBinary(whole), whole.buffer);
    const part = new Uint8Array(new Uint8Array([9, 1, 2, 9]).buffer, 1, 2);
    const copied = browserPlatform.wrapBinary(part);
    assert.ok(copied instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(copied)], [1, 2]);
  });

  it("listens to the page's online, offline and beforeunload events until told to stop", () => {
    const listening = new Map<string, () => void>();
    installPage({
      addEventListener: (type: string, listener: () => void) => listening.set(type, listener),
      removeEventListener: (type: string, listener: () => void) => {
        if (listening.get(type) === listener) listening.delete(type);
      },
    });
    const heard: string[] = [];
    const stops = [
      browserPlatform.onNetworkOnline(() => heard.push('online')),
      browserPlatform.onNetworkOffline(() => heard.push('offline')),
      browserPlatform.onBeforeUnload(() => heard.push('beforeunload')),
    ];
    for (const type of ['online', 'offline', 'beforeunload']) listening.get(type)!();
    assert.deepEqual(heard, ['online', 'offline', 'beforeunload']);
    for (const stop of stops) stop();
    assert.equal(listening.size, 0);
  });

  it('where there is no page (a worker, a test runner): no events, no location', () => {
    const stop = browserPlatform.onNetworkOffline(() => assert.fail('no page, no event'));
    stop();
    assert.equal(browserPlatform.pageLocation, undefined);
    installPage({ location: { protocol: 'https:', host: 'example.test' } });
    assert.deepEqual(browserPlatform.pageLocation, { protocol: 'https:', host: 'example.test' });
  });
});
