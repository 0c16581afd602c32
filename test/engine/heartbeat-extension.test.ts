/**
 * The pong deadline (Engine.IO protocol v4, "Heartbeat"): traffic other than a pong while a ping is
 * out proves the client alive and extends the wait for the pong, but once per ping, so a client that
 * keeps sending and never answers still times out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineSocket } from '../../src/engine/index.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { RawWebSocket, withEngine, type EngineFixture } from './helpers.js';

async function openWebSocket(fixture: EngineFixture): Promise<{ client: RawWebSocket; socket: EngineSocket }> {
  const connection = fixture.nextConnection();
  const url = `ws://127.0.0.1:${fixture.port}${fixture.path('EIO=4&transport=websocket')}`;
  const client = await RawWebSocket.connect(url);
  assert.equal((await client.nextText())[0], '0', 'the open packet');
  return { client, socket: await connection };
}

/** Sends a message packet and resolves once the session has handled it. */
async function sendMessage(client: RawWebSocket, socket: EngineSocket, text: string): Promise<void> {
  const received = waitFor(socket, 'message');
  client.send(`4${text}`);
  await received;
}

describe('pong deadline', () => {
  // The deadline is read on the session itself (when it is due, on the monotonic clock in whole ms):
  // comparing it before and after a packet is exact, where waiting for a timeout to fire or not is not.
  it('a message while a ping is out extends the wait once; the next ping allows one extension again', async () => {
    await withEngine({ pingInterval: 100, pingTimeout: 30_000 }, async (fixture) => {
      const { client, socket } = await openWebSocket(fixture);
      try {
        assert.equal(await client.nextText(), '2', 'the first ping');
        const atPing = socket.deadlineAt;
        // The clock counts whole milliseconds: let a few pass so that a restarted wait shows.
        await sleep(20);
        await sendMessage(client, socket, 'first');
        const extended = socket.deadlineAt;
        assert.ok(extended > atPing, `the first message extends the wait (${atPing} -> ${extended})`);
        await sleep(20);
        await sendMessage(client, socket, 'second');
        assert.equal(socket.deadlineAt, extended, 'a second message does not extend it again');

        const heartbeat = waitFor(socket, 'heartbeat');
        client.send('3');
        await heartbeat;
        assert.equal(await client.nextText(), '2', 'the next ping');
        const atNextPing = socket.deadlineAt;
        await sleep(20);
        await sendMessage(client, socket, 'third');
        assert.ok(socket.deadlineAt > atNextPing, 'after a new ping, a message extends the wait again');
      } finally {
        client.close();
      }
    });
  });

  it('a client that keeps sending messages but never answers the ping still times out', async () => {
    await withEngine({ pingInterval: 100, pingTimeout: 200 }, async (fixture) => {
      const { client, socket } = await openWebSocket(fixture);
      const chatter = setInterval(() => client.send('4still here'), 20);
      try {
        // One ping interval, then the timeout at most twice (the one extension): well within 5 s.
        const [reason] = await waitFor<[string]>(socket, 'close', 5000);
        assert.equal(reason, 'ping timeout');
      } finally {
        clearInterval(chatter);
        client.close();
      }
    });
  });
});
