/**
 * `maxFragments` through the Node bindings, on loopback: a raw client streaming 1-byte
 * continuation frames is served up to the limit and closed with 1008 past it, while a well-behaved
 * client on the same server carries on; a client refuses a server that fragments too finely; a bad
 * value is refused at construction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection } from '../../src/protocol/index.js';
import { CloseCode, ErrorCode, WebSocket, WebSocketError, WebSocketServer } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import { nextMessage, ourClose } from './interop-shared.js';
import { until, waitFor } from '../helpers/wait.js';

const CONTINUATION = 0x0;
const BINARY = 0x2;

/** A binary message as `count` masked 1-byte frames, byte i being `i & 0xff`. */
function oneByteFragments(count: number): { stream: Buffer; payload: Buffer } {
  const payload = Buffer.from(Uint8Array.from({ length: count }, (_, i) => i & 0xff));
  const frames = Array.from({ length: count }, (_, i) =>
    clientFrame(i === 0 ? BINARY : CONTINUATION, payload.subarray(i, i + 1), { fin: i === count - 1 }),
  );
  return { stream: Buffer.concat(frames), payload };
}

describe('maxFragments over a real connection', () => {
  it('serves a message of maxFragments 1-byte frames, closes the next one past it with 1008, and other clients carry on', async () => {
    const server = await startServer({ maxFragments: 64 });
    const messages: Buffer[] = [];
    const errors: unknown[] = [];
    const closes: number[] = [];
    server.wss.on('connection', (socket) => {
      socket.on('message', (data: Buffer) => {
        messages.push(data);
        socket.send(data);
      });
      socket.on('error', (error) => errors.push(error));
      socket.on('close', (code) => closes.push(code));
    });
    const raw = await RawClient.open(server.port);
    const healthy = new WebSocket(server.url);
    try {
      await waitFor(healthy, 'open');
      const within = oneByteFragments(64);
      // Written in small pieces, as a peer trickling frames would.
      for (let pos = 0; pos < within.stream.length; pos += 50) raw.write(within.stream.subarray(pos, pos + 50));
      const echo = await raw.readFrame();
      assert.deepEqual(echo?.payload, within.payload);

      const over = oneByteFragments(65);
      raw.write(over.stream);
      assert.equal(await raw.readCloseCode(), CloseCode.PolicyViolation);
      await raw.waitForEnd();
      assert.equal(messages.length, 1);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof WebSocketError);
      assert.equal(errors[0].code, ErrorCode.TooManyFragments);
      // The client sees the server's end of the TCP connection before the server's socket has
      // closed and its WebSocket says so.
      await until(() => closes.length > 0, 5000, 'the server side to close');
      assert.deepEqual(closes, [1008]);

      const reply = nextMessage(healthy);
      healthy.send('still here');
      assert.equal((await reply).data.toString(), 'still here');
    } finally {
      raw.destroy();
      healthy.terminate();
      await server.close();
    }
  });

  it('defaults to 16384 frames per message', async () => {
    const server = await startServer();
    const lengths: number[] = [];
    server.wss.on('connection', (socket) => socket.on('message', (data: Buffer) => lengths.push(data.length)));
    const accepted = await RawClient.open(server.port);
    const refused = await RawClient.open(server.port);
    try {
      accepted.write(oneByteFragments(16_384).stream);
      refused.write(oneByteFragments(16_385).stream);
      assert.equal(await refused.readCloseCode(), 1008);
      accepted.sendClose(1000);
      assert.equal(await accepted.readCloseCode(), 1000);
      assert.deepEqual(lengths, [16_384]);
    } finally {
      accepted.destroy();
      refused.destroy();
      await server.close();
    }
  });

  it('applies to a client reading a server that fragments too finely', async () => {
    const server = await startServer();
    let serverClose: Promise<[number, Buffer]> | undefined;
    server.wss.on('connection', (socket) => {
      serverClose = waitFor<[number, Buffer]>(socket, 'close');
      for (let i = 0; i < 11; i++) socket.send(Buffer.of(i), { fin: i === 10 });
    });
    const client = new WebSocket(server.url, { maxFragments: 10 });
    try {
      const [error] = await waitFor<[unknown]>(client, 'error');
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.code, ErrorCode.TooManyFragments);
      assert.equal((await ourClose(client)).code, 1008);
      // The server got the client's close frame with the same code.
      assert.equal((await serverClose!)[0], 1008);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('lets go of the pieces of a message cut short when the socket closes, though the application keeps the connection', async () => {
    const server = await startServer();
    const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
    const raw = await RawClient.open(server.port);
    try {
      const [socket] = await accepted;
      // A ping between the fragments (RFC 6455 §5.4) tells when the server has read them.
      const pinged = waitFor(socket, 'ping');
      raw.write(clientFrame(BINARY, Buffer.alloc(8192, 1), { fin: false }));
      raw.write(clientFrame(CONTINUATION, Buffer.alloc(8192, 2), { fin: false }));
      raw.write(clientFrame(0x9, 'between'));
      await pinged;
      const connection = (socket as unknown as { open: { connection: Connection } }).open.connection;
      assert.ok(connection.bufferedBytes >= 16_384, `holds ${connection.bufferedBytes} bytes of the message`);
      const closed = waitFor<[number]>(socket, 'close');
      raw.destroy();
      assert.equal((await closed)[0], CloseCode.AbnormalClosure);
      assert.equal(connection.bufferedBytes, 0);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  it('refuses a maxFragments that is not a positive integer or Infinity, at construction', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      assert.throws(() => new WebSocketServer({ noServer: true, maxFragments: bad }), {
        name: 'TypeError',
        message: /maxFragments/,
      });
      assert.throws(() => new WebSocket('ws://127.0.0.1:1', { maxFragments: bad }), {
        name: 'TypeError',
        message: /maxFragments/,
      });
    }
    const unlimited = new WebSocketServer({ noServer: true, maxFragments: Number.POSITIVE_INFINITY });
    unlimited.close();
  });
});
