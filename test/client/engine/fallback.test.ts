/**
 * WebSocket first, long-polling as the fallback: a refused, dropped or hanging WebSocket leaves the
 * session on polling within the same `timeout`, and the session moves back to WebSocket once the
 * server lets upgrades through again. The official meanings of `tryAllTransports` and
 * `rememberUpgrade`, and single-transport modes that never use the other transport.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError } from '../../../src/client/engine/transport.js';
import { until, waitFor } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { SERVER_KINDS, openSession, record, sessionOptions, startEchoServer, type UpgradePolicy } from './helpers.js';

for (const kind of SERVER_KINDS) {
  describe(`WebSocket-first fallback against ${kind}`, () => {
    for (const policy of ['refuse', 'destroy'] as UpgradePolicy[]) {
      it(`an upgrade the server ${policy === 'refuse' ? 'answers 403' : 'drops'}: polling, then WebSocket once allowed`, () =>
        withServer(
          () => startEchoServer(kind),
          async (server) => {
            server.upgrades = policy;
            const { session, messages, errors, upgrades } = await openSession(sessionOptions(server.origin));
            try {
              assert.equal(session.transport.name, 'polling');
              assert.deepEqual(upgrades, ['polling']);
              assert.deepEqual(errors, [], 'a fallback is not an error');
              assert.equal(server.upgradeRequests, 1);
              session.send('over polling');
              await until(() => messages.length === 1, 3000, 'the echo over polling');
              assert.deepEqual(messages, ['over polling']);

              server.upgrades = 'allow';
              await waitFor(session, 'upgrade', 5000);
              assert.equal(session.transport.name, 'websocket');
              assert.deepEqual(upgrades, ['polling', 'websocket']);
              session.send('over WebSocket');
              await until(() => messages.length === 2, 3000, 'the echo over WebSocket');
              assert.deepEqual(server.received, ['over polling', 'over WebSocket']);
            } finally {
              session.close();
            }
          },
        ));
    }

    it('a WebSocket that hangs gives way to polling after half the timeout', () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          server.upgrades = 'hang';
          const { session, errors } = await openSession(sessionOptions(server.origin, { timeout: 1000 }));
          try {
            assert.equal(session.transport.name, 'polling');
            assert.deepEqual(errors, []);
          } finally {
            session.close();
          }
        },
      ));

    it('WebSocket only: a refused upgrade is one TransportError, then close, and no polling', () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          server.upgrades = 'refuse';
          const { session, errors, closes, closed } = record(
            sessionOptions(server.origin, { transports: ['websocket'] }),
          );
          const [reason] = await closed();
          assert.equal(reason, 'transport error');
          assert.equal(errors.length, 1);
          assert.ok(errors[0] instanceof TransportError);
          assert.equal(errors[0].type, 'TransportError');
          assert.equal(errors[0].message, 'websocket error');
          assert.equal(closes.length, 1);
          assert.equal(server.pollingRequests, 0);
          assert.equal(session.id, undefined);
        },
      ));

    it('polling first (official behaviour): a refused upgrade is tried once, the session stays on polling', () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          server.upgrades = 'refuse';
          const { session, messages, upgrades } = await openSession(
            sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
          );
          try {
            await until(() => server.upgradeRequests === 1, 3000, 'the upgrade attempt');
            session.send('still here');
            await until(() => messages.length === 1, 3000, 'the echo');
            // Past the first retry a fallen-back session would make (1 s).
            await new Promise((resolve) => setTimeout(resolve, 1300));
            assert.equal(server.upgradeRequests, 1);
            assert.equal(session.transport.name, 'polling');
            assert.deepEqual(upgrades, []);
          } finally {
            session.close();
          }
        },
      ));
  });
}

describe('tryAllTransports and rememberUpgrade', () => {
  it('polling first on a WebSocket-only server: an error, unless tryAllTransports', () =>
    withServer(
      async () => {
        const { EngineServer } = await import('../../../src/engine/index.js');
        const { createServer } = await import('node:http');
        const http = createServer();
        new EngineServer({ transports: ['websocket'] }).attach(http);
        http.listen(0, '127.0.0.1');
        await waitFor(http, 'listening');
        return http;
      },
      async (http) => {
        const origin = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
        const refused = record(sessionOptions(origin, { transports: ['polling', 'websocket'] }));
        assert.equal((await refused.closed())[0], 'transport error');
        assert.equal(refused.errors.length, 1);
        const error = refused.errors[0] as TransportError;
        assert.equal(error.message, 'xhr poll error');
        assert.equal(error.description, 400);
        assert.deepEqual(error.context, { status: 400, code: 0, message: 'Transport unknown' });

        const tried = await openSession(
          sessionOptions(origin, { transports: ['polling', 'websocket'], tryAllTransports: true }),
        );
        assert.equal(tried.session.transport.name, 'websocket');
        assert.deepEqual(tried.upgrades, ['websocket']);
        assert.deepEqual(tried.errors, []);
        tried.session.close();
      },
    ));

  it('rememberUpgrade: after a session reached WebSocket, the next one starts there', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const options = sessionOptions(server.origin, { transports: ['polling', 'websocket'], rememberUpgrade: true });
        // The flag is shared by every session of the process: the first one does not read it.
        const first = await openSession({ ...options, rememberUpgrade: false });
        assert.equal(first.session.transport.name, 'polling');
        await waitFor(first.session, 'upgrade');
        first.session.close();
        const requests = server.pollingRequests;
        const second = await openSession(options);
        assert.equal(second.session.transport.name, 'websocket');
        assert.equal(server.pollingRequests, requests, 'no polling request');
        second.session.close();
        const third = await openSession({ ...options, rememberUpgrade: false });
        assert.equal(third.session.transport.name, 'polling');
        third.session.close();
      },
    ));
});
