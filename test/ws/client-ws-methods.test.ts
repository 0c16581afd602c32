/**
 * The `WebSocket` methods as `ws` code calls them: ping/pong/send argument forms, numbers as text,
 * the mask switch (refused where RFC 6455 §5.1 forbids it), `ws`'s error wording, pause/resume.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const NOT_CONNECTED = { name: 'Error', message: 'WebSocket is not open: readyState 0 (CONNECTING)' };

/**
 * Runs `body` with a client connected to our server and the server side of the connection; the
 * client is terminated and the server closed whatever happens.
 */
async function withConnection(
  body: (connection: { client: WebSocket; accepted: WebSocket }) => Promise<void>,
): Promise<void> {
  const server = await startServer();
  const client = new WebSocket(server.url);
  try {
    const acceptedSocket = waitFor<[WebSocket]>(server.wss, 'connection');
    await waitFor(client, 'open');
    const [accepted] = await acceptedSocket;
    await body({ client, accepted });
  } finally {
    client.terminate();
    await server.close();
  }
}

describe('ping and pong argument forms (as ws)', () => {
  it('takes a callback in first or second place, a number as text, and mask only as the role fixes it', async () => {
    await withConnection(async ({ client, accepted }) => {
      const pings: string[] = [];
      accepted.on('ping', (data) => pings.push(data.toString()));
      const done: string[] = [];
      await new Promise<void>((resolve) => client.ping(() => resolve(void done.push('cb only'))));
      await new Promise<void>((resolve) => client.ping('hi', () => resolve(void done.push('data, cb'))));
      await new Promise<void>((resolve) =>
        client.ping('masked', true, () => resolve(void done.push('data, mask, cb'))),
      );
      client.ping(42);
      const unsolicited = waitFor<[Buffer]>(accepted, 'pong');
      client.pong('unsolicited', true);
      // The answer to this last ping comes after the server has seen every frame before it.
      const answered = waitFor<[Buffer]>(client, 'pong');
      client.ping();
      assert.equal((await unsolicited)[0].toString(), 'unsolicited');
      await answered;
      assert.deepEqual(done, ['cb only', 'data, cb', 'data, mask, cb']);
      assert.deepEqual(pings, ['', 'hi', 'masked', '42', '']);
      assert.throws(() => client.ping('x', false), {
        name: 'TypeError',
        message: /mask: false is not supported: RFC 6455 §5.1/,
      });
      assert.throws(() => accepted.ping('x', true), {
        name: 'TypeError',
        message: /mask: true is not supported on the server side/,
      });
      accepted.ping('server', false);
      assert.throws(() => client.ping(Buffer.alloc(126)), {
        name: 'RangeError',
        message: 'The data size must not be greater than 125 bytes',
      });
      assert.throws(() => client.pong('x'.repeat(126)), {
        name: 'RangeError',
        message: 'The data size must not be greater than 125 bytes',
      });
      // A Blob is known by its size before it is read.
      assert.throws(() => client.ping(new Blob([Buffer.alloc(126)])), {
        name: 'RangeError',
        message: 'The data size must not be greater than 125 bytes',
      });
    });
  });

  it('reads a Blob, keeping the ping and pong in their place among the sends (as ws)', async () => {
    await withConnection(async ({ client, accepted }) => {
      const frames: string[] = [];
      accepted.on('message', (data) => frames.push(`message ${data.toString()}`));
      accepted.on('ping', (data) => frames.push(`ping ${data.toString()}`));
      accepted.on('pong', (data) => frames.push(`pong ${data.toString()}`));
      const callbacks: string[] = [];
      client.send(new Blob(['first']));
      // Not a Blob, yet behind the Blob being read: frames leave in the order they were asked for.
      client.ping('plain', () => callbacks.push('plain ping'));
      client.ping(new Blob(['blob ping']), () => callbacks.push('blob ping'));
      client.send('second');
      client.pong(new Blob(['blob pong']), true, () => callbacks.push('blob pong'));
      // Before their frames are written, queued bytes count in bufferedAmount.
      assert.equal(client.bufferedAmount, 5 + 5 + 9 + 6 + 9);
      const lastPong = waitFor(accepted, 'pong');
      await lastPong;
      assert.deepEqual(frames, ['message first', 'ping plain', 'ping blob ping', 'message second', 'pong blob pong']);
      assert.deepEqual(callbacks, ['plain ping', 'blob ping', 'blob pong']);
      // On the server side too, and with nothing queued the Blob is read all the same.
      const answered = waitFor<[Buffer]>(client, 'ping');
      accepted.ping(new Blob(['from the server']));
      assert.equal((await answered)[0].toString(), 'from the server');
    });
  });

  it('a Blob ping asked for before close() goes before the close frame; one asked for after is refused', async () => {
    await withConnection(async ({ client, accepted }) => {
      const frames: string[] = [];
      accepted.on('ping', (data) => frames.push(`ping ${data.toString()}`));
      accepted.on('close', (code) => frames.push(`close ${code}`));
      const results: unknown[] = [];
      client.ping(new Blob(['before']), (error) => results.push(error ?? 'sent'));
      client.close(4000);
      client.ping(new Blob(['after']), (error) => results.push(error?.message));
      await waitFor(accepted, 'close');
      assert.deepEqual(frames, ['ping before', 'close 4000']);
      assert.deepEqual(results, ['WebSocket is not open: readyState 2 (CLOSING)', 'sent']);
    });
  });

  it("throws ws's error while connecting, and reports one naming the state once closing", async () => {
    const server = await startServer();
    try {
      const client = new WebSocket(server.url);
      assert.throws(() => client.ping(), NOT_CONNECTED);
      assert.throws(() => client.pong(), NOT_CONNECTED);
      assert.throws(() => client.send('x'), NOT_CONNECTED);
      await waitFor(client, 'open');
      client.close();
      const error = await new Promise<Error | null | undefined>((resolve) => client.ping('late', resolve));
      assert.equal(error?.message, 'WebSocket is not open: readyState 2 (CLOSING)');
      await waitFor(client, 'close');
    } finally {
      await server.close();
    }
  });
});

