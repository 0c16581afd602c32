/**
 * Peers that stop reading under the default `wait` policy: each connection's queue stops at
 * `maxBufferedAmount`, and all slow connections together at their `sendBudget`; past either, the
 * connection sent to is closed with 1013 and its send fails with `ERR_BACKPRESSURE`, while a peer
 * that keeps reading gets every message.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { ErrorCode, SendBudget, WebSocket, WebSocketError, WebSocketServer } from '../../src/ws/index.js';
import { RawClient, nextEvent, startServer, type TestServer } from '../helpers/ws-peers.js';

const HIGH_WATER_MARK = 64 * 1024;
const MESSAGE_SIZE = 32 * 1024;
/** At most 64 MB per connection: far more than the loopback buffers of a peer that does not read hold (a few MB). */
const MAX_MESSAGES = 2048;

/** A message of {@link MESSAGE_SIZE} bytes that starts with `index`. */
function message(index: number): Buffer {
  const data = Buffer.alloc(MESSAGE_SIZE);
  data.writeUInt32BE(index);
  return data;
}

/** Opens a raw client that never reads, and the server's side of its connection. */
async function openSlowPeer(server: TestServer): Promise<{ raw: RawClient; socket: WebSocket }> {
  const accepted = nextEvent<[WebSocket]>(server.wss, 'connection');
  const raw = await RawClient.open(server.port);
  const [socket] = await accepted;
  raw.socket.pause();
  return { raw, socket };
}

/** The peer reads again: the data frames the server queued, then its close frame's code. */
async function closeCodeOnTheWire(raw: RawClient): Promise<number | undefined> {
  raw.socket.resume();
  return raw.readCloseCode();
}

describe('slow consumers under the wait policy', () => {
  test('a send past maxBufferedAmount closes the connection with 1013 and fails with ERR_BACKPRESSURE', async () => {
    const budget = new SendBudget(Infinity);
    const maxBufferedAmount = 4 * HIGH_WATER_MARK;
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount, sendBudget: budget, heartbeatInterval: 0 });
    const { raw, socket } = await openSlowPeer(server);
    try {
      const reported = nextEvent<[Error]>(socket, 'error');
      const failures: unknown[] = [];
      let maxBuffered = 0;
      let sent = 0;
      while (sent < MAX_MESSAGES && socket.readyState === WebSocket.OPEN) {
        socket.send(message(sent++), (error) => {
          if (error) failures.push(error);
        });
        maxBuffered = Math.max(maxBuffered, socket.bufferedAmount);
        assert.ok(budget.queuedBytes <= maxBufferedAmount);
        // Let the kernel take what it takes now and then, as it would from a peer that reads slowly.
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(socket.readyState, WebSocket.CLOSING, `still open after ${sent} sends`);
      assert.ok(maxBuffered <= maxBufferedAmount, `the connection held ${maxBuffered} bytes`);
      const [error] = await reported;
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.code, ErrorCode.Backpressure);
      assert.equal(error.closeCode, 1013);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((failures[0] as WebSocketError).code, ErrorCode.Backpressure);
      assert.equal(budget.closedConnections, 0, 'the ceiling, not the budget, closed it');

      assert.equal(await closeCodeOnTheWire(raw), 1013);
      const closed = nextEvent(socket, 'close');
      raw.sendClose(1013);
      await closed;
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('a broadcast closes slow peers with 1013 at the send budget; a peer that reads gets every message; the budget empties as they go', async () => {
    const limit = 8 * HIGH_WATER_MARK;
    const budget = new SendBudget(limit);
    // A ceiling no peer reaches here: the budget binds first.
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount: 64 * HIGH_WATER_MARK, sendBudget: budget, heartbeatInterval: 0 });
    const slow = [await openSlowPeer(server), await openSlowPeer(server), await openSlowPeer(server)];
    const healthy = new WebSocket(server.url);
    try {
      await nextEvent(healthy, 'open');
      let maxQueued = 0;
      let broadcasts = 0;
      while (broadcasts < MAX_MESSAGES && slow.some(({ socket }) => socket.readyState === WebSocket.OPEN)) {
        const received = nextEvent<[Buffer]>(healthy, 'message');
        server.wss.broadcast(message(broadcasts));
        maxQueued = Math.max(maxQueued, budget.queuedBytes);
        const [data] = await received;
        assert.equal(data.readUInt32BE(0), broadcasts++, 'the healthy peer gets every message, in order');
      }
      assert.ok(slow.every(({ socket }) => socket.readyState === WebSocket.CLOSING), `slow peers still open after ${broadcasts} broadcasts`);
      assert.equal(healthy.readyState, WebSocket.OPEN);
      assert.ok(maxQueued <= limit, `slow peers held ${maxQueued} bytes together`);
      assert.equal(budget.closedConnections, slow.length);

      // The healthy peer still gets what follows.
      const after = nextEvent<[Buffer]>(healthy, 'message');
      assert.equal(server.wss.broadcast(message(broadcasts)), 1);
      assert.equal((await after)[0].readUInt32BE(0), broadcasts);

      for (const { raw, socket } of slow) {
        assert.equal(await closeCodeOnTheWire(raw), 1013);
        const closed = nextEvent(socket, 'close');
        raw.destroy();
        await closed;
      }
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
    } finally {
      healthy.terminate();
      for (const { raw } of slow) raw.destroy();
      await server.close();
    }
  });

  test('options are checked at construction', () => {
    assert.throws(() => new SendBudget(-1), TypeError);
    assert.throws(() => new SendBudget(Number.NaN), TypeError);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1', { highWaterMark: 1024, maxBufferedAmount: 1023 }), /maxBufferedAmount/);
    assert.throws(() => new WebSocket('ws://127.0.0.1:1', { sendBudget: {} as SendBudget }), /sendBudget/);
    assert.throws(() => new WebSocketServer({ noServer: true, maxBufferedAmount: 1024 }), /maxBufferedAmount/);
  });
});
