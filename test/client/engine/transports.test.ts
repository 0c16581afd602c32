/**
 * The client session against both servers (Switchboard's engine and the official `engine.io`), in
 * each transport mode: the handshake, text and binary echoed both ways, the transport it ends on,
 * and no message lost or reordered across an upgrade.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransportName } from '../../../src/client/engine/types.js';
import { until, waitFor } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { SERVER_KINDS, openSession, sessionOptions, startEchoServer } from './helpers.js';

const MODES: { name: string; transports: TransportName[]; opensOn: TransportName; endsOn: TransportName }[] = [
  {
    name: 'WebSocket first (default)',
    transports: ['websocket', 'polling'],
    opensOn: 'websocket',
    endsOn: 'websocket',
  },
  { name: 'WebSocket only', transports: ['websocket'], opensOn: 'websocket', endsOn: 'websocket' },
  { name: 'polling only', transports: ['polling'], opensOn: 'polling', endsOn: 'polling' },
  { name: 'polling upgraded', transports: ['polling', 'websocket'], opensOn: 'polling', endsOn: 'websocket' },
];

for (const kind of SERVER_KINDS) {
  describe(`client session against ${kind}`, () => {
    for (const mode of MODES) {
      it(`${mode.name}: handshake, text and binary echoed, ends on ${mode.endsOn}`, () =>
        withServer(
          () => startEchoServer(kind),
          async (server) => {
            const { session, messages, upgrades } = await openSession(
              sessionOptions(server.origin, { transports: mode.transports }),
            );
            try {
              assert.match(session.id ?? '', /^[\w-]{10,}$/);
              assert.equal(session.transport.name, mode.opensOn);
              if (mode.opensOn !== mode.endsOn) await waitFor(session, 'upgrade');
              assert.equal(session.transport.name, mode.endsOn);
              assert.deepEqual(upgrades, mode.opensOn === mode.endsOn ? [] : [mode.endsOn]);
              session.send('héllo ☃ 😀');
              session.send(new Uint8Array([0, 1, 2, 255]));
              session.send('');
              await until(
                () => messages.length === 3,
                3000,
                () => `3 echoes, got ${messages.length}`,
              );
              assert.deepEqual(messages, ['héllo ☃ 😀', Buffer.from([0, 1, 2, 255]), '']);
              assert.ok(Buffer.isBuffer(messages[1]), 'binary arrives as a Buffer on Node');
              assert.deepEqual(server.received, ['héllo ☃ 😀', Buffer.from([0, 1, 2, 255]), '']);
              if (mode.endsOn === 'websocket') assert.ok(server.upgradeRequests >= 1);
              else assert.equal(server.upgradeRequests, 0, 'a polling-only session never tries WebSocket');
            } finally {
              session.close();
            }
          },
        ));
    }

    it('polling upgraded: messages sent while the upgrade runs arrive once, in order', () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          const { session, messages } = await openSession(
            sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
          );
          try {
            const sent: string[] = [];
            const upgraded = waitFor(session, 'upgrade');
            // A burst now, more on every tick until the switch, then a last burst over WebSocket.
            const sendSome = (count: number): void => {
              for (let i = 0; i < count; i++) {
                sent.push(`m${sent.length}`);
                session.send(sent[sent.length - 1]!);
              }
            };
            sendSome(10);
            const ticker = setInterval(() => sendSome(2), 1);
            await upgraded.finally(() => clearInterval(ticker));
            sendSome(10);
            await until(
              () => messages.length === sent.length,
              3000,
              () => `${sent.length} echoes, got ${messages.length}`,
            );
            assert.deepEqual(server.received, sent);
            assert.deepEqual(messages, sent);
            assert.equal(session.transport.name, 'websocket');
          } finally {
            session.close();
          }
        },
      ));

    it("close() ends the session with 'forced close', once, and the server sees the session end", () =>
      withServer(
        () => startEchoServer(kind),
        async (server) => {
          for (const transports of [['websocket'], ['polling']] as TransportName[][]) {
            const recorded = await openSession(sessionOptions(server.origin, { transports }));
            recorded.session.send('last words');
            recorded.session.close();
            recorded.session.close();
            assert.deepEqual(recorded.closes, [['forced close', undefined]]);
            assert.equal(recorded.session.id, undefined);
            assert.equal(recorded.session.writable, false);
            // What was sent before close() still reaches the server.
            await until(() => server.received.includes('last words'), 3000, `the last message over ${transports[0]}`);
            recorded.session.send('after close');
            assert.deepEqual(recorded.errors, []);
          }
        },
      ));
  });
}
