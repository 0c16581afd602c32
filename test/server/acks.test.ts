import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket } from '../../src/server/index.js';
import { RawWebSocket } from '../engine/helpers.js';
import { waitFor } from '../helpers/wait.js';
import { startServer } from './helpers.js';

/** Opens a raw Engine.IO WebSocket session and joins the main namespace; resolves once the CONNECT is answered. */
async function rawSocketIoClient(port: number): Promise<RawWebSocket> {
  const raw = await RawWebSocket.connect(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  assert.match(await raw.nextText(), /^0\{/, 'the Engine.IO open packet');
  raw.send('40');
  assert.match(await raw.nextText(), /^40\{"sid"/, 'the Socket.IO CONNECT answer');
  return raw;
}

describe('acknowledgements', () => {
  test('an ACK the client sends twice runs the callback once', async () => {
    const h = await startServer();
    let raw: RawWebSocket | undefined;
    try {
      const connected = waitFor<[Socket]>(h.io, 'connection');
      raw = await rawSocketIoClient(h.port);
      const [socket] = await connected;
      const answers: unknown[] = [];
      socket.emit('question', (answer: unknown) => answers.push(answer));
      const question = await raw.nextText();
      const id = /^42(\d+)\["question"\]$/.exec(question)?.[1];
      assert.ok(id !== undefined, `an EVENT with an ack id, got ${question}`);
      raw.send(`43${id}["first"]`);
      raw.send(`43${id}["second"]`);
      // Packets of one session are handled in order: once this event arrives, both ACKs were.
      const done = waitFor(socket, 'done');
      raw.send('42["done"]');
      await done;
      assert.deepEqual(answers, ['first']);
    } finally {
      raw?.close();
      await h.close();
    }
  });

  test('acks awaited at the same time get distinct ids, each answer reaching its own callback', async () => {
    const h = await startServer();
    try {
      const connected = waitFor<[Socket]>(h.io, 'connection');
      const client = h.client();
      const [socket] = await connected;
      // The client answers the second question before the first, so the answers cannot match by order.
      const held: (() => void)[] = [];
      client.on('question', (n: number, ack: (answer: number) => void) => {
        held.push(() => ack(n * 10));
        if (held.length === 2) for (const answer of held.reverse()) answer();
      });
      const answers = await Promise.all([
        socket.timeout(3000).emitWithAck('question', 1),
        socket.timeout(3000).emitWithAck('question', 2),
      ]);
      assert.deepEqual(answers, [10, 20]);
    } finally {
      await h.close();
    }
  });

  test('a broadcast with ack and a direct emit with ack at the same time do not share an id', async () => {
    const h = await startServer();
    try {
      const connected = waitFor<[Socket]>(h.io, 'connection');
      const client = h.client();
      const [socket] = await connected;
      client.on('direct', (ack: (answer: string) => void) => ack('direct answer'));
      client.on('broadcast', (ack: (answer: string) => void) => ack('broadcast answer'));
      const [direct, broadcast] = await Promise.all([
        socket.timeout(3000).emitWithAck('direct'),
        h.io.timeout(3000).emitWithAck('broadcast'),
      ]);
      assert.equal(direct, 'direct answer');
      assert.deepEqual(broadcast, ['broadcast answer']);
    } finally {
      await h.close();
    }
  });
});
