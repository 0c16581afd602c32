/**
 * Peers that stop reading under the default `wait` policy: each connection's queue stops at
 * `maxBufferedAmount`, and all slow connections together at their `sendBudget`; past either, the
 * connection sent to is closed with 1013, its send fails with `ERR_BACKPRESSURE`, and its socket is
 * let go of soon after, while a peer that keeps reading gets every message. Both limits apply to
 * what is already queued: an idle connection takes a message of any size.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, test } from 'node:test';
import { ErrorCode, SendBudget, WebSocket, WebSocketError, WebSocketServer } from '../../src/ws/index.js';
import { RawClient, nextEvent, startServer, type TestServer } from '../helpers/ws-peers.js';

const HIGH_WATER_MARK = 64 * 1024;
const MESSAGE_SIZE = 32 * 1024;
/** What a connection holds before it is charged to its budget: its socket's own buffer (16 KiB in Node 20). */
const ALLOWANCE = getDefaultHighWaterMark(false);
/** A frame of {@link MESSAGE_SIZE} bytes, its header included. */
const FRAME_SIZE = MESSAGE_SIZE + 4;
/** The largest close frame, which a closed connection holds beside what it was charged for. */
const CLOSE_FRAME_SIZE = 2 + 125;
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
    // The grace before a peer that does not read is let go of is at most closeTimeout.
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount, sendBudget: budget, closeTimeout: 200, heartbeatInterval: 0 });
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
        // Let the kernel take what it takes now and then, as it would from a peer that reads slowly.
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(socket.readyState, WebSocket.CLOSING, `still open after ${sent} sends`);
      assert.ok(maxBuffered <= maxBufferedAmount, `the connection held ${maxBuffered} bytes`);
      const [error] = await reported;
      const closed = nextEvent(socket, 'close');
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.code, ErrorCode.Backpressure);
      assert.equal(error.closeCode, 1013);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((failures[0] as WebSocketError).code, ErrorCode.Backpressure);
      assert.equal(budget.closedConnections, 0, 'the ceiling, not the budget, closed it');

      assert.equal(await closeCodeOnTheWire(raw), 1013);
      // The peer never answers the close: its socket is destroyed after the grace.
      await closed;
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('a connection closed with 1013 for a peer that never reads is destroyed after a short grace, which releases its charge', async () => {
    const budget = new SendBudget(Infinity);
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount: 4 * HIGH_WATER_MARK, sendBudget: budget, closeTimeout: 60_000, heartbeatInterval: 0 });
    const { raw, socket } = await openSlowPeer(server);
    try {
      const reported = nextEvent<[WebSocketError]>(socket, 'error');
      for (let sent = 0; sent < MAX_MESSAGES && socket.readyState === WebSocket.OPEN; sent++) {
        socket.send(message(sent));
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(socket.readyState, WebSocket.CLOSING);
      assert.equal((await reported)[0].code, ErrorCode.Backpressure);
      const closed = nextEvent(socket, 'close');
      assert.ok(budget.queuedBytes > 0, 'it is charged for what it holds while closing');
      // Its close frame waits behind what the peer does not read: waiting closeTimeout would pin the bytes.
      await closed;
      assert.equal(server.wss.clients.size, 0);
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('an idle connection takes one message larger than maxBufferedAmount, and the peer that reads it gets it', async () => {
    const maxBufferedAmount = 4 * HIGH_WATER_MARK;
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount, sendBudget: new SendBudget(Infinity), heartbeatInterval: 0 });
    const client = new WebSocket(server.url);
    try {
      const [socket] = await nextEvent<[WebSocket]>(server.wss, 'connection');
      await nextEvent(client, 'open');
      const large = Buffer.alloc(4 * maxBufferedAmount, 7);
      const received = nextEvent<[Buffer]>(client, 'message');
      const written = new Promise<unknown>((resolve) => socket.send(large, resolve));
      const [data] = await received;
      assert.ok(data.equals(large));
      assert.ok((await written) == null, 'the send succeeded');
      assert.equal(socket.readyState, WebSocket.OPEN);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  test('a broadcast closes slow peers with 1013 at the send budget, which bounds the bytes they really hold; a peer that reads gets every message', async () => {
    const limit = 8 * HIGH_WATER_MARK;
    const budget = new SendBudget(limit);
    // A ceiling no peer reaches here: the budget binds first.
    const server = await startServer({ highWaterMark: HIGH_WATER_MARK, maxBufferedAmount: 64 * HIGH_WATER_MARK, sendBudget: budget, heartbeatInterval: 0 });
    const slow = [await openSlowPeer(server), await openSlowPeer(server), await openSlowPeer(server)];
    const healthy = new WebSocket(server.url);
    try {
      await nextEvent(healthy, 'open');
      // Each slow peer holds its allowance uncharged, and the one message that made it slow may have
      // been taken past the limit (a connection that keeps up is never refused).
      const bound = limit + slow.length * (ALLOWANCE + FRAME_SIZE + CLOSE_FRAME_SIZE);
      let mostHeld = 0;
      let broadcasts = 0;
      while (broadcasts < MAX_MESSAGES && slow.some(({ socket }) => socket.readyState === WebSocket.OPEN)) {
        const received = nextEvent<[Buffer]>(healthy, 'message');
        server.wss.broadcast(message(broadcasts));
        mostHeld = Math.max(mostHeld, slow.reduce((sum, { socket }) => sum + socket.bufferedAmount, 0));
        const [data] = await received;
        assert.equal(data.readUInt32BE(0), broadcasts++, 'the healthy peer gets every message, in order');
      }
      assert.ok(slow.every(({ socket }) => socket.readyState === WebSocket.CLOSING), `slow peers still open after ${broadcasts} broadcasts`);
      assert.equal(healthy.readyState, WebSocket.OPEN);
      assert.ok(mostHeld <= bound, `slow peers held ${mostHeld} bytes together (bound ${bound})`);
      assert.ok(mostHeld > limit / 2, `slow peers held ${mostHeld} bytes: the budget did fill`);
      assert.equal(budget.closedConnections, slow.length);

      // The healthy peer still gets what follows.
      const after = nextEvent<[Buffer]>(healthy, 'message');
      assert.equal(server.wss.broadcast(message(broadcasts)), 1);
      assert.equal((await after)[0].readUInt32BE(0), broadcasts);

      const closed = slow.map(({ socket }) => (socket.readyState === WebSocket.CLOSED ? undefined : nextEvent(socket, 'close')));
      for (const { raw } of slow) assert.equal(await closeCodeOnTheWire(raw), 1013);
      await Promise.all(closed);
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
