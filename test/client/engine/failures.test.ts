/**
 * What ends a client session other than `close()`: the heartbeat (pongs answered, `ping timeout`
 * when the server falls silent), a server's `close` packet, malformed input from a raw server over
 * either transport (`parse error`, never a throw), a refused handshake (one `error`, then `close`),
 * an opening that takes longer than `timeout`; and payloads split under the server's `maxPayload`.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { TransportError } from '../../../src/client/engine/transport.js';
import type { TransportName } from '../../../src/client/engine/types.js';
import { EngineServer } from '../../../src/engine/index.js';
import { WebSocketServer, type WebSocket } from '../../../src/ws/index.js';
import { until, waitFor } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { withEngine } from '../../engine/helpers.js';
import { SERVER_KINDS, openSession, record, sessionOptions, startEchoServer } from './helpers.js';

const OPEN = (pingInterval: number, pingTimeout: number, upgrades: string[] = []): string =>
  '0' + JSON.stringify({ sid: 'raw-session-id', upgrades, pingInterval, pingTimeout, maxPayload: 100_000 });

/** A WebSocket server that runs `script` on each connection, with the engine's path. */
async function rawWebSocketServer(script: (socket: WebSocket) => void): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', script);
  await waitFor(wss, 'listening');
  return wss;
}

function wsOrigin(wss: WebSocketServer): string {
  return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** A polling server answering the handshake GET with `handshake` and every later GET with `poll`. */
async function rawPollingServer(handshake: string, poll: string) {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' });
    if (req.method === 'POST') res.end('ok');
    else res.end(req.url?.includes('sid=') === true ? poll : handshake);
  });
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  return http;
}

describe('heartbeat', () => {
  it('answers every ping with a pong and emits ping (the server keeps the session)', () =>
    withEngine({ pingInterval: 30, pingTimeout: 200 }, async (fixture) => {
      for (const transports of [['websocket'], ['polling']] as TransportName[][]) {
        const { session, closes } = await openSession(sessionOptions(fixture.origin, { transports }));
        let pings = 0;
        session.on('ping', () => pings++);
        await until(
          () => pings >= 5,
          3000,
          () => `5 pings over ${transports[0]}, got ${pings}`,
        );
        assert.deepEqual(closes, []);
        session.close();
      }
    }));

  it("closes with 'ping timeout' when the server stops pinging", () =>
    withServer(
      () => rawWebSocketServer((socket) => socket.send(OPEN(40, 40))),
      async (wss) => {
        const { session, closed, errors } = record(sessionOptions(wsOrigin(wss), { transports: ['websocket'] }));
        await waitFor(session, 'open');
        const [reason] = await closed(2000);
        assert.equal(reason, 'ping timeout');
        assert.deepEqual(errors, []);
      },
    ));
});

describe('the server ends the session', () => {
  for (const kind of SERVER_KINDS) {
    it(`${kind}: a session the server closes ends with 'transport close', over either transport`, () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          for (const transports of [['websocket'], ['polling']] as TransportName[][]) {
            const { closed, errors } = await openSession(sessionOptions(server.origin, { transports }));
            server.closeSessions();
            const [reason] = await closed();
            assert.equal(reason, 'transport close', `over ${transports[0]}`);
            assert.deepEqual(errors, []);
          }
        },
      ));
  }
});

describe('malformed input from the server', () => {
  it("a frame that is not a packet, once open: 'parse error', no error event, no throw", () =>
    withServer(
      () =>
        rawWebSocketServer((socket) => {
          socket.send(OPEN(10_000, 10_000));
          setTimeout(() => socket.send('9 is no packet type'), 20);
        }),
      async (wss) => {
        const { closed, errors, messages } = await openSession(
          sessionOptions(wsOrigin(wss), { transports: ['websocket'] }),
        );
        const [reason, description] = await closed();
        assert.equal(reason, 'parse error');
        assert.ok(description instanceof TransportError);
        assert.deepEqual(errors, []);
        assert.deepEqual(messages, []);
      },
    ));

  for (const [what, frame] of [
    ['an open packet that is not JSON', '0{nope'],
    ['an open packet without data', '0'],
    ['an open packet without sid', '0{"upgrades":[],"pingInterval":1,"pingTimeout":1}'],
    ['a message before the handshake', '4hello'],
  ] as const) {
    it(`${what} while opening: one error, then 'parse error'`, () =>
      withServer(
        () => rawWebSocketServer((socket) => socket.send(frame)),
        async (wss) => {
          const { closed, errors } = record(sessionOptions(wsOrigin(wss), { transports: ['websocket'] }));
          const [reason] = await closed();
          assert.equal(reason, 'parse error');
          assert.equal(errors.length, 1);
          assert.equal(errors[0]!.message, 'parse error');
        },
      ));
  }

  for (const [what, payload] of [
    ['invalid base64', '4ok\x1eb!!!'],
    ['an unknown packet type', '4ok\x1e8'],
    ['an empty packet', '4ok\x1e'],
  ] as const) {
    it(`a polling payload with ${what}: 'parse error', nothing of it delivered`, () =>
      withServer(
        () => rawPollingServer(OPEN(10_000, 10_000), payload),
        async (http) => {
          const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
          const { closed, errors, messages } = await openSession(sessionOptions(origin, { transports: ['polling'] }));
          const [reason] = await closed();
          assert.equal(reason, 'parse error');
          assert.deepEqual(errors, []);
          assert.deepEqual(messages, []);
        },
      ));
  }
});

