import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { WebSocket } from '../../src/ws/index.js';
import { collectServerFrames, deflateMessage, inflateMessage, textLike } from '../helpers/deflate.js';
import { clientFrame, closePayload } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import { openWsClient, wsClose } from './interop-shared.js';
import { waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

const OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n';
const RSV1 = 0x40;

/** Waits until the server has a connection and answers it. */
async function accepted(server: { wss: NodeJS.EventEmitter }): Promise<WebSocket> {
  const [socket] = (await waitFor(server.wss, 'connection')) as [WebSocket];
  return socket;
}

describe('permessage-deflate framing of what we send (RFC 7692 §6)', () => {
  it('compresses only data messages at or above the threshold, unless compress is false; RSV1 on first frames only', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: { threshold: 1024, serverNoContextTakeover: true } }),
      async (server) => {
        const connection = accepted(server);
        const client = await RawClient.open(server.port, '/', OFFER);
        assert.match(client.response, /Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n/);
        const wire = collectServerFrames(client.socket);
        const socket = await connection;

        const small = 'x'.repeat(1023);
        const atThreshold = textLike(1024, 1);
        const optedOut = textLike(5000, 2);
        const large = randomBytes(200 * 1024); // compresses to more than one 64 KiB frame
        const parts = [textLike(3000, 3), textLike(20, 4)];
        socket.send(small);
        socket.send(atThreshold);
        socket.send(optedOut, { compress: false });
        socket.ping('p');
        socket.send(large);
        socket.send(parts[0]!, { fin: false });
        socket.send(parts[1]!, { fin: true });

        const frames = await wire.waitFor(1 + 1 + 1 + 1 + 4 + 2);
        const [smallFrame, thresholdFrame, optedOutFrame, pingFrame] = frames;
        assert.deepEqual([smallFrame!.rsv, smallFrame!.payload.toString()], [0, small]);
        assert.equal(thresholdFrame!.rsv, RSV1);
        assert.ok(inflateMessage(thresholdFrame!.payload).equals(atThreshold));
        assert.deepEqual([optedOutFrame!.rsv, optedOutFrame!.payload.equals(optedOut)], [0, true]);
        // RFC 7692 §6.1: control frames are never compressed.
        assert.deepEqual([pingFrame!.opcode, pingFrame!.rsv, pingFrame!.payload.toString()], [0x9, 0, 'p']);

        // The large message: one compressed stream cut into several frames, RSV1 on the first only.
        const largeFrames = frames.slice(4, 8);
        assert.deepEqual(
          largeFrames.map((f) => [f.opcode, f.rsv, f.fin]),
          [
            [0x2, RSV1, false],
            [0x0, 0, false],
            [0x0, 0, false],
            [0x0, 0, true],
          ],
        );
        assert.ok(largeFrames.every((f) => f.payload.length <= 64 * 1024));
        assert.ok(inflateMessage(Buffer.concat(largeFrames.map((f) => f.payload))).equals(large));

        // A message sent in fragments: compression decided on the first, RSV1 there only.
        const fragmentFrames = frames.slice(8, 10);
        assert.deepEqual(
          fragmentFrames.map((f) => [f.opcode, f.rsv, f.fin]),
          [
            [0x2, RSV1, false],
            [0x0, 0, true],
          ],
        );
        assert.ok(inflateMessage(Buffer.concat(fragmentFrames.map((f) => f.payload))).equals(Buffer.concat(parts)));
        client.destroy();
      },
    );
  });
});

describe('permessage-deflate keeps messages in order', () => {
  it('sends compressed and uncompressed messages, pings and the close frame in call order', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: { threshold: 100 } }),
      async (server) => {
        const connection = accepted(server);
        const client = await openWsClient(server.url, { perMessageDeflate: true });
        const socket = await connection;
        const expected: string[] = [];
        const received: string[] = [];
        client.on('message', (data: Buffer) => received.push(data.toString()));
        client.on('ping', (data: Buffer) => received.push(`ping ${data.toString()}`));
        const closed = wsClose(client);
        for (let i = 0; i < 60; i++) {
          // Small (under the threshold), large (compressed, slower), large with compress: false.
          const message =
            i % 3 === 0 ? `m${i}` : `m${i} ${textLike(i % 3 === 1 ? 20_000 : 3000, i).toString('latin1')}`;
          expected.push(message);
          socket.send(message, { compress: i % 3 !== 2 });
          if (i % 20 === 10) {
            socket.ping(String(i));
            expected.push(`ping ${i}`);
          }
        }
        socket.close(1000, 'done');
        const outcome = await closed;
        assert.equal(outcome.code, 1000);
        assert.equal(received.length, expected.length);
        assert.deepEqual(
          received.map((m) => m.slice(0, 12)),
          expected.map((m) => m.slice(0, 12)),
        );
        assert.deepEqual(received, expected);
      },
    );
  });

  it('delivers what arrives in order, whatever each message takes to inflate', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: true }),
      async (server) => {
        const connection = accepted(server);
        const client = await RawClient.open(server.port, '/', OFFER);
        const socket = await connection;
        const events: string[] = [];
        socket.on('message', (data: Buffer, isBinary: boolean) =>
          events.push(`${isBinary ? 'binary' : 'text'} ${data.length} ${data.subarray(0, 3).toString()}`),
        );
        socket.on('ping', (data: Buffer) => events.push(`ping ${data.toString()}`));
        const closed = waitFor(socket, 'close');

        // One write: a large compressed message (slow to inflate), then quick ones, a ping and a close.
        const large = Buffer.concat([Buffer.from('AAA'), textLike(2 * 1024 * 1024, 9)]);
        client.write(
          Buffer.concat([
            clientFrame(0x2, deflateMessage(large), { rsv: RSV1 }),
            clientFrame(0x1, 'BBB uncompressed'),
            clientFrame(0x1, deflateMessage(Buffer.from('CCC compressed')), { rsv: RSV1 }),
            clientFrame(0x9, 'between'),
            clientFrame(0x2, 'DDD'),
            clientFrame(0x8, closePayload(1000)),
          ]),
        );
        const [code] = (await closed) as [number];
        assert.equal(code, 1000);
        assert.deepEqual(events, [
          `binary ${large.length} AAA`,
          'text 16 BBB',
          'text 14 CCC',
          'ping between',
          'binary 3 DDD',
        ]);
        client.destroy();
      },
    );
  });

  it('delivers a compressed message that precedes a close while open, and sends the reply before the close frame', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: { threshold: 0 } }),
      async (server) => {
        const connection = accepted(server);
        const client = await RawClient.open(server.port, '/', OFFER);
        const wire = collectServerFrames(client.socket);
        const socket = await connection;
        const replies: unknown[] = [];
        const states: number[] = [];
        // The application answers the message; a compressed answer takes a while, the close reply waits for it.
        socket.on('message', () => {
          states.push(socket.readyState);
          socket.send(textLike(64 * 1024, 2), (error) => replies.push(error ?? 'sent'));
        });
        const closed = waitFor(socket, 'close');
        client.write(
          Buffer.concat([
            clientFrame(0x2, deflateMessage(textLike(1024 * 1024, 1)), { rsv: RSV1 }),
            clientFrame(0x8, closePayload(1000)),
          ]),
        );
        await closed;
        assert.deepEqual(states, [1]);
        assert.deepEqual(replies, ['sent']);
        assert.deepEqual(
          wire.frames.map((f) => f.opcode),
          [0x2, 0x8],
        );
        assert.ok(inflateMessage(wire.frames[0]!.payload).equals(textLike(64 * 1024, 2)));
        client.destroy();
      },
    );
  });
});
