/**
 * Slow WebSocket clients of the engine: a broadcast of prepared frames goes through the same
 * per-connection ceiling and process-wide send budget as any WebSocket send, so clients that stop
 * reading are closed (1013 on the wire, "transport error" for the session) while one that reads gets
 * every message, and what their open connections hold stays within the budget plus, each, its
 * allowance and one message (a closed one has left the budget, and its socket goes after a grace).
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, it } from 'node:test';
import { EngineServer, PreparedMessage, type EngineSocket } from '../../src/engine/index.js';
import { SendBudget, type WebSocketServer } from '../../src/ws/index.js';
import { RawClient, upgradeRequest } from '../helpers/ws-peers.js';
import { RawWebSocket, startEngine } from './helpers.js';
import { until, waitFor } from '../helpers/wait.js';

const HIGH_WATER_MARK = 64 * 1024;
const MESSAGE_SIZE = 32 * 1024;
/** At most 64 MB per session: far more than the loopback buffers of a client that does not read hold (a few MB). */
const MAX_MESSAGES = 2048;

describe('slow WebSocket clients of the engine', () => {
  it('closes them at the send budget while a broadcast of prepared frames goes on to a client that reads', async () => {
    const limit = 8 * HIGH_WATER_MARK;
    const budget = new SendBudget(limit);
    const fixture = await startEngine({
      pingInterval: 60_000,
      connectionLimits: { highWaterMark: HIGH_WATER_MARK, maxBufferedAmount: 64 * HIGH_WATER_MARK, sendBudget: budget },
    });
    const slow: { raw: RawClient; session: EngineSocket; closed: Promise<unknown[]> }[] = [];
    let healthy: RawWebSocket | undefined;
    try {
      for (let i = 0; i < 2; i++) {
        const connection = fixture.nextConnection();
        const raw = await RawClient.connect(fixture.port, upgradeRequest(fixture.path('EIO=4&transport=websocket')));
        const session = await connection;
        raw.socket.pause();
        slow.push({ raw, session, closed: waitFor(session, 'close', 10_000) });
      }
      const reader = await RawWebSocket.connect(fixture.url('EIO=4&transport=websocket').replace('http:', 'ws:'));
      healthy = reader;
      assert.equal((await reader.nextText())[0], '0');

      // What the clients cost is held by the WebSocket server's connections.
      const connections = (fixture.engine as unknown as { wss: WebSocketServer }).wss.clients;
      let maxQueued = 0;
      let maxCharged = 0;
      let broadcasts = 0;
      while (broadcasts < MAX_MESSAGES && slow.some(({ session }) => session.readyState === 'open')) {
        const data = Buffer.alloc(MESSAGE_SIZE);
        data.writeUInt32BE(broadcasts);
        const prepared = new PreparedMessage(data);
        const received = reader.next();
        for (const session of fixture.engine.clients.values()) session.sendPrepared(prepared);
        let held = 0;
        for (const socket of connections) if (socket.readyState === socket.OPEN) held += socket.bufferedAmount;
        maxQueued = Math.max(maxQueued, held);
        maxCharged = Math.max(maxCharged, budget.queuedBytes);
        const message = await received;
        assert.equal(message.isBinary, true);
        assert.equal(message.data.readUInt32BE(0), broadcasts++, 'the client that reads gets every message, in order');
      }
      for (const { closed } of slow) assert.equal((await closed)[0], 'transport error');
      // Every connection, the reader's too, may hold its allowance (its socket's buffer) and one
      // message (a frame with its header) uncharged.
      const bound = limit + (slow.length + 1) * (getDefaultHighWaterMark(false) + MESSAGE_SIZE + 16);
      assert.ok(maxQueued <= bound, `the open connections held ${maxQueued} bytes together (bound ${bound})`);
      assert.ok(maxCharged <= bound, `the budget was charged ${maxCharged} bytes (bound ${bound})`);
      assert.ok(maxQueued > limit / 2, 'the budget did fill');
      assert.equal(budget.closedConnections, slow.length);
      assert.equal(fixture.engine.clientsCount, 1);

      for (const { raw } of slow) {
        raw.socket.resume();
        assert.equal(await raw.readCloseCode(), 1013);
        raw.destroy();
      }
      await until(() => budget.queuedBytes === 0, 3000, 'the budget to empty');
      assert.equal(budget.slowConnections, 0);
    } finally {
      healthy?.close();
      for (const { raw } of slow) raw.destroy();
      await fixture.close();
    }
  });

  it('checks the connection limits at construction', () => {
    assert.throws(
      () => new EngineServer({ connectionLimits: { highWaterMark: 1024, maxBufferedAmount: 1023 } }),
      /maxBufferedAmount/,
    );
    assert.throws(() => new EngineServer({ connectionLimits: { highWaterMark: -1 } }), /highWaterMark/);
    assert.throws(() => new EngineServer({ connectionLimits: { maxFragments: 0 } }), /maxFragments/);
    assert.throws(() => new EngineServer({ connectionLimits: { sendBudget: {} as SendBudget } }), /sendBudget/);
  });
});
