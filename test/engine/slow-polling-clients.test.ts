/**
 * Slow long-polling clients of the engine: a session whose client stops polling keeps what is sent
 * to it in its buffer, held to the same `connectionLimits` as a WebSocket (`maxBufferedAmount` each,
 * the shared `sendBudget` past the session's allowance). Past either, the session closes with
 * "transport error" while a client that polls gets every message; what the sessions really hold
 * stays within the budget plus, each, its allowance and one message, and the budget returns to 0.
 * When the budget is full, the client holding the most pays, over either transport: a client that
 * reads, sent a burst, is never the one closed while one that stopped polling holds more.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { Socket as ClientSocket } from 'engine.io-client';
import { PreparedMessage, TransportError, type EngineSocket } from '../../src/engine/index.js';
import { SESSION_ALLOWANCE } from '../../src/engine/options.js';
import { SendBudget, type WebSocketServer } from '../../src/ws/index.js';
import { RawClient, upgradeRequest } from '../helpers/ws-peers.js';
import { RawWebSocket, openPolling, rawRequest, startEngine, type EngineFixture } from './helpers.js';
import { until, waitFor } from '../helpers/wait.js';

const KIB = 1024;
/** Bounds every broadcast loop: far more messages than any limit below lets a slow client hold. */
const MAX_BROADCASTS = 200;

/** The `index`-th broadcast: its number, padded to `size` bytes of ASCII. */
function message(index: number, size = KIB): string {
  return `${index}:`.padEnd(size, '.');
}

/** A client that opened a polling session and will never poll again, and its session's close. */
interface SilentPoller {
  readonly sid: string;
  readonly session: EngineSocket;
  readonly closed: Promise<[reason: string, description: unknown]>;
}

async function openSilentPoller(fixture: EngineFixture): Promise<SilentPoller> {
  const connection = fixture.nextConnection();
  const { sid } = await openPolling(fixture);
  const session = await connection;
  return { sid, session, closed: waitFor(session, 'close', 5000) };
}

/** An official client polling without pause (no upgrade), and its session. */
async function openReader(fixture: EngineFixture): Promise<{ client: ClientSocket; session: EngineSocket }> {
  const connection = fixture.nextConnection();
  const client = new ClientSocket(fixture.origin, { transports: ['polling'], upgrade: false });
  await waitFor(client, 'open');
  return { client, session: await connection };
}

/** What a broadcast loop saw of the limits at their worst. */
interface Peaks {
  broadcasts: number;
  /** Most bytes the slow sessions held together. */
  queued: number;
  /** Most connections charged to the budget at once. */
  slow: number;
  /** Most bytes one slow session held. */
  held: number;
}

/**
 * Broadcasts numbered messages to every session until no `slow` session is open (at most
 * {@link MAX_BROADCASTS}), one at a time: each is awaited at `reader`, which checks it gets every
 * message, in order, while the slow ones stop.
 */
async function broadcastUntilClosed(
  fixture: EngineFixture,
  reader: ClientSocket,
  slow: readonly EngineSocket[],
  budget: SendBudget,
): Promise<Peaks> {
  const peaks: Peaks = { broadcasts: 0, queued: 0, slow: 0, held: 0 };
  while (peaks.broadcasts < MAX_BROADCASTS && slow.some((session) => session.readyState === 'open')) {
    const text = message(peaks.broadcasts);
    const received = waitFor(reader, 'message');
    const prepared = new PreparedMessage(text);
    for (const session of fixture.engine.clients.values()) session.sendPrepared(prepared);
    for (const session of slow) peaks.held = Math.max(peaks.held, session.bufferedAmount);
    peaks.queued = Math.max(
      peaks.queued,
      slow.reduce((sum, session) => sum + session.bufferedAmount, 0),
    );
    peaks.slow = Math.max(peaks.slow, budget.slowConnections);
    assert.equal((await received)[0], text, 'the client that polls gets every message, in order');
    peaks.broadcasts++;
  }
  return peaks;
}

function assertClosedForBeingSlow([reason, description]: [string, unknown]): void {
  assert.equal(reason, 'transport error');
  assert.ok(description instanceof TransportError);
  assert.equal(description.message, 'send buffer full');
}

