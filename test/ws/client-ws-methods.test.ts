/**
 * The `WebSocket` methods as `ws` code calls them: ping/pong/send argument forms, numbers as text,
 * the mask switch (refused where RFC 6455 §5.1 forbids it), `ws`'s error wording, pause/resume.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { next } from './interop-shared.js';

const NOT_CONNECTED = { name: 'Error', message: 'WebSocket is not open: readyState 0 (CONNECTING)' };

/** A client connected to our server, and the server side of the connection. */
async function connected(): Promise<{ client: WebSocket; accepted: WebSocket; close(): Promise<void> }> {
  const server = await startServer();
  const acceptedSocket = next<[WebSocket]>(server.wss, 'connection');
  const client = new WebSocket(server.url);
  await next(client, 'open');
  const [accepted] = await acceptedSocket;
  return { client, accepted, close: () => server.close() };
}

describe('ping and pong argument forms (as ws)', () => {
  it('takes a callback in first or second place, a number as text, and mask only as the role fixes it', async () => {
    const { client, accepted, close } = await connected();
    try {
      const pings: string[] = [];
      accepted.on('ping', (data) => pings.push(data.toString()));
      const done: string[] = [];
      await new Promise<void>((resolve) => client.ping(() => resolve(void done.push('cb only'))));
      await new Promise<void>((resolve) => client.ping('hi', () => resolve(void done.push('data, cb'))));
      await new Promise<void>((resolve) => client.ping('masked', true, () => resolve(void done.push('data, mask, cb'))));
      client.ping(42);
      const unsolicited = next<[Buffer]>(accepted, 'pong');
      client.pong('unsolicited', true);
      // The answer to this last ping comes after the server has seen every frame before it.
      const answered = next<[Buffer]>(client, 'pong');
      client.ping();
      assert.equal((await unsolicited)[0].toString(), 'unsolicited');
      await answered;
      assert.deepEqual(done, ['cb only', 'data, cb', 'data, mask, cb']);
      assert.deepEqual(pings, ['', 'hi', 'masked', '42', '']);
      assert.throws(() => client.ping('x', false), { name: 'TypeError', message: /mask: false is not supported: RFC 6455 §5.1/ });
      assert.throws(() => accepted.ping('x', true), { name: 'TypeError', message: /mask: true is not supported on the server side/ });
      accepted.ping('server', false);
      assert.throws(() => client.ping(Buffer.alloc(126)), { name: 'RangeError', message: 'The data size must not be greater than 125 bytes' });
      assert.throws(() => client.pong('x'.repeat(126)), { name: 'RangeError', message: 'The data size must not be greater than 125 bytes' });
      assert.throws(() => client.ping(new Blob(['b']) as never), { name: 'TypeError', message: /a Blob as ping data is not supported/ });
    } finally {
      client.terminate();
      await close();
    }
  });

  it('throws ws\'s error while connecting, and reports one naming the state once closing', async () => {
    const server = await startServer();
    try {
      const client = new WebSocket(server.url);
      assert.throws(() => client.ping(), NOT_CONNECTED);
      assert.throws(() => client.pong(), NOT_CONNECTED);
      assert.throws(() => client.send('x'), NOT_CONNECTED);
      await next(client, 'open');
      client.close();
      const error = await new Promise<Error | null | undefined>((resolve) => client.ping('late', resolve));
      assert.equal(error?.message, 'WebSocket is not open: readyState 2 (CLOSING)');
      await next(client, 'close');
    } finally {
      await server.close();
    }
  });
});

describe('send as ws code calls it', () => {
  it('sends numbers as text and no data as an empty binary message; refuses unknown options and the wrong mask', async () => {
    const { client, accepted, close } = await connected();
    try {
      const received: [string, boolean][] = [];
      accepted.on('message', (data, isBinary) => received.push([data.toString(), isBinary]));
      client.send(12.5);
      client.send(undefined);
      client.send('fin', { binary: false, compress: false, fin: true, mask: true });
      while (received.length < 3) await next(accepted, 'message');
      assert.deepEqual(received, [['12.5', false], ['', true], ['fin', false]]);
      assert.throws(() => client.send('x', { compres: false } as never), { name: 'TypeError', message: /unknown send option "compres"/ });
      assert.throws(() => client.send('x', { mask: false }), { name: 'TypeError', message: /mask: false is not supported/ });
      assert.throws(() => accepted.send('x', { mask: true }), { name: 'TypeError', message: /mask: true is not supported on the server side/ });
    } finally {
      client.terminate();
      await close();
    }
  });

  it('close takes a reason as bytes; terminate while connecting reports ws\'s message', async () => {
    const { client, accepted, close } = await connected();
    try {
      const closed = next<[number, Buffer]>(accepted, 'close');
      client.close(4002, Buffer.from('as bytes'));
      const [code, reason] = await closed;
      assert.deepEqual([code, reason.toString()], [4002, 'as bytes']);
      const early = new WebSocket(client.url);
      const failure = new Promise<Error>((resolve) => early.once('error', resolve));
      early.terminate();
      assert.equal((await failure).message, 'WebSocket was closed before the connection was established');
    } finally {
      await close();
    }
  });

  it('a handshake that fails is CLOSING during its error and CLOSED at its close; methods called then are harmless', async () => {
    const { client, close } = await connected();
    try {
      const early = new WebSocket(client.url);
      const states: number[] = [];
      early.once('error', () => {
        states.push(early.readyState);
        early.pause();
        early.resume();
        early.terminate();
        early.close();
      });
      const closed = new Promise<void>((resolve) => early.once('close', () => resolve(void states.push(early.readyState))));
      early.terminate();
      await closed;
      early.close();
      assert.deepEqual(states, [WebSocket.CLOSING, WebSocket.CLOSED]);
    } finally {
      await close();
    }
  });

  it('sends, pings and pongs refused once closing add to bufferedAmount, as WHATWG and ws have it', async () => {
    const { client, close } = await connected();
    try {
      const closed = next(client, 'close');
      client.close();
      // The close frame is written at once, not held for the end of the tick.
      assert.equal(client.bufferedAmount, 0);
      await closed;
      const before = client.bufferedAmount;
      client.send('hello');
      client.ping('hi');
      client.pong(Buffer.from('abc'));
      client.send(new Blob(['blob']));
      assert.equal(client.bufferedAmount, before + 5 + 2 + 3 + 4);
    } finally {
      await close();
    }
  });
});

describe('pause and resume (as ws)', () => {
  it('are no-ops while connecting; isPaused tells what the application asked, not what inflation does', async () => {
    const server = await startServer();
    try {
      const client = new WebSocket(server.url);
      client.pause();
      assert.equal(client.isPaused, false);
      await next(client, 'open');
      client.pause();
      assert.equal(client.isPaused, true);
      client.resume();
      assert.equal(client.isPaused, false);
      client.close();
      await next(client, 'close');
      client.pause();
      assert.equal(client.isPaused, false);
    } finally {
      await server.close();
    }
  });
});
