/**
 * A compressed message followed at once by a close frame: the message is delivered while the
 * connection is still open, and what the application answers goes out before the close reply,
 * as `ws` does and as if the two frames had arrived one by one. Client side against a raw server
 * and a real `ws` server (the parser's pause that makes it so is tested in test/protocol).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { deflateMessage, inflateMessage, textLike } from '../helpers/deflate.js';
import { closePayload, recordingParser, serverFrame, type SinkEvent } from '../helpers/frames.js';
import { fakeUpgradeServer, startServer, switchingProtocols, type FakeServer } from '../helpers/ws-peers.js';
import { startWsServer } from './interop-shared.js';
import { waitFor } from '../helpers/wait.js';

const RSV1 = 0x40;

/**
 * A server that accepts one client with permessage-deflate (no context takeover, so each message
 * inflates on its own), writes `bytes` right behind its answer, records the client's frames, and
 * closes TCP once the client's close frame has arrived.
 */
async function rawDeflateServer(bytes: Buffer): Promise<FakeServer & { frames: SinkEvent[] }> {
  const { parser, sink } = recordingParser('client', { messageRsvMask: RSV1 });
  const server = await fakeUpgradeServer((key, socket) => {
    socket.on('data', (chunk: Buffer) => {
      parser.receive(chunk);
      // The close handshake is done: a server closes TCP first (RFC 6455 §7.1.1).
      if (sink.events.some((event) => event.type === 'close')) socket.end();
    });
    const answer = switchingProtocols(
      key,
      'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n',
    );
    return Buffer.concat([Buffer.from(answer), bytes]);
  });
  return { ...server, frames: sink.events };
}

describe('a compressed message followed at once by a close frame (client side)', () => {
  it('is delivered while open; the reply, compressed, goes before the close reply', async () => {
    const message = textLike(256 * 1024, 7);
    const server = await rawDeflateServer(
      Buffer.concat([
        serverFrame(0x1, deflateMessage(message), { rsv: RSV1 }),
        serverFrame(0x8, closePayload(4001, 'bye')),
      ]),
    );
    try {
      const client = new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } });
      const seen: [number, number][] = [];
      const sent: unknown[] = [];
      client.on('message', (data) => {
        seen.push([client.readyState, data.length]);
        client.send(`got ${data.length}`, (error) => sent.push(error ?? 'sent'));
      });
      const [code, reason] = await waitFor<[number, Buffer]>(client, 'close');
      assert.deepEqual(seen, [[WebSocket.OPEN, message.length]]);
      assert.deepEqual(sent, ['sent']);
      assert.deepEqual([code, reason.toString()], [4001, 'bye']);
      // The server saw the compressed reply, then the close reply echoing its code.
      const frames = server.frames;
      assert.equal(frames.length, 2);
      const [reply, close] = frames;
      assert.ok(reply?.type === 'message' && reply.rsv === RSV1);
      assert.equal(inflateMessage(reply.data).toString(), `got ${message.length}`);
      assert.deepEqual(close, { type: 'close', code: 4001, reason: '' });
    } finally {
      server.close();
    }
  });

  it('keeps pings and messages that follow a compressed one in order, each handled after it', async () => {
    const server = await rawDeflateServer(
      Buffer.concat([
        serverFrame(0x2, deflateMessage(textLike(512 * 1024, 1)), { rsv: RSV1 }),
        serverFrame(0x9, 'after'),
        serverFrame(0x1, deflateMessage(Buffer.from('second')), { rsv: RSV1 }),
        serverFrame(0x1, 'third'),
        serverFrame(0x8, closePayload(1000)),
      ]),
    );
    try {
      const client = new WebSocket(server.url);
      const events: string[] = [];
      client.on('message', (data, isBinary) => events.push(isBinary ? `binary ${data.length}` : data.toString()));
      client.on('ping', (data) => events.push(`ping ${data.toString()} (${client.readyState})`));
      await waitFor(client, 'close');
      assert.deepEqual(events, [`binary ${512 * 1024}`, 'ping after (1)', 'second', 'third']);
      // The pong answered the ping only once the message before it was delivered; the close reply last.
      assert.deepEqual(
        server.frames.map((f) => f.type),
        ['pong', 'close'],
      );
    } finally {
      server.close();
    }
  });

  it('with a ws server that sends a compressed message and closes: the reply reaches it before our close reply', async () => {
    const peer = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const received: string[] = [];
      peer.wss.on('connection', (socket) => {
        socket.on('message', (data) => received.push(data.toString()));
        socket.send('x'.repeat(100_000));
        socket.close(1000, 'done');
      });
      const client = new WebSocket(peer.url);
      const states: number[] = [];
      client.on('message', (data) => {
        states.push(client.readyState);
        client.send(`echo ${data.length}`);
      });
      const [code] = await waitFor<[number]>(client, 'close');
      assert.equal(code, 1000);
      assert.deepEqual(states, [WebSocket.OPEN]);
      assert.deepEqual(received, ['echo 100000']);
    } finally {
      await peer.close();
    }
  });
});

describe('terminate() while a message is being compressed', () => {
  it("fails its send while CLOSING, in ws's words", async () => {
    const server = await startServer({ perMessageDeflate: { threshold: 0 } });
    const client = new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } });
    try {
      await waitFor(client, 'open');
      const failed = new Promise<[string, number]>((resolve) =>
        client.send('hi', (error) => resolve([String(error?.message), client.readyState])),
      );
      client.terminate();
      assert.deepEqual(await failed, ['The socket was closed while data was being compressed', WebSocket.CLOSING]);
    } finally {
      client.terminate();
      await server.close();
    }
  });
});