describe('slow polling clients of the engine', () => {
  it('closes a client that stops polling at maxBufferedAmount, while a client that polls gets every broadcast', async () => {
    const budget = new SendBudget(1024 * KIB);
    const limits = { highWaterMark: 16 * KIB, maxBufferedAmount: 32 * KIB, sendBudget: budget };
    const fixture = await startEngine({ pingInterval: 60_000, connectionLimits: limits });
    let reader: ClientSocket | undefined;
    try {
      const slow = [await openSilentPoller(fixture), await openSilentPoller(fixture)];
      const opened = await openReader(fixture);
      reader = opened.client;

      const peaks = await broadcastUntilClosed(
        fixture,
        opened.client,
        slow.map(({ session }) => session),
        budget,
      );
      assert.ok(peaks.broadcasts < MAX_BROADCASTS, 'every silent client was closed');
      for (const { closed } of slow) assertClosedForBeingSlow(await closed);
      assert.ok(peaks.held <= limits.maxBufferedAmount, `a silent client held ${peaks.held} bytes`);
      assert.ok(peaks.held > SESSION_ALLOWANCE, 'they were slow before they were closed');
      assert.equal(peaks.slow, 2, 'both were charged to the budget');
      assert.equal(budget.closedConnections, 0, 'closed by their own ceiling, not by the budget');
      assert.equal(budget.queuedBytes, 0, 'their charge left the budget as they closed');
      assert.equal(budget.slowConnections, 0);
      assert.equal(opened.session.bufferedAmount, 0);
      assert.equal(fixture.engine.clientsCount, 1);

      const late = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${slow[0]!.sid}`));
      assert.equal(late.status, 400, 'the session is gone');
    } finally {
      reader?.close();
      await fixture.close();
    }
  });

  it('closes clients that stop polling at the send budget, which bounds what they really hold', async () => {
    const limit = 128 * KIB;
    const budget = new SendBudget(limit);
    const fixture = await startEngine({
      pingInterval: 60_000,
      connectionLimits: { highWaterMark: 16 * KIB, maxBufferedAmount: 256 * KIB, sendBudget: budget },
    });
    let reader: ClientSocket | undefined;
    try {
      const slow: SilentPoller[] = [];
      for (let i = 0; i < 4; i++) slow.push(await openSilentPoller(fixture));
      const opened = await openReader(fixture);
      reader = opened.client;

      const peaks = await broadcastUntilClosed(
        fixture,
        opened.client,
        slow.map(({ session }) => session),
        budget,
      );
      assert.ok(peaks.broadcasts < MAX_BROADCASTS, 'every silent client was closed');
      for (const { closed } of slow) assertClosedForBeingSlow(await closed);
      // Each holds its allowance before it is charged, and the message that made it slow may have
      // been taken past the limit (a session that keeps up is never refused).
      const bound = limit + slow.length * (SESSION_ALLOWANCE + KIB);
      assert.ok(peaks.queued <= bound, `silent clients held ${peaks.queued} bytes together (bound ${bound})`);
      assert.ok(peaks.queued > limit / 2, 'the budget did fill');
      assert.equal(peaks.slow, 4);
      assert.equal(budget.closedConnections, slow.length, 'each was closed by the budget');
      assert.equal(budget.queuedBytes, 0);
      assert.equal(budget.slowConnections, 0);
      assert.equal(fixture.engine.clientsCount, 1);
    } finally {
      reader?.close();
      await fixture.close();
    }
  });

  it('charges a client that falls behind until it polls, then until its session closes', async () => {
    const budget = new SendBudget();
    const fixture = await startEngine({ pingInterval: 60_000, connectionLimits: { sendBudget: budget } });
    try {
      const { sid, session, closed } = await openSilentPoller(fixture);
      const path = fixture.path(`EIO=4&transport=polling&sid=${sid}`);
      // Text counts by its UTF-8 length (a broadcast's measured once), binary by its length.
      const burst = [message(0, 8 * KIB), 'é'.repeat(4 * KIB), Buffer.alloc(8 * KIB, 7)] as const;
      session.send(burst[0]);
      session.sendPrepared(new PreparedMessage(burst[1]));
      assert.equal(session.bufferedAmount, SESSION_ALLOWANCE);
      assert.equal(budget.queuedBytes, 0, 'within its allowance, it is not charged');
      session.send(burst[2]);
      assert.equal(session.bufferedAmount, 24 * KIB);
      assert.equal(budget.queuedBytes, 24 * KIB, 'past it, all it holds is charged');
      assert.equal(budget.slowConnections, 1);

      const batch = await rawRequest(fixture.port, path);
      assert.deepEqual(batch.body.split('\x1e'), [`4${burst[0]}`, `4${burst[1]}`, `b${burst[2].toString('base64')}`]);
      assert.equal(session.bufferedAmount, 0);
      assert.equal(budget.queuedBytes, 0, 'a poll releases the charge');
      assert.equal(budget.slowConnections, 0);

      session.send(message(2, 20 * KIB));
      assert.equal(budget.queuedBytes, 20 * KIB);
      // The client leaves with a close packet, without polling what waits for it.
      await rawRequest(fixture.port, path, {
        method: 'POST',
        body: '1',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      });
      assert.equal((await closed)[0], 'transport close');
      assert.equal(budget.queuedBytes, 0, 'the close releases the charge');
      assert.equal(budget.slowConnections, 0);
      assert.equal(budget.closedConnections, 0);
    } finally {
      await fixture.close();
    }
  });

  it('bounds the packets a session keeps for the WebSocket it is upgrading to', async () => {
    const budget = new SendBudget();
    const limits = { highWaterMark: 16 * KIB, maxBufferedAmount: 32 * KIB, sendBudget: budget };
    const fixture = await startEngine({ pingInterval: 60_000, connectionLimits: limits });
    let candidate: RawWebSocket | undefined;
    try {
      const { sid, session, closed } = await openSilentPoller(fixture);
      const held = rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`));
      await until(() => session.writable, 3000, 'the poll to be held');
      candidate = await RawWebSocket.connect(
        fixture.url(`EIO=4&transport=websocket&sid=${sid}`).replace('http:', 'ws:'),
      );
      candidate.send('2probe');
      assert.equal(await candidate.nextText(), '3probe');
      assert.equal((await held).body, '6', 'the held poll ended: packets now wait for the upgrade');

      // The client never sends the upgrade packet.
      let sent = 0;
      while (sent < MAX_BROADCASTS && session.readyState === 'open') {
        session.send(message(sent++));
        assert.ok(session.bufferedAmount <= limits.maxBufferedAmount);
      }
      // The 17th message of 1 KiB takes the session past its allowance; 32 in all are held; the 33rd
      // would take the (now slow) session past maxBufferedAmount.
      assert.equal(sent, 33);
      assertClosedForBeingSlow(await closed);
      assert.equal(budget.queuedBytes, 0);
      await candidate.closed;
    } finally {
      candidate?.close();
      await fixture.close();
    }
  });

  it('a full budget closes the session holding the most when another session needs room', async () => {
    const budget = new SendBudget(Infinity);
    const fixture = await startEngine({
      pingInterval: 60_000,
      connectionLimits: { highWaterMark: 16 * KIB, maxBufferedAmount: 1024 * KIB, sendBudget: budget },
    });
    try {
      const large = await openSilentPoller(fixture);
      const small = await openSilentPoller(fixture);
      let sent = 0;
      while (sent < 12) large.session.send(message(sent++, 8 * KIB));
      while (sent < 15) small.session.send(message(sent++, 8 * KIB));
      assert.equal(large.session.bufferedAmount, 96 * KIB);
      assert.equal(small.session.bufferedAmount, 24 * KIB);
      assert.equal(budget.slowConnections, 2);
      // Room for one more message of 8 KiB, not two.
      budget.limit = budget.queuedBytes + 12 * KIB;

      small.session.send(message(sent++, 8 * KIB));
      assert.equal(large.session.readyState, 'open', 'there was room for the first');
      small.session.send(message(sent++, 8 * KIB));
      assert.equal(large.session.readyState, 'closing', 'the session holding the most made room');
      assert.equal(large.session.bufferedAmount, 0, 'and dropped what it held');
      assert.equal(small.session.readyState, 'open');
      assert.equal(small.session.bufferedAmount, 40 * KIB, 'the send that asked went');
      assert.equal(budget.queuedBytes, 40 * KIB);
      assert.equal(budget.slowConnections, 1);
      assert.equal(budget.closedConnections, 1);
      const closed = await large.closed;
      assertClosedForBeingSlow(closed);
      assert.match(String((closed[1] as TransportError).description), /held the most/);
      assert.equal(small.session.readyState, 'open');
    } finally {
      await fixture.close();
    }
  });

  it('a WebSocket client that reads everything, sent a burst while a client that stopped polling fills the budget, makes that session pay', async () => {
    const limit = 256 * KIB;
    const budget = new SendBudget(limit);
    const fixture = await startEngine({ pingInterval: 60_000, connectionLimits: { sendBudget: budget } });
    let reader: RawWebSocket | undefined;
    try {
      const poller = await openSilentPoller(fixture);
      for (let sent = 0; sent < MAX_BROADCASTS && budget.queuedBytes < limit - 8 * KIB; sent++)
        poller.session.send(message(sent, 8 * KIB));
      assert.ok(budget.queuedBytes >= limit - 8 * KIB, 'the silent client holds nearly all the budget');
      const connection = fixture.nextConnection();
      reader = await RawWebSocket.connect(fixture.url('EIO=4&transport=websocket').replace('http:', 'ws:'));
      const session = await connection;
      assert.equal((await reader.nextText())[0], '0');

      // One tick's writes wait in the WebSocket's socket until the tick ends, whatever the client's speed.
      const burst = Array.from({ length: 100 }, (_, index) => message(index, 500));
      for (const text of burst) session.send(text);
      assert.ok(budget.queuedBytes > SESSION_ALLOWANCE, 'the burst was charged to the budget');
      assert.equal(session.readyState, 'open');
      assert.equal(poller.session.readyState, 'closing', 'the session holding the most made room');
      assert.equal(budget.closedConnections, 1);

      for (const text of burst)
        assert.equal(await reader.nextText(), `4${text}`, 'the reader gets every message, in order');
      assertClosedForBeingSlow(await poller.closed);
      assert.equal(session.readyState, 'open');
      await until(() => budget.queuedBytes === 0, 3000, 'the reader to leave the budget');
      assert.equal(budget.closedConnections, 1);
    } finally {
      reader?.close();
      await fixture.close();
    }
  });

  it('WebSocket and polling clients draw from one budget', async () => {
    const highWaterMark = 64 * KIB;
    const limit = 8 * highWaterMark;
    const budget = new SendBudget(limit);
    const fixture = await startEngine({
      pingInterval: 60_000,
      connectionLimits: { highWaterMark, maxBufferedAmount: 64 * highWaterMark, sendBudget: budget },
    });
    let raw: RawClient | undefined;
    try {
      const connection = fixture.nextConnection();
      raw = await RawClient.connect(fixture.port, upgradeRequest(fixture.path('EIO=4&transport=websocket')));
      const webSocket = await connection;
      const webSocketClosed = waitFor<[string]>(webSocket, 'close', 10_000);
      raw.socket.pause();
      const poller = await openSilentPoller(fixture);
      const data = Buffer.alloc(32 * KIB);

      // Loopback buffers take a few MB before the WebSocket client counts as slow.
      for (let i = 0; i < 2048 && budget.slowConnections === 0; i++) webSocket.sendPrepared(new PreparedMessage(data));
      assert.equal(budget.slowConnections, 1, 'the WebSocket client is slow');

      // Over WebSocket, what the client costs is held by the WebSocket server's connection.
      const webSockets = (fixture.engine as unknown as { wss: WebSocketServer }).wss.clients;
      let mostSlow = 0;
      let mostQueued = 0;
      let mostCharged = 0;
      for (let i = 0; i < MAX_BROADCASTS && fixture.engine.clientsCount > 0; i++) {
        const prepared = new PreparedMessage(data);
        for (const session of [webSocket, poller.session]) session.sendPrepared(prepared);
        mostSlow = Math.max(mostSlow, budget.slowConnections);
        // A closed client has left the budget: a session drops what it held at once, a WebSocket after a grace.
        let held = poller.session.bufferedAmount;
        for (const socket of webSockets) if (socket.readyState === socket.OPEN) held += socket.bufferedAmount;
        mostQueued = Math.max(mostQueued, held);
        mostCharged = Math.max(mostCharged, budget.queuedBytes);
        // The WebSocket's session closes when its WebSocket reports the refusal, a tick later.
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(mostSlow, 2, 'both clients were charged to the same budget');
      // Each may hold its allowance (at most 16 KiB) and one message beside its charge.
      const bound = limit + 2 * (SESSION_ALLOWANCE + data.length + 16);
      assert.ok(mostQueued <= bound, `open slow clients held ${mostQueued} bytes together (bound ${bound})`);
      assert.ok(mostCharged <= bound, `the budget was charged ${mostCharged} bytes (bound ${bound})`);
      assertClosedForBeingSlow(await poller.closed);
      assert.equal((await webSocketClosed)[0], 'transport error');
      assert.equal(budget.closedConnections, 2, 'the budget closed both');

      raw.socket.resume();
      assert.equal(await raw.readCloseCode(), 1013);
      raw.destroy();
      await until(() => budget.queuedBytes === 0, 3000, 'the budget to empty');
      assert.equal(budget.slowConnections, 0);
    } finally {
      raw?.destroy();
      await fixture.close();
    }
  });
});
