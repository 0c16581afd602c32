/**
 * Peers that stop reading under the default `wait` policy: each connection's queue stops at
 * `maxBufferedAmount` (past it, the connection sent to is closed with 1013 and its send fails with
 * `ERR_BACKPRESSURE`), and all slow connections together at their `sendBudget` (past it, the one
 * holding the most is closed with 1013). A closed connection's socket is let go of soon after, while
 * a peer that keeps reading gets every message, even one sent a burst while the budget is full. Both
 * limits apply to what is already queued: an idle connection takes a message of any size.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, test } from 'node:test';
import { ErrorCode, SendBudget, WebSocket, WebSocketError, WebSocketServer } from '../../src/ws/index.js';
import { RawClient, startServer, type TestServer } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';

const HIGH_WATER_MARK = 64 * 1024;
const MESSAGE_SIZE = 32 * 1024;
/** What a connection holds before it is charged to its budget: its socket's own buffer (16 KiB in Node 20). */
const ALLOWANCE = getDefaultHighWaterMark(false);
/** A frame of {@link MESSAGE_SIZE} bytes, its header included. */
const FRAME_SIZE = MESSAGE_SIZE + 4;
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
  const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
  const raw = await RawClient.open(server.port);
  const [socket] = await accepted;
  raw.socket.pause();
  return { raw, socket };
}

/**
 * Sends numbered messages to `socket`, whose peer does not read, until `holds()` says it holds
 * enough: the loopback buffers take a few MB first.
 */