describe('refused or slow openings', () => {
  for (const kind of SERVER_KINDS) {
    it(`${kind}: a handshake refused by allowRequest is one TransportError with the status and body, then close`, () =>
      withServer(
        async () => {
          const http = createServer();
          const allowRequest = (_req: IncomingMessage, callback: (error: string | null, ok: boolean) => void): void =>
            callback('no entry', false);
          if (kind === 'switchboard') new EngineServer({ allowRequest }).attach(http);
          else new (await import('engine.io')).Server({ allowRequest }).attach(http);
          http.listen(0, '127.0.0.1');
          await waitFor(http, 'listening');
          return http;
        },
        async (http) => {
          const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
          const { closed, errors, closes } = record(sessionOptions(origin, { transports: ['polling'] }));
          const [reason, description] = await closed();
          assert.equal(reason, 'transport error');
          assert.equal(errors.length, 1);
          const error = errors[0] as TransportError;
          assert.equal(description, error);
          assert.equal(error.type, 'TransportError');
          assert.equal(error.message, 'xhr poll error');
          assert.equal(error.description, 403);
          assert.deepEqual(error.context, { status: 403, code: 4, message: 'no entry' });
          assert.equal(closes.length, 1);
        },
      ));
  }

  it('an opening that outlasts timeout: one error, then close', () =>
    withServer(
      async () => {
        // Holds every request without answering.
        const http = createServer(() => {});
        http.listen(0, '127.0.0.1');
        await waitFor(http, 'listening');
        return http;
      },
      async (http) => {
        const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const { closed, errors } = record(sessionOptions(origin, { transports: ['polling'], timeout: 200 }));
        const [reason] = await closed();
        assert.equal(reason, 'transport error');
        assert.equal(errors.length, 1);
        assert.equal(errors[0]!.message, 'timeout');
      },
    ));
});

describe('no deadline', () => {
  // A timer longer than 2^31 - 1 ms fires at once: an infinite timeout must start none.
  it("timeout Infinity (the Manager's timeout: false): a slow handshake is waited for", () =>
    withServer(
      async () => {
        const http = createServer((req: IncomingMessage, res: ServerResponse) => {
          const answer = req.url?.includes('sid=') === true ? '6' : OPEN(10_000, 10_000);
          setTimeout(() => res.end(answer), 100);
        });
        http.listen(0, '127.0.0.1');
        await waitFor(http, 'listening');
        return http;
      },
      async (http) => {
        const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const { session, errors, closes } = await openSession(
          sessionOptions(origin, { transports: ['polling'], timeout: Infinity }),
        );
        session.close();
        assert.deepEqual(errors, []);
        assert.deepEqual(closes, [['forced close', undefined]]);
      },
    ));
});

describe('maxPayload', () => {
  for (const kind of SERVER_KINDS) {
    it(`${kind}: a burst larger than maxPayload goes in several POSTs, none over the limit`, () =>
      withServer(
        () => startEchoServer(kind, { maxHttpBufferSize: 300 }),
        async (server) => {
          const { session, messages, closes } = await openSession(
            sessionOptions(server.origin, { transports: ['polling'] }),
          );
          try {
            const sent: (string | Buffer)[] = [];
            for (let i = 0; i < 40; i++)
              sent.push(i % 4 === 3 ? Buffer.alloc(60, i) : `message ${i} ${'é'.repeat(30)}`);
            for (const data of sent) session.send(data);
            await until(
              () => messages.length === sent.length,
              5000,
              () => `${sent.length} echoes, got ${messages.length}`,
            );
            assert.deepEqual(messages, sent);
            assert.deepEqual(closes, []);
            assert.ok(server.postSizes.length >= 10, `${server.postSizes.length} POSTs`);
            assert.ok(Math.max(...server.postSizes) <= 300, `POST sizes ${server.postSizes.join(', ')}`);
          } finally {
            session.close();
          }
        },
      ));
  }
});
