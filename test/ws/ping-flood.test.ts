/**
 * Pings and the pongs that answer them while a write buffer is full (RFC 6455 §5.5.3): a peer that
 * floods pings and never reads costs the server one waiting pong beside its socket's small buffer
 * and is closed with 1008 past `maxUnansweredPings`; two peers streaming to each other while both
 * ping keep reading, so neither waits for the other.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, test } from 'node:test';
import { Opcode } from '../../src/protocol/index.js';
import { CloseCode, ErrorCode, WebSocket, WebSocketServer, type WebSocketError } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';

const PINGS_PER_BURST = 500;
/**
 * At most 1,000,000 pings (131 MB): pongs go out until the kernel's buffers for this connection (a
 * few MB on loopback, about 130,000 pongs) are full, and only then does a pong have to wait.
 */
const MAX_BURSTS = 2000;
/**
 * What the server may hold for the flooding connection: its socket's own high-water mark (Node's
 * default for streams, 16 KiB in Node 20), crossed by at most one pong, plus the frame batched for
 * the end of the tick and the waiting pong. Without the slot the pongs would fill `highWaterMark`
 * (16 MiB by default).
 */
const HELD_BOUND = getDefaultHighWaterMark(false) + 3 * 127;

/** A masked ping whose 125-byte payload starts with `index`. */
function ping(index: number): Buffer {
  const payload = Buffer.alloc(125);
  payload.writeUInt32BE(index);
  return clientFrame(Opcode.Ping, payload);
}

interface Flood {
  /** Pings written. */
  readonly sent: number;
  /** The most the server held for the connection (`bufferedAmount`, the waiting pong included), sampled at every ping it read. */
  readonly maxHeld: number;
}

/**
 * Writes bursts of pings from `raw` (which does not read) until the server closes the connection:
 * after each burst, until the server has read it or is closing.
 */
async function floodUntilClosed(raw: RawClient, socket: WebSocket): Promise<Flood> {
  const progress = new EventEmitter();
  let sent = 0;
  let maxHeld = 0;
  const onPing = (data: Buffer): void => {
    maxHeld = Math.max(maxHeld, socket.bufferedAmount);
    if (data.readUInt32BE(0) === sent - 1) progress.emit('step');
  };
  const onClosing = (): void => {
    progress.emit('step');
  };
  socket.on('ping', onPing);
  socket.on('error', onClosing);
  try {
    for (let burst = 0; burst < MAX_BURSTS && socket.readyState === WebSocket.OPEN; burst++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < PINGS_PER_BURST; i++) frames.push(ping(sent++));
      const step = waitFor(progress, 'step');
      raw.write(Buffer.concat(frames));
      await step;
    }
  } finally {
    socket.off('ping', onPing);
    socket.off('error', onClosing);
  }
  return { sent, maxHeld };
}

describe('a peer that floods pings and never reads the pongs', () => {
  test('holds one waiting pong beside a small write buffer and is closed with 1008 (ERR_PING_FLOOD) past maxUnansweredPings', async () => {
    const server = await startServer({ heartbeatInterval: 0, maxUnansweredPings: 8, closeTimeout: 200 });
    const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
    const raw = await RawClient.open(server.port);
    try {
      const [socket] = await accepted;
      const errors: WebSocketError[] = [];
      socket.on('error', (error) => errors.push(error as WebSocketError));
      // Armed before the flood, which takes its time: the bound covers both.
      const closed = waitFor<[number]>(socket, 'close', 30_000).then(([code]) => code);
      raw.socket.pause();

      const { sent, maxHeld } = await floodUntilClosed(raw, socket);
      assert.notEqual(socket.readyState, WebSocket.OPEN, `still open after ${sent} pings`);
      assert.ok(maxHeld <= HELD_BOUND, `the server held ${maxHeld} bytes for the connection`);
      assert.ok(maxHeld >= getDefaultHighWaterMark(false), 'its socket was full, so pongs had to wait');
      assert.deepEqual(
        errors.map(({ code, closeCode }) => [code, closeCode]),
        [[ErrorCode.PingFlood, CloseCode.PolicyViolation]],
      );
      // The peer does not read its close frame either: the socket goes after a short grace.
      assert.equal(await closed, CloseCode.PolicyViolation);
      assert.equal(server.wss.clients.size, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('maxUnansweredPings is checked at construction', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => new WebSocketServer({ noServer: true, maxUnansweredPings: bad }), {
        name: 'TypeError',
        message: /maxUnansweredPings/,
      });
      assert.throws(() => new WebSocket('ws://127.0.0.1:1', { maxUnansweredPings: bad }), /maxUnansweredPings/);
    }
    assert.doesNotThrow(() => new WebSocketServer({ noServer: true, maxUnansweredPings: Infinity }).close());
  });
});

/** Bytes each peer streams to the other: far more than both directions' loopback buffers hold. */
const STREAMED = 16 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** Each streamer stops sending above this many bytes buffered and goes on at `'drain'`. */
const BUFFERED_MARK = 1024 * 1024;

/**
 * Streams {@link STREAMED} bytes from `socket` under the `wait` policy, pinging the peer after
 * every message: many pings reach the peer while its own write buffer is full.
 */
function stream(socket: WebSocket): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < STREAMED && socket.readyState === WebSocket.OPEN && socket.bufferedAmount < BUFFERED_MARK) {
      socket.send(Buffer.alloc(CHUNK, sent / CHUNK));
      socket.ping();
      sent += CHUNK;
    }
  };
  socket.on('drain', pump);
  pump();
}

/** Resolves once `socket` has received `STREAMED` bytes of messages. */
function receiveAll(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    socket.on('message', (data: Buffer) => {
      received += data.length;
      if (received === STREAMED) resolve();
    });
  });
}

describe('two peers streaming to each other while both ping', () => {
  test('keep reading while a pong waits: neither is closed, by the heartbeat or otherwise, within 16 MiB each way', async () => {
    const server = await startServer({ heartbeatInterval: 20 });
    const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
    const client = new WebSocket(server.url, { heartbeatInterval: 20 });
    const events: string[] = [];
    try {
      const [serverSide] = await accepted;
      await waitFor(client, 'open');
      for (const [name, socket] of [
        ['server', serverSide],
        ['client', client],
      ] as const) {
        socket.on('close', (code: number) => events.push(`${name} closed ${code}`));
        socket.on('error', (error: Error) => events.push(`${name} error ${error.message}`));
      }
      const done = Promise.all([receiveAll(serverSide), receiveAll(client)]);
      const stopped = new Promise<void>((resolve) => {
        serverSide.once('close', () => resolve());
        client.once('close', () => resolve());
      });
      stream(serverSide);
      stream(client);
      await Promise.race([done, stopped]);
      assert.deepEqual(events, []);
      assert.equal(serverSide.readyState, WebSocket.OPEN);
      assert.equal(client.readyState, WebSocket.OPEN);
    } finally {
      client.terminate();
      await server.close();
    }
  });
});
