/**
 * A peer that floods pings and never reads the pongs (RFC 6455 §5.5.3): the server keeps at most
 * the pong for the latest ping beside its socket's own small write buffer, stops reading from that
 * peer, and answers the latest ping once the peer reads again.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { getDefaultHighWaterMark } from 'node:stream';
import { describe, test } from 'node:test';
import { Opcode } from '../../src/protocol/index.js';
import type { WebSocket } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, nextEvent, startServer } from '../helpers/ws-peers.js';

const PINGS_PER_BURST = 500;
/**
 * At most 1,000,000 pings (131 MB; about 130,000 suffice with Linux's default buffers). The server stops reading for good once the kernel's buffers for
 * this connection (a few MB on loopback) are full of pongs; until then each stop lasts until the
 * kernel takes the pongs, and most pings are answered by a later one's pong, so it takes more pings
 * than those buffers hold.
 */
const MAX_BURSTS = 2000;
/**
 * What the server may hold for the flooding connection: its socket's own high-water mark (Node's
 * default for streams, 16 KiB in Node 20), crossed by at most one pong, plus the frame batched for
 * the end of the tick and the waiting pong. Without the bound the pongs would fill `highWaterMark`
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
 * Writes bursts of pings from `raw` (which does not read) until the server stops reading from it
 * for good or closes it: after each burst, until the server has read it or stopped reading, and
 * then until the server's writes of that tick have completed (a pause that the kernel's taking
 * the pongs ends is over by then).
 */
async function floodUntilPaused(raw: RawClient, socket: WebSocket): Promise<Flood> {
  const progress = new EventEmitter();
  let sent = 0;
  let maxHeld = 0;
  const onPing = (data: Buffer): void => {
    maxHeld = Math.max(maxHeld, socket.bufferedAmount);
    if (socket.isPaused || data.readUInt32BE(0) === sent - 1) progress.emit('step');
  };
  const onClose = (): void => {
    progress.emit('step');
  };
  socket.on('ping', onPing);
  socket.on('close', onClose);
  try {
    for (let burst = 0; burst < MAX_BURSTS && !socket.isPaused && socket.readyState === socket.OPEN; burst++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < PINGS_PER_BURST; i++) frames.push(ping(sent++));
      const step = nextEvent(progress, 'step');
      raw.write(Buffer.concat(frames));
      await step;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    socket.off('ping', onPing);
    socket.off('close', onClose);
  }
  return { sent, maxHeld };
}

describe('a peer that floods pings and never reads the pongs', () => {
  test('holds at most one waiting pong beside a small write buffer, stops reading, and answers the latest ping once the peer reads', async () => {
    const server = await startServer({ heartbeatInterval: 0 });
    const accepted = nextEvent<[WebSocket]>(server.wss, 'connection');
    const raw = await RawClient.open(server.port);
    try {
      const [socket] = await accepted;
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      raw.socket.pause();

      const { sent, maxHeld } = await floodUntilPaused(raw, socket);
      assert.equal(socket.isPaused, true, `the server still reads after ${sent} pings`);
      assert.ok(maxHeld <= HELD_BOUND, `the server held ${maxHeld} bytes for the connection`);
      assert.ok(socket.bufferedAmount <= HELD_BOUND);

      // The peer reads again: pongs come in order, some pings answered only by a later one's pong,
      // and the last ping gets its own.
      raw.socket.resume();
      let pongs = 0;
      let latest = -1;
      while (latest < sent - 1) {
        const reply = await raw.readFrame();
        assert.ok(reply, 'the connection stayed open');
        assert.equal(reply.opcode, Opcode.Pong);
        const index = reply.payload.readUInt32BE(0);
        assert.ok(index > latest, `pong ${index} came after pong ${latest}`);
        latest = index;
        pongs++;
      }
      assert.ok(pongs < sent, `${pongs} pongs for ${sent} pings: none was left out`);

      // The connection goes on.
      raw.write(clientFrame(Opcode.Text, 'still here'));
      const echo = await raw.readFrame();
      assert.equal(echo?.opcode, Opcode.Text);
      assert.equal(echo.payload.toString(), 'still here');
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  test('is still terminated by the heartbeat, since it stays silent once the server stops reading', async () => {
    const server = await startServer({ heartbeatInterval: 100 });
    const accepted = nextEvent<[WebSocket]>(server.wss, 'connection');
    const raw = await RawClient.open(server.port);
    try {
      const [socket] = await accepted;
      const closed = nextEvent<[number]>(socket, 'close');
      raw.socket.pause();
      const { maxHeld } = await floodUntilPaused(raw, socket);
      assert.ok(maxHeld <= HELD_BOUND, `the server held ${maxHeld} bytes for the connection`);
      const [code] = await closed;
      assert.equal(code, 1006);
      assert.equal(server.wss.clients.size, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });
});