async function sendUntil(socket: WebSocket, holds: () => boolean): Promise<void> {
  for (let sent = 0; sent < MAX_MESSAGES && !holds(); sent++) {
    socket.send(message(sent));
    // Let the kernel take what it takes now and then, as it would from a peer that reads slowly.
    if (sent % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(holds(), `${socket.bufferedAmount} bytes held after ${MAX_MESSAGES} sends`);
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
    // A peer that reads during the grace gets another, up to closeTimeout: time to read its close frame.
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount,
      sendBudget: budget,
      closeTimeout: 30_000,
      heartbeatInterval: 0,
    });
    const { raw, socket } = await openSlowPeer(server);
    try {
      const reported = waitFor<[Error]>(socket, 'error');
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
      const closed = waitFor(socket, 'close');
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.code, ErrorCode.Backpressure);
      assert.equal(error.closeCode, 1013);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal((failures[0] as WebSocketError).code, ErrorCode.Backpressure);
      assert.equal(budget.closedConnections, 0, 'the ceiling, not the budget, closed it');

      assert.equal(await closeCodeOnTheWire(raw), 1013);
      // The peer read its close frame but never answers it: once it stops reading, its socket is destroyed after the grace.
      await closed;
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('a connection closed with 1013 for a peer that never reads leaves the budget at once and is destroyed after a short grace', async () => {
    const budget = new SendBudget(Infinity);
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount: 4 * HIGH_WATER_MARK,
      sendBudget: budget,
      closeTimeout: 60_000,
      heartbeatInterval: 0,
    });
    const { raw, socket } = await openSlowPeer(server);
    try {
      const reported = waitFor<[WebSocketError]>(socket, 'error');
      for (let sent = 0; sent < MAX_MESSAGES && socket.readyState === WebSocket.OPEN; sent++) {
        socket.send(message(sent));
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(socket.readyState, WebSocket.CLOSING);
      assert.equal((await reported)[0].code, ErrorCode.Backpressure);
      const closed = waitFor(socket, 'close');
      assert.equal(budget.queuedBytes, 0, 'it is charged no more once closed');
      assert.ok(socket.bufferedAmount > ALLOWANCE, 'it still holds what the peer did not read');
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

  test('a peer that trickles its reads after the close is not given closeTimeout: it must read half of what is left in each grace', async () => {
    const budget = new SendBudget(Infinity);
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount: 4 * HIGH_WATER_MARK,
      sendBudget: budget,
      closeTimeout: 60_000,
      heartbeatInterval: 0,
    });
    const { raw, socket } = await openSlowPeer(server);
    let trickle: NodeJS.Timeout | undefined;
    try {
      const reported = waitFor<[WebSocketError]>(socket, 'error');
      for (let sent = 0; sent < MAX_MESSAGES && socket.readyState === WebSocket.OPEN; sent++) {
        socket.send(message(sent));
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal((await reported)[0].code, ErrorCode.Backpressure);
      // A byte every 20 ms: progress, but far from half of the megabytes the server holds each second.
      trickle = setInterval(() => raw.socket.read(1), 20);
      // waitFor gives up after 5 s, long before closeTimeout (60 s).
      await waitFor(socket, 'close');
      assert.equal(server.wss.clients.size, 0);
    } finally {
      clearInterval(trickle);
      raw.destroy();
      await server.close();
    }
  });

  test('an idle connection takes one message larger than maxBufferedAmount, and the peer that reads it gets it', async () => {
    const maxBufferedAmount = 4 * HIGH_WATER_MARK;
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount,
      sendBudget: new SendBudget(Infinity),
      heartbeatInterval: 0,
    });
    const client = new WebSocket(server.url);
    try {
      const [socket] = await waitFor<[WebSocket]>(server.wss, 'connection');
      await waitFor(client, 'open');
      const large = Buffer.alloc(4 * maxBufferedAmount, 7);
      const received = waitFor<[Buffer]>(client, 'message');
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

  test('a broadcast closes slow peers with 1013 at the send budget, which bounds the bytes the open ones hold; a peer that reads gets every message', async () => {
    const limit = 8 * HIGH_WATER_MARK;
    const budget = new SendBudget(limit);
    // A ceiling no peer reaches here: the budget binds first.
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount: 64 * HIGH_WATER_MARK,
      sendBudget: budget,
      heartbeatInterval: 0,
    });
    const slow = [await openSlowPeer(server), await openSlowPeer(server), await openSlowPeer(server)];
    const healthy = new WebSocket(server.url);
    try {
      await waitFor(healthy, 'open');
      // Each slow peer holds its allowance uncharged, and the one message that made it slow may have
      // been taken past the limit (a connection that keeps up is never refused). One closed has left
      // the budget: what it holds goes with its socket, a second later at most.
      const bound = limit + slow.length * (ALLOWANCE + FRAME_SIZE);
      let mostHeld = 0;
      let mostQueued = 0;
      let broadcasts = 0;
      while (broadcasts < MAX_MESSAGES && slow.some(({ socket }) => socket.readyState === WebSocket.OPEN)) {
        const received = waitFor<[Buffer]>(healthy, 'message');
        server.wss.broadcast(message(broadcasts));
        mostHeld = Math.max(
          mostHeld,
          slow.reduce((sum, { socket }) => sum + (socket.readyState === WebSocket.OPEN ? socket.bufferedAmount : 0), 0),
        );
        mostQueued = Math.max(mostQueued, budget.queuedBytes);
        const [data] = await received;
        assert.equal(data.readUInt32BE(0), broadcasts++, 'the healthy peer gets every message, in order');
      }
      assert.ok(
        slow.every(({ socket }) => socket.readyState === WebSocket.CLOSING),
        `slow peers still open after ${broadcasts} broadcasts`,
      );
      assert.equal(healthy.readyState, WebSocket.OPEN);
      assert.ok(mostHeld <= bound, `open slow peers held ${mostHeld} bytes together (bound ${bound})`);
      assert.ok(mostQueued <= bound, `the budget was charged ${mostQueued} bytes (bound ${bound})`);
      assert.ok(mostHeld > limit / 2, `slow peers held ${mostHeld} bytes: the budget did fill`);
      assert.equal(budget.closedConnections, slow.length);

      // The healthy peer still gets what follows.
      const after = waitFor<[Buffer]>(healthy, 'message');
      assert.equal(server.wss.broadcast(message(broadcasts)), 1);
      assert.equal((await after)[0].readUInt32BE(0), broadcasts);

      const open = slow.filter(({ socket }) => socket.readyState !== WebSocket.CLOSED);
      const closed = open.map(({ socket }) => waitFor(socket, 'close'));
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

  test('a peer that reads everything, sent a burst while a peer that does not read fills the budget, is never the one closed', async () => {
    const limit = 256 * 1024;
    const budget = new SendBudget(limit);
    const server = await startServer({ sendBudget: budget, heartbeatInterval: 0 });
    const slow = await openSlowPeer(server);
    let healthy: WebSocket | undefined;
    try {
      // The peer that does not read holds about 229 KiB of the budget's 256 KiB (one message less than its limit).
      await sendUntil(slow.socket, () => budget.queuedBytes >= limit - FRAME_SIZE);
      assert.equal(slow.socket.readyState, WebSocket.OPEN);
      const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
      healthy = new WebSocket(server.url);
      const [healthySide] = await accepted;
      await waitFor(healthy, 'open');
      const received: string[] = [];
      const allReceived = new Promise<void>((resolve) => {
        healthy!.on('message', (data: Buffer) => {
          if (received.push(data.toString()) === 100) resolve();
        });
      });
      const healthyErrors: unknown[] = [];
      healthySide.on('error', (error) => healthyErrors.push(error));
      const slowError = waitFor<[WebSocketError]>(slow.socket, 'error');

      // One tick's writes wait in the socket until the tick ends, whatever the peer's speed: 50 KB past a 16 KiB allowance.
      const burst = Array.from({ length: 100 }, (_, index) => `${index}:`.padEnd(500, 'x'));
      for (const text of burst) healthySide.send(text);
      assert.ok(budget.queuedBytes > ALLOWANCE, 'the burst was charged to the budget');
      assert.equal(healthySide.readyState, WebSocket.OPEN);
      assert.equal(slow.socket.readyState, WebSocket.CLOSING, 'the peer holding the most made room');
      assert.equal(budget.closedConnections, 1);

      await allReceived;
      assert.deepEqual(received, burst, 'the reader got every message, in order');
      assert.equal((await slowError)[0].code, ErrorCode.Backpressure);
      assert.deepEqual(healthyErrors, []);
      assert.equal(healthy.readyState, WebSocket.OPEN);
      assert.equal(await closeCodeOnTheWire(slow.raw), 1013);
      assert.equal(budget.closedConnections, 1);
    } finally {
      healthy?.terminate();
      slow.raw.destroy();
      await server.close();
    }
  });

  test('a full budget closes the connection charged the most; the one that asks is refused only when it holds the most', async () => {
    const budget = new SendBudget(Infinity);
    const server = await startServer({
      highWaterMark: HIGH_WATER_MARK,
      maxBufferedAmount: 64 * HIGH_WATER_MARK,
      sendBudget: budget,
      closeTimeout: 30_000,
      heartbeatInterval: 0,
    });
    const peers = [await openSlowPeer(server), await openSlowPeer(server), await openSlowPeer(server)];
    const [small, middle, large] = peers as [(typeof peers)[0], (typeof peers)[0], (typeof peers)[0]];
    try {
      // Filled one after the other, they hold at least 5, 3 and 1 messages.
      await sendUntil(large.socket, () => large.socket.bufferedAmount >= 5 * MESSAGE_SIZE);
      await sendUntil(middle.socket, () => middle.socket.bufferedAmount >= 3 * MESSAGE_SIZE);
      await sendUntil(small.socket, () => small.socket.bufferedAmount >= MESSAGE_SIZE);
      assert.equal(budget.slowConnections, 3);
      // Room for less than one more message (charges move in whole allowances, and a message is two of them).
      budget.limit = budget.queuedBytes + MESSAGE_SIZE - 1;
      const largeError = waitFor<[WebSocketError]>(large.socket, 'error');

      // The smallest asks for room: the largest pays, and the send goes.
      const failures: unknown[] = [];
      small.socket.send(message(0), (error) => {
        if (error) failures.push(error);
      });
      assert.equal(large.socket.readyState, WebSocket.CLOSING);
      assert.equal(middle.socket.readyState, WebSocket.OPEN);
      assert.equal(small.socket.readyState, WebSocket.OPEN);
      assert.equal(budget.closedConnections, 1);
      assert.equal(budget.slowConnections, 2, 'the one closed left the budget');
      assert.ok(budget.queuedBytes <= budget.limit);

      // It goes on asking until it would hold the most: then its own send is refused, and the middle one stays open.
      let sent = 1;
      while (sent < MAX_MESSAGES && small.socket.readyState === WebSocket.OPEN) {
        small.socket.send(message(sent++), (error) => {
          if (error) failures.push(error);
        });
      }
      assert.equal(small.socket.readyState, WebSocket.CLOSING);
      assert.equal(middle.socket.readyState, WebSocket.OPEN);
      assert.ok(small.socket.bufferedAmount > middle.socket.bufferedAmount, 'it held the most');
      assert.equal(budget.closedConnections, 2);
      assert.equal(budget.slowConnections, 1);
      // Charged in whole allowances, rounded up.
      assert.equal(budget.queuedBytes, Math.ceil(middle.socket.bufferedAmount / ALLOWANCE) * ALLOWANCE);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(failures.length, 1, 'only the last send failed');
      assert.equal((failures[0] as WebSocketError).code, ErrorCode.Backpressure);

      assert.equal((await largeError)[0].code, ErrorCode.Backpressure);
      const largeClosed = waitFor(large.socket, 'close');
      assert.equal(await closeCodeOnTheWire(large.raw), 1013);
      assert.equal(await closeCodeOnTheWire(small.raw), 1013);
      // The peer that was closed to make room never answers the close: its socket is destroyed after the grace.
      await largeClosed;
      assert.equal(middle.socket.readyState, WebSocket.OPEN);
    } finally {
      for (const { raw } of peers) raw.destroy();
      await server.close();
    }
  });

  test('options are checked at construction', () => {
    assert.throws(() => new SendBudget(-1), TypeError);
    assert.throws(() => new SendBudget(Number.NaN), TypeError);
    assert.throws(
      () => new WebSocket('ws://127.0.0.1:1', { highWaterMark: 1024, maxBufferedAmount: 1023 }),
      /maxBufferedAmount/,
    );
    assert.throws(() => new WebSocket('ws://127.0.0.1:1', { sendBudget: {} as SendBudget }), /sendBudget/);
    assert.throws(() => new WebSocketServer({ noServer: true, maxBufferedAmount: 1024 }), /maxBufferedAmount/);
  });
});
