/**
 * Ping floods from peers that never read (issue 10, item 2). Every ping asks for a pong (RFC 6455
 * §5.5.2); a peer that does not read would have them pile up in the server. §5.5.3 lets the server
 * answer only the latest ping while earlier pongs have not left: what waits is the socket's own
 * buffer and one pong. Past `maxUnansweredPings` pings left unanswered in a row, the connection is
 * closed with 1008 (`ERR_PING_FLOOD`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getDefaultHighWaterMark } from 'node:stream';
import type { Socket } from '../../src/server/index.js';
import { ErrorCode, type WebSocket, type WebSocketError } from '../../src/ws/index.js';
import { RawClient } from '../helpers/ws-peers.js';
import { floodPings, openEngineWebSocket, stopReading } from './attackers.js';
import { startRealtimeTarget, startWebSocketTarget, type HostileTarget } from './targets.js';
import { waitFor } from '../helpers/wait.js';

/** A ping with the largest payload (125 bytes) asks for the largest pong: 127 bytes on the wire. */
const PONG_SIZE = 127;
/** What waits for a peer that does not read: the socket's buffer, filled by one write at most past its mark, and one pong. */
const HELD_BOUND = getDefaultHighWaterMark(false) + 2 * PONG_SIZE;
/** Pings sent per round, between which the server gets to run. */
const ROUND = 5000;
/** At most this many pings in all (about 65 MB): far more than loopback buffers of a peer that does not read hold. */
const MAX_PINGS = 500_000;

/** Floods pings from `attacker`, a round at a time, until `done()` or `limit` pings; returns the pings sent. */
async function flood(attacker: RawClient, done: () => boolean, limit = MAX_PINGS): Promise<number> {
  let sent = 0;
  while (!done() && sent < limit && !attacker.ended) {
    floodPings(attacker, ROUND);
    sent += ROUND;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

async function openAttacker(target: HostileTarget): Promise<RawClient> {
  const attacker = await RawClient.open(target.port, target.webSocketPath);
  target.defer(() => attacker.destroy());
  assert.equal(attacker.status, 101);
  stopReading(attacker);
  return attacker;
}

describe('ping flood from a peer that never reads (RFC 6455 §5.5.3)', () => {
  test('WebSocketServer: the server holds one pong beyond its socket buffer, and closes the flood with 1008 past maxUnansweredPings', async () => {
    const target = await startWebSocketTarget();
    try {
      const accepted = waitFor<[WebSocket]>(target.wss, 'connection');
      const attacker = await openAttacker(target);
      const [serverSide] = await accepted;
      let mostHeld = 0;
      serverSide.on('ping', () => (mostHeld = Math.max(mostHeld, serverSide.bufferedAmount)));
      let failure: WebSocketError | undefined;
      serverSide.on('error', (error) => (failure = error as WebSocketError));
      const sent = await flood(attacker, () => failure !== undefined);
      assert.equal(failure?.code, ErrorCode.PingFlood, `no ERR_PING_FLOOD after ${sent} pings`);
      assert.ok(mostHeld <= HELD_BOUND, `the server held ${mostHeld} bytes for the attacker (bound ${HELD_BOUND})`);
      await target.roundTrip();
      // Reading at last, the attacker finds the pongs that left, then the close frame.
      attacker.socket.resume();
      assert.equal(await attacker.readCloseCode(), 1008);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('WebSocketServer without maxUnansweredPings: five floods at once cost each one pong beyond its socket buffer', async () => {
    const target = await startWebSocketTarget({ maxUnansweredPings: Infinity });
    try {
      const attackers = await Promise.all(Array.from({ length: 5 }, () => openAttacker(target)));
      let mostHeld = 0;
      for (const client of target.wss.clients)
        client.on('ping', () => (mostHeld = Math.max(mostHeld, client.bufferedAmount)));
      // 100,000 pings each (13 MB): more pongs than loopback buffers take from a peer that does not read.
      await Promise.all(attackers.map((attacker) => flood(attacker, () => false, 100_000)));
      await target.roundTrip();
      assert.ok(mostHeld <= HELD_BOUND, `a connection held ${mostHeld} bytes (bound ${HELD_BOUND})`);
      assert.ok(
        mostHeld > getDefaultHighWaterMark(false),
        'the floods filled their sockets: the bound was reached, not just respected',
      );
      assert.equal(target.wss.clients.size, 6, 'the floods stay open, each at its bound');
    } finally {
      await target.close();
    }
  });

  test('realtime Server: its WebSocket transport closes a ping flood with 1008 and the session with "transport error"', async () => {
    const target = await startRealtimeTarget();
    try {
      const joined = waitFor<[Socket]>(target.io, 'connection');
      const attacker = await openEngineWebSocket(target.port, { join: true });
      target.defer(() => attacker.client.destroy());
      stopReading(attacker.client);
      const [socket] = await joined;
      let reason: string | undefined;
      socket.on('disconnect', (why: string) => (reason = why));
      const sent = await flood(attacker.client, () => reason !== undefined);
      assert.equal(reason, 'transport error', `still connected after ${sent} pings`);
      await target.roundTrip();
      attacker.client.socket.resume();
      assert.equal(await attacker.client.readCloseCode(), 1008);
    } finally {
      await target.close();
    }
  });
});
