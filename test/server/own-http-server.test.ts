import assert from 'node:assert/strict';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HTTP_SERVER_LIMITS, createHttpServer } from '../../src/engine/index.js';
import { Server } from '../../src/server/index.js';
import { RawClient } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';

describe('the HTTP server the realtime server creates for a port', () => {
  it('times request heads close to a WebSocket handshake, not with Node’s 60 s', async () => {
    const io = new Server(0);
    try {
      const http = io.httpServer as HttpServer;
      assert.equal(http.headersTimeout, HTTP_SERVER_LIMITS.headersTimeout);
      assert.equal(http.requestTimeout, HTTP_SERVER_LIMITS.requestTimeout);
      assert.equal(http.keepAliveTimeout, HTTP_SERVER_LIMITS.keepAliveTimeout);
      assert.deepEqual(HTTP_SERVER_LIMITS, {
        headersTimeout: 10_000,
        requestTimeout: 30_000,
        keepAliveTimeout: 5_000,
        maxHeaderSize: 16_384,
      });
    } finally {
      await io.close();
    }
  });

  it('answers 408 to a request head that never ends, upgrade or polling, and closes', async () => {
    const http = createHttpServer({ headersTimeout: 150, requestTimeout: 150 });
    const io = new Server(http);
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    const { port } = http.address() as AddressInfo;
    try {
      assert.equal(http.headersTimeout, 150);
      const unfinished = [
        'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n',
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n',
      ];
      for (const head of unfinished) {
        const raw = await RawClient.connect(port, head);
        assert.equal(raw.status, 408, head);
        await raw.waitForEnd();
      }
    } finally {
      await io.close();
    }
  });

  it('refuses limits that make no sense, naming them', () => {
    assert.throws(() => createHttpServer({ headersTimeout: 0 }), { name: 'TypeError', message: /headersTimeout/ });
    assert.throws(() => createHttpServer({ requestTimeout: 1.5 }), { name: 'TypeError', message: /requestTimeout/ });
    assert.throws(() => createHttpServer({ keepAliveTimeout: -1 }), { name: 'TypeError', message: /keepAliveTimeout/ });
    assert.throws(() => createHttpServer({ maxHeaderSize: 0 }), { name: 'TypeError', message: /maxHeaderSize/ });
    assert.throws(() => createHttpServer({ headersTimeout: 20_000, requestTimeout: 10_000 }), {
      name: 'TypeError',
      message: /headersTimeout .* requestTimeout/,
    });
  });
});
