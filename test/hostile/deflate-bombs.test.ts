/**
 * Deflate bomb storms (issue 10, item 7a): many connections each send a message of a few kilobytes
 * that inflates to nearly `maxPayload` (RFC 7692 §8 warns of it). `maxPayload` bounds one message;
 * the process-wide `InflateBudget` bounds them all together: past it the connection inflating the
 * most is closed with 1013 (`ERR_INFLATE_BUDGET_EXCEEDED`), and the healthy client is served.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import type { Socket } from '../../src/server/index.js';
import { ErrorCode, InflateBudget, type WebSocket, type WebSocketError } from '../../src/ws/index.js';
import { RawClient } from '../helpers/ws-peers.js';
import { compressedFrame, deflateBomb, DEFLATE_OFFER, openEngineWebSocket } from './attackers.js';
import { startRealtimeTarget, startWebSocketTarget } from './targets.js';
import { until, waitFor } from '../helpers/wait.js';

const BOMBS = 16;

/** Samples `budget` on every turn of the event loop until `done()`; answers the most it held. */
async function watchBudget(budget: InflateBudget, done: () => boolean): Promise<number> {
  let most = 0;
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) {
    most = Math.max(most, budget.inflatingBytes);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return most;
}

describe('deflate bomb storms', () => {
  test('WebSocketServer: 16 bombs at once hold at most the inflate budget; the ones it refuses get 1013', async () => {
    const maxPayload = 1024 * 1024;
    const budget = new InflateBudget(2 * maxPayload);
    const target = await startWebSocketTarget({ maxPayload, perMessageDeflate: { inflateBudget: budget } });
    try {
      const outcomes: Promise<number | undefined>[] = [];
      const errors: string[] = [];
      target.wss.on('connection', (socket: WebSocket) =>
        socket.on('error', (error) => errors.push((error as WebSocketError).code)),
      );
      const attackers = await Promise.all(
        Array.from({ length: BOMBS }, () => RawClient.open(target.port, '/', DEFLATE_OFFER)),
      );
      const bomb = deflateBomb(maxPayload - 1);
      assert.ok(bomb.length < maxPayload / 500, `a ${bomb.length}-byte bomb`);
      for (const attacker of attackers) {
        target.defer(() => attacker.destroy());
        assert.equal(attacker.status, 101);
        attacker.write(bomb);
        // Each gets its echo (it fit) or a close frame (it did not): whichever comes first.
        outcomes.push(
          attacker
            .readFrame(10_000)
            .then((frame) => (frame?.opcode === 0x8 ? frame.payload.readUInt16BE(0) : frame?.opcode)),
        );
      }
      let settled = 0;
      for (const outcome of outcomes) void outcome.then(() => settled++);
      const most = await watchBudget(budget, () => settled === BOMBS);
      await target.roundTrip();
      assert.ok(most <= budget.limit, `messages inflating held ${most} bytes`);
      const codes = await Promise.all(outcomes);
      for (const code of codes) assert.ok(code === 0x2 || code === 1013, `an attacker got ${code}`);
      assert.equal(codes.filter((code) => code === 1013).length, budget.closedConnections);
      assert.deepEqual(new Set(errors), new Set(budget.closedConnections > 0 ? [ErrorCode.InflateBudgetExceeded] : []));
      await until(() => budget.inflatingBytes === 0, 3000, 'the budget to be given back');

      // A bomb larger than the whole budget is refused on its own, whatever else inflates.
      budget.limit = maxPayload / 2;
      const alone = await RawClient.open(target.port, '/', DEFLATE_OFFER);
      target.defer(() => alone.destroy());
      alone.write(bomb);
      assert.equal(await alone.readCloseCode(), 1013);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('realtime Server: bombs over its WebSocket transport hold at most the inflate budget; refused sessions end with "transport error"', async () => {
    const maxHttpBufferSize = 1_000_000;
    const budget = new InflateBudget(1024 * 1024);
    const target = await startRealtimeTarget({ maxHttpBufferSize, perMessageDeflate: { inflateBudget: budget } });
    let delivered = 0;
    target.io.on('connection', (socket: Socket) => socket.on('bomb', () => delivered++));
    try {
      // A Socket.IO EVENT of nearly maxHttpBufferSize bytes, compressed: a text frame of a few kilobytes.
      const text = `42["bomb","${'a'.repeat(maxHttpBufferSize - 20)}"]`;
      const bomb = compressedFrame(0x1, Buffer.from(text));
      const reasons: string[] = [];
      for (let i = 0; i < BOMBS; i++) {
        const joined = waitFor<[Socket]>(target.io, 'connection');
        const attacker = await openEngineWebSocket(target.port, { join: true, extraHeaders: DEFLATE_OFFER });
        target.defer(() => attacker.client.destroy());
        const [socket] = await joined;
        socket.on('disconnect', (reason: string) => reasons.push(reason));
        attacker.client.write(bomb);
      }
      const most = await watchBudget(budget, () => delivered + reasons.length >= BOMBS);
      assert.ok(most <= budget.limit, `messages inflating held ${most} bytes`);
      await target.roundTrip();
      // Those refused left; the others' events were delivered and they stay.
      assert.equal(delivered + reasons.length, BOMBS);
      assert.equal(reasons.length, budget.closedConnections);
      for (const reason of reasons) assert.equal(reason, 'transport error');
    } finally {
      await target.close();
    }
  });
});
