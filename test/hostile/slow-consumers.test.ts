/**
 * Peers that stop reading while the server broadcasts, under the default `wait` backpressure
 * policy (issue 10, item 6), and realtime clients that stop polling. Each slow connection is held
 * to `maxBufferedAmount` and all of them together to their `sendBudget`; past either, the
 * connection is closed with 1013 (a realtime session with "transport error"), while the healthy
 * client gets every broadcast, in order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket } from '../../src/server/index.js';
import { SendBudget, type WebSocket } from '../../src/ws/index.js';
import { RawClient } from '../helpers/ws-peers.js';
import { openEnginePolling, openEngineWebSocket, stopReading } from './attackers.js';
import { startRealtimeTarget, startWebSocketTarget } from './targets.js';
import { waitFor } from '../helpers/wait.js';

const HIGH_WATER_MARK = 64 * 1024;
const MAX_BUFFERED_AMOUNT = 4 * HIGH_WATER_MARK;
/** Less than the slow peers' ceilings together: the budget, not only the ceiling, has work to do. */
const BUDGET = 6 * HIGH_WATER_MARK;
const SLOW_PEERS = 8;
/** Broadcasts of 16 KiB: at most 32 MB each peer, far beyond what loopback buffers of a peer that does not read take. */
const MESSAGE = 'x'.repeat(16 * 1024);
const MAX_BROADCASTS = 2000;

describe('slow consumers of a broadcast under the wait policy', () => {
  test('WebSocketServer: slow peers are closed with 1013 within their ceiling and the budget; the reader gets every message', async () => {
    const budget = new SendBudget(BUDGET);
    const target = await startWebSocketTarget({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount: MAX_BUFFERED_AMOUNT,
      sendBudget: budget,
      heartbeatInterval: 0,
    });
    try {
      const slow: { raw: RawClient; socket: WebSocket }[] = [];
      for (let i = 0; i < SLOW_PEERS; i++) {
        const accepted = waitFor<[WebSocket]>(target.wss, 'connection');
        const raw = await RawClient.open(target.port);
        target.defer(() => raw.destroy());
        stopReading(raw);
        slow.push({ raw, socket: (await accepted)[0] });
      }
      let broadcasts = 0;
      let mostQueued = 0;
      let mostHeld = 0;
      while (broadcasts < MAX_BROADCASTS && slow.some(({ socket }) => socket.readyState === socket.OPEN)) {
        // The reader keeps up: it has each broadcast before the next one goes.
        const read = waitFor(target.healthy, 'message');
        target.wss.broadcast(MESSAGE);
        broadcasts++;
        mostQueued = Math.max(mostQueued, budget.queuedBytes);
        for (const { socket } of slow) mostHeld = Math.max(mostHeld, socket.bufferedAmount);
        await read;
      }
      assert.ok(broadcasts < MAX_BROADCASTS, 'every slow peer was closed');
      assert.ok(mostQueued <= BUDGET, `slow peers held ${mostQueued} bytes together`);
      assert.ok(mostHeld <= MAX_BUFFERED_AMOUNT, `a slow peer held ${mostHeld} bytes`);
      assert.ok(budget.closedConnections > 0, 'the budget closed some');
      for (const { raw } of slow) {
        raw.socket.resume();
        assert.equal(await raw.readCloseCode(), 1013);
      }
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  for (const transport of ['websocket', 'polling'] as const) {
    test(`realtime Server over ${transport}: slow clients of io.emit leave with "transport error" within the budget; the reader gets every event`, async () => {
      const budget = new SendBudget(BUDGET);
      const target = await startRealtimeTarget({
        connectionLimits: {
          highWaterMark: HIGH_WATER_MARK,
          maxBufferedAmount: MAX_BUFFERED_AMOUNT,
          sendBudget: budget,
        },
      });
      try {
        const reasons: Promise<[string]>[] = [];
        for (let i = 0; i < SLOW_PEERS; i++) {
          const joined = waitFor<[Socket]>(target.io, 'connection');
          if (transport === 'websocket') {
            const attacker = await openEngineWebSocket(target.port, { join: true });
            target.defer(() => attacker.client.destroy());
            stopReading(attacker.client);
          } else {
            // Joins, then never polls again: what is sent to it waits in its session.
            await openEnginePolling(target.port, { join: true });
          }
          reasons.push(waitFor<[string]>((await joined)[0], 'disconnect', 10_000));
        }
        let broadcasts = 0;
        let mostQueued = 0;
        let mostHeld = 0;
        while (broadcasts < MAX_BROADCASTS && target.io.engine.clientsCount > 1) {
          // The reader keeps up: it has each broadcast before the next one goes.
          const read = waitFor(target.healthy, 'news');
          target.io.emit('news', MESSAGE);
          broadcasts++;
          mostQueued = Math.max(mostQueued, budget.queuedBytes);
          for (const session of target.io.engine.clients.values())
            mostHeld = Math.max(mostHeld, session.bufferedAmount);
          await read;
        }
        assert.ok(broadcasts < MAX_BROADCASTS, 'every slow client was closed');
        assert.ok(mostQueued <= BUDGET, `slow clients held ${mostQueued} bytes together`);
        assert.ok(mostHeld <= MAX_BUFFERED_AMOUNT, `a polling session held ${mostHeld} bytes`);
        for (const reason of reasons) assert.equal((await reason)[0], 'transport error');
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });
  }
});