describe('send as ws code calls it', () => {
  it('sends numbers as text and no data as an empty binary message; refuses unknown options and the wrong mask', async () => {
    await withConnection(async ({ client, accepted }) => {
      const received: [string, boolean][] = [];
      accepted.on('message', (data, isBinary) => received.push([data.toString(), isBinary]));
      client.send(12.5);
      client.send(undefined);
      client.send('fin', { binary: false, compress: false, fin: true, mask: true });
      while (received.length < 3) await waitFor(accepted, 'message');
      assert.deepEqual(received, [
        ['12.5', false],
        ['', true],
        ['fin', false],
      ]);
      assert.throws(() => client.send('x', { compres: false } as never), {
        name: 'TypeError',
        message: /unknown send option "compres"/,
      });
      assert.throws(() => client.send('x', { mask: false }), {
        name: 'TypeError',
        message: /mask: false is not supported/,
      });
      assert.throws(() => accepted.send('x', { mask: true }), {
        name: 'TypeError',
        message: /mask: true is not supported on the server side/,
      });
    });
  });

  it("close takes a reason as bytes; terminate while connecting reports ws's message", async () => {
    await withConnection(async ({ client, accepted }) => {
      const closed = waitFor<[number, Buffer]>(accepted, 'close');
      client.close(4002, Buffer.from('as bytes'));
      const [code, reason] = await closed;
      assert.deepEqual([code, reason.toString()], [4002, 'as bytes']);
      const early = new WebSocket(client.url);
      const failure = waitFor<[Error]>(early, 'error').then(([error]) => error);
      early.terminate();
      assert.equal((await failure).message, 'WebSocket was closed before the connection was established');
    });
  });

  it('a handshake that fails is CLOSING during its error and CLOSED at its close; methods called then are harmless', async () => {
    await withConnection(async ({ client }) => {
      const early = new WebSocket(client.url);
      const states: number[] = [];
      early.once('error', () => {
        states.push(early.readyState);
        early.pause();
        early.resume();
        early.terminate();
        early.close();
      });
      const closed = withTimeout(
        new Promise<void>((resolve) => early.once('close', () => resolve(void states.push(early.readyState)))),
        'the early close',
      );
      early.terminate();
      await closed;
      early.close();
      assert.deepEqual(states, [WebSocket.CLOSING, WebSocket.CLOSED]);
      // Never connected, it is still a client: the mask a client must use is taken, and the ping refused as late.
      const refused = await new Promise<Error | null | undefined>((resolve) => early.ping('late', true, resolve));
      assert.equal(refused?.message, 'WebSocket is not open: readyState 3 (CLOSED)');
      assert.throws(() => early.send('x', { mask: false }), {
        name: 'TypeError',
        message: /mask: false is not supported/,
      });
    });
  });

  it('sends, pings and pongs refused once closing add to bufferedAmount, as WHATWG and ws have it', async () => {
    await withConnection(async ({ client }) => {
      const closed = waitFor(client, 'close');
      client.close();
      // The close frame is written at once, not held for the end of the tick.
      assert.equal(client.bufferedAmount, 0);
      await closed;
      const before = client.bufferedAmount;
      client.send('hello');
      client.ping('hi');
      client.pong(Buffer.from('abc'));
      client.send(new Blob(['blob']));
      client.ping(new Blob(['blob ping']));
      assert.equal(client.bufferedAmount, before + 5 + 2 + 3 + 4 + 9);
    });
  });
});

describe('pause and resume (as ws)', () => {
  it('are no-ops while connecting; isPaused tells what the application asked, not what inflation does', async () => {
    const server = await startServer();
    try {
      const client = new WebSocket(server.url);
      client.pause();
      assert.equal(client.isPaused, false);
      await waitFor(client, 'open');
      client.pause();
      assert.equal(client.isPaused, true);
      client.resume();
      assert.equal(client.isPaused, false);
      client.close();
      await waitFor(client, 'close');
      client.pause();
      assert.equal(client.isPaused, false);
    } finally {
      await server.close();
    }
  });
});
