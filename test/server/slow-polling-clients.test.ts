/**
 * A Socket.IO client over long-polling that stops polling while the server broadcasts: its engine
 * session is held to the Socket.IO server's `connectionLimits`, so its socket leaves with
 * "transport error" while a client that polls gets every event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Socket } from '../../src/server/index.js';
import { SendBudget } from '../../src/ws/index.js';
import { rawRequest } from '../engine/helpers.js';
import { startServer } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const KIB = 1024;
const POLLING = '/socket.io/?EIO=4&transport=polling';
/** Far more events than the limits below let a client that does not poll hold. */
const MAX_EVENTS = 200;

describe('slow polling clients of the Socket.IO server', () => {
  it('io.emit to a client that stops polling: its socket leaves with "transport error", a client that polls gets every event', async () => {
    const budget = new SendBudget();
    const maxBufferedAmount = 32 * KIB;
    const h = await startServer(
      { connectionLimits: { highWaterMark: 16 * KIB, maxBufferedAmount, sendBudget: budget } },
      'polling',
    );
    try {
      const reader = h.client();
      await waitFor(reader, 'connect');
      const received: unknown[] = [];
      reader.on('news', (text: unknown) => received.push(text));

      const joined = waitFor<[Socket]>(h.io, 'connection');
      const handshake = await rawRequest(h.port, POLLING);
      const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
      // Joins the main namespace, then never polls for the CONNECT or anything after it.
      await rawRequest(h.port, `${POLLING}&sid=${sid}`, {
        method: 'POST',
        body: '40',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      });
      const [silent] = await joined;
      const left = waitFor<[string]>(silent, 'disconnect');
      const session = h.io.engine.clients.get(sid)!;

      let sent = 0;
      let mostHeld = 0;
      while (sent < MAX_EVENTS && silent.connected) {
        const text = `${sent}:`.padEnd(KIB, '.');
        const arrived = waitFor(reader, 'news');
        h.io.emit('news', text);
        mostHeld = Math.max(mostHeld, session.bufferedAmount);
        await arrived;
        sent++;
      }
      assert.ok(sent < MAX_EVENTS, 'the silent client was disconnected');
      assert.equal((await left)[0], 'transport error');
      assert.ok(mostHeld <= maxBufferedAmount, `the silent client held ${mostHeld} bytes`);
      assert.equal(received.length, sent, 'the client that polls got every event');
      assert.equal(received.at(-1), `${sent - 1}:`.padEnd(KIB, '.'));
      assert.equal(budget.queuedBytes, 0);
      assert.equal(h.io.engine.clientsCount, 1);
    } finally {
      await h.close();
    }
  });
});
