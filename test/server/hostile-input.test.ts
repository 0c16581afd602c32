import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import type { Socket } from '../../src/server/index.js';
import { startServer } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** Socket.IO-shaped text: a packet type, maybe attachments, namespace, id, then JSON or noise. */
const packetText = fc
  .tuple(
    fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', ''),
    fc.constantFrom('', '1-', '2-', '0-', '99-', '-'),
    fc.constantFrom('', '/', '/admin,', '/x', '/\u0000,'),
    fc.constantFrom('', '0', '12', '99999999999999999999'),
    fc.oneof(fc.json(), fc.string(), fc.constantFrom('["connect"]', '[{"_placeholder":true,"num":0}]', '{}', '[]')),
  )
  .map((parts) => parts.join(''));

const message = fc.oneof(
  { weight: 4, arbitrary: packetText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)) },
);

describe('hostile input', () => {
  test('random Socket.IO messages never crash the server nor disturb another client', async () => {
    const h = await startServer({ pingInterval: 1000, pingTimeout: 1000 });
    try {
      h.io.on('connection', (socket: Socket) => {
        socket.on('echo', (...args: unknown[]) => {
          const ack = args.pop();
          if (typeof ack === 'function') ack(...args);
        });
      });
      h.io.of(/^\/dyn-\d$/);
      const witness = h.client('/');
      await waitFor(witness, 'connect');
      const runs = fc.sample(fc.array(message, { minLength: 1, maxLength: 6 }), { numRuns: 40, seed: 20_251_122 });
      for (const run of runs) {
        const raw = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
        await waitFor(raw, 'open');
        raw.send('40');
        for (const item of run) raw.send(typeof item === 'string' ? `4${item}` : item);
        await sleep(5);
        raw.terminate();
      }
      assert.deepEqual(await witness.timeout(2000).emitWithAck('echo', 'still here'), 'still here');
      assert.equal(witness.connected, true);
      await sleep(100);
      assert.equal(h.io.engine.clientsCount, 1, 'every hostile session is gone, the witness remains');
    } finally {
      await h.close();
    }
  });
});
