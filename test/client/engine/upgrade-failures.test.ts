/**
 * Upgrades from polling that do not complete: probes refused again after a fallback (retried, with
 * a growing delay), a probe whose WebSocket dies after the server answered it (polling resumes,
 * carries what was sent meanwhile, and polls again even if its poll ended while pausing), a server
 * that answers a probe with something else; and a server that predates `maxPayload` (everything
 * waiting goes in one POST).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from '../../../src/ws/index.js';
import { sleep, until } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { openSession, sessionOptions, startEchoServer } from './helpers.js';
import { HANDSHAKE, rawEngine } from './raw-engine.js';

describe('upgrades that do not complete', () => {
  it('after a fallback to polling, a refused probe is tried again, and again', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        server.upgrades = 'refuse';
        const { session, closes } = await openSession(sessionOptions(server.origin));
        try {
          // The first request is the WebSocket the session opened with; then the probes after 1 s and 2 s.
          await until(
            () => server.upgradeRequests >= 3,
            6000,
            () => `3 upgrade requests, got ${server.upgradeRequests}`,
          );
          assert.equal(session.transport.name, 'polling');
          assert.deepEqual(closes, []);
        } finally {
          session.close();
        }
      },
    ));

  it('a WebSocket lost after the server answered the probe: polling resumes and carries what was sent meanwhile', () =>
    withServer(
      () =>
        rawEngine({ ...HANDSHAKE, maxPayload: 100_000 }, (socket) =>
          socket.on('message', (data) => {
            if (String(data) !== '2probe') return;
            socket.send('3probe');
            // Polling cannot pause (its GET is held), so the switch waits until this close.
            setTimeout(() => socket.terminate(), 200);
          }),
        ),
      async (server) => {
        const { session, upgrades, closes } = await openSession(
          sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
        );
        try {
          await until(() => !session.writable, 3000, 'the session pausing for the upgrade');
          session.send('sent while upgrading');
          await until(() => server.posts.length > 0, 3000, 'the POST after the failed upgrade');
          assert.deepEqual(server.posts, ['4sent while upgrading']);
          assert.equal(session.transport.name, 'polling');
          await until(() => session.writable, 3000, 'the session writable again once the POST is answered');
          assert.deepEqual(upgrades, []);
          assert.deepEqual(closes, []);
        } finally {
          session.close();
        }
      },
    ));

  it('a probe that fails after its poll ended while a POST was still out: polling starts a new poll', () => {
    const probes: WebSocket[] = [];
    return withServer(
      () =>
        rawEngine(
          { ...HANDSHAKE, maxPayload: 100_000 },
          (socket) => socket.on('message', (data) => String(data) === '2probe' && probes.push(socket)),
          true,
        ),
      async (server) => {
        const { session, closes } = await openSession(
          sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
        );
        try {
          session.send('held');
          await until(
            () => server.heldPosts.length === 1 && server.gets.length === 1 && probes.length === 1,
            3000,
            'the POST, the poll and the probe, all held',
          );
          probes[0]!.send('3probe');
          // Let the client read the answer and start pausing before its poll ends (nothing on the
          // wire shows it; generous, so that a loaded machine does not read '6' first).
          await sleep(500);
          // What a server answers a poll with when an upgrade starts.
          server.gets.shift()!.end('6');
          await sleep(50);
          assert.equal(server.gets.length, 0, 'no new poll while pausing');
          probes[0]!.terminate();
          await until(
            () => server.gets.length === 1,
            3000,
            'a new poll after the failed upgrade, with the POST still out',
          );
          server.heldPosts.shift()!.end('ok');
          assert.equal(session.transport.name, 'polling');
          assert.deepEqual(closes, []);
        } finally {
          session.close();
        }
      },
    );
  });

  it('a probe answered with anything but 3probe: the client closes that WebSocket and stays on polling', () => {
    let closedProbes = 0;
    return withServer(
      () =>
        rawEngine({ ...HANDSHAKE, maxPayload: 100_000 }, (socket) => {
          socket.on('message', () => socket.send('3nope'));
          socket.on('close', () => closedProbes++);
        }),
      async (server) => {
        const { session, upgrades, closes } = await openSession(
          sessionOptions(server.origin, { transports: ['polling', 'websocket'] }),
        );
        try {
          await until(() => closedProbes === 1, 3000, 'the probe WebSocket closed by the client');
          session.send('after the probe');
          await until(() => server.posts.length > 0, 3000, 'the POST over polling');
          assert.deepEqual(server.posts, ['4after the probe']);
          assert.equal(session.transport.name, 'polling');
          assert.deepEqual(upgrades, []);
          assert.deepEqual(closes, []);
        } finally {
          session.close();
        }
      },
    );
  });

  it('a server that predates maxPayload: every message waiting goes in one POST', () =>
    withServer(
      () => rawEngine({ ...HANDSHAKE, upgrades: [] }, () => {}),
      async (server) => {
        const { session } = await openSession(sessionOptions(server.origin, { transports: ['polling'] }));
        try {
          for (let n = 0; n < 50; n++) session.send(`message ${n} ${'x'.repeat(2000)}`);
          await until(
            () => server.posts.length >= 2,
            3000,
            () => `2 POSTs, got ${server.posts.length}`,
          );
          // The first send went at once; the 49 queued behind it went together.
          assert.equal(server.posts[1]!.split('\x1e').length, 49);
        } finally {
          session.close();
        }
      },
    ));
});
