/**
 * A session closed by its application at awkward moments (while opening, from its own `open` or
 * `error` listener, right after a send over polling), and a WebSocket closed by the server before
 * the handshake: each reports exactly one close, and what was sent still reaches the server.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { TransportError } from '../../../src/client/engine/transport.js';
import { WebSocketServer } from '../../../src/ws/index.js';
import { sleep, until, waitFor } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { openSession, record, sessionOptions, startEchoServer } from './helpers.js';

/** A WebSocket server that closes every connection as soon as it opens, before any handshake. */
async function closingWebSocketServer(): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (socket) => socket.close(1001, 'going away'));
  await waitFor(wss, 'listening');
  return wss;
}

const originOf = (wss: WebSocketServer): string => `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;

describe('the server closes the WebSocket before the handshake', () => {
  it("WebSocket only: one 'transport close' error carrying the close event, then 'transport error'", () =>
    withServer(closingWebSocketServer, async (wss) => {
      const { closed, errors, closes } = record(sessionOptions(originOf(wss), { transports: ['websocket'] }));
      const [reason, description] = await closed();
      assert.equal(reason, 'transport error');
      assert.equal(errors.length, 1);
      const error = errors[0] as TransportError;
      assert.equal(error.message, 'transport close');
      assert.equal((error.description as { code: number }).code, 1001);
      assert.equal(description, error);
      assert.equal(closes.length, 1);
    }));

  it("an error listener that closes the session: the only close is 'forced close'", () =>
    withServer(closingWebSocketServer, async (wss) => {
      const { session, closes, errors } = record(sessionOptions(originOf(wss), { transports: ['websocket'] }));
      session.on('error', () => session.close());
      await until(
        () => errors.length === 1,
        3000,
        () => 'the opening error',
      );
      assert.deepEqual(closes, [['forced close', undefined]]);
    }));
});

describe('closed by the application', () => {
  it("while opening: 'forced close' once, no error, and the opening request goes nowhere", () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const { session, closes, errors } = record(sessionOptions(server.origin, { transports: ['websocket'] }));
        session.close();
        session.send('never');
        assert.deepEqual(closes, [['forced close', undefined]]);
        await sleep(50);
        assert.deepEqual(errors, []);
        assert.deepEqual(closes.length, 1);
        assert.deepEqual(server.received, []);
      },
    ));

  it('from its own open listener: no upgrade is tried afterwards', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const { session, closes, upgrades } = record(
          sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
        );
        session.on('open', () => session.close());
        await until(
          () => closes.length === 1,
          3000,
          () => 'the close',
        );
        // A probe would have opened its WebSocket by now.
        await sleep(100);
        assert.equal(server.upgradeRequests, 0);
        assert.deepEqual(upgrades, []);
        assert.deepEqual(closes, [['forced close', undefined]]);
      },
    ));

  it('over polling right after a send: the message goes, then the close, in a POST of its own', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const { session } = await openSession(sessionOptions(server.origin, { transports: ['polling'] }));
        const posts = server.postSizes.length;
        session.send('last words');
        session.close();
        await until(
          () => server.postSizes.length === posts + 2,
          3000,
          () => `2 POSTs (the message, then the close), got ${server.postSizes.length - posts}`,
        );
        assert.deepEqual(server.received, ['last words']);
      },
    ));
});

describe('a polling request refused by a proxy', () => {
  it('an error page that is not JSON: the status is all the error tells', () =>
    withServer(
      async () => {
        const http = createServer((_req, res) => {
          res.writeHead(502, { 'Content-Type': 'text/html' });
          res.end('<html><body>Bad Gateway</body></html>');
        });
        http.listen(0, '127.0.0.1');
        await waitFor(http, 'listening');
        return http;
      },
      async (http) => {
        const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const { closed, errors } = record(sessionOptions(origin, { transports: ['polling'] }));
        const [reason] = await closed();
        assert.equal(reason, 'transport error');
        assert.equal(errors.length, 1);
        const error = errors[0] as TransportError;
        assert.equal(error.message, 'xhr poll error');
        assert.equal(error.description, 502);
        assert.deepEqual(error.context, { status: 502 });
      },
    ));

  it('a JSON body of the wrong shape: only the status is kept', () =>
    withServer(
      async () => {
        const http = createServer((_req, res) => {
          res.writeHead(400, { 'Content-Type': 'application/json' });
          res.end('{"code":"one","message":3}');
        });
        http.listen(0, '127.0.0.1');
        await waitFor(http, 'listening');
        return http;
      },
      async (http) => {
        const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const { closed, errors } = record(sessionOptions(origin, { transports: ['polling'] }));
        await closed();
        assert.deepEqual((errors[0] as TransportError).context, { status: 400 });
      },
    ));
});
