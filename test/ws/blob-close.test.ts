/**
 * `send(blob); send(blob); close()`: the Blobs are read asynchronously, and the close frame goes
 * after them, as browsers and `ws` do; a Blob that cannot be read does not hold the close up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { next, startWsServer } from './interop-shared.js';

/** A Blob whose read fails, as one backed by a file deleted meanwhile would. */
class UnreadableBlob extends Blob {
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('the file behind the Blob is gone'));
  }
}

describe('Blobs sent just before close()', () => {
  it('reach our server before the close frame', async () => {
    const server = await startServer();
    try {
      const events: string[] = [];
      const serverClosed = new Promise<void>((resolve) =>
        server.wss.on('connection', (socket) => {
          socket.on('message', (data, isBinary) => events.push(`${isBinary ? 'binary' : 'text'} ${data.toString()}`));
          socket.on('close', (code, reason) => {
            events.push(`close ${code} ${reason.toString()}`);
            resolve();
          });
        }),
      );
      const client = new WebSocket(server.url);
      await next(client, 'open');
      const callbacks: unknown[] = [];
      client.send(new Blob(['first']), (error) => callbacks.push(error ?? 'first sent'));
      client.send('between');
      client.send(new Blob(['second']), (error) => callbacks.push(error ?? 'second sent'));
      client.close(4000, 'done');
      assert.equal(client.readyState, WebSocket.CLOSING);
      // Sends after close() are refused, as always.
      const late = new Promise((resolve) => client.send('late', resolve));
      const [code] = await next<[number]>(client, 'close');
      assert.equal(code, 4000);
      assert.match(String(await late), /WebSocket is not open: readyState 2 \(CLOSING\)/);
      assert.deepEqual(callbacks, ['first sent', 'second sent']);
      await serverClosed;
      assert.deepEqual(events, ['binary first', 'text between', 'binary second', 'close 4000 done']);
    } finally {
      await server.close();
    }
  });

  it('reach a ws server before the close frame', async () => {
    const peer = await startWsServer();
    try {
      const received: string[] = [];
      const closed = new Promise<number>((resolve) =>
        peer.wss.on('connection', (socket) => {
          socket.on('message', (data) => received.push(String(data)));
          socket.on('close', (code) => resolve(code));
        }),
      );
      const client = new WebSocket(peer.url);
      await next(client, 'open');
      client.send(new Blob(['a'.repeat(100_000)]));
      client.send(new Blob(['b']));
      client.close();
      assert.equal(await closed, 1005);
      assert.deepEqual(received.map((m) => `${m[0]} ${m.length}`), ['a 100000', 'b 1']);
    } finally {
      await peer.close();
    }
  });

  it('terminate() while a Blob is read: its send and those behind it fail in ws\'s words, while CLOSING', async () => {
    const server = await startServer();
    const client = new WebSocket(server.url);
    try {
      await next(client, 'open');
      const failures: [string, number][] = [];
      const record = (error?: Error | null): void => void failures.push([String(error?.message), client.readyState]);
      client.send(new Blob(['blob']), record);
      client.send('behind', record);
      const closed = next(client, 'close');
      client.terminate();
      await closed;
      const expected: [string, number] = ['The socket was closed while the blob was being read', WebSocket.CLOSING];
      assert.deepEqual(failures, [expected, expected]);
    } finally {
      await server.close();
    }
  });

  it('a Blob that cannot be read: its send and those behind it fail, and the close still goes', async () => {
    const server = await startServer();
    try {
      const received: string[] = [];
      const serverClose = new Promise<number>((resolve) =>
        server.wss.on('connection', (socket) => {
          socket.on('message', (data) => received.push(String(data)));
          socket.on('close', (code) => resolve(code));
        }),
      );
      const client = new WebSocket(server.url);
      await next(client, 'open');
      const errors: unknown[] = [];
      client.on('error', (error) => errors.push(error.message));
      const callbacks: Record<string, string> = {};
      client.send(new Blob(['readable']), (error) => (callbacks.readable = error?.message ?? 'sent'));
      client.send(new UnreadableBlob(['x']), (error) => (callbacks.unreadable = error?.message ?? 'sent'));
      client.send(new Blob(['behind']), (error) => (callbacks.behind = error?.message ?? 'sent'));
      // Not events.once: it would reject on the 'error' this test expects.
      const closed = new Promise<number>((resolve) => client.once('close', resolve));
      client.close(4001);
      const code = await closed;
      assert.equal(code, 4001);
      assert.equal(await serverClose, 4001);
      assert.deepEqual(callbacks, { readable: 'sent', unreadable: 'the file behind the Blob is gone', behind: 'the file behind the Blob is gone' });
      assert.deepEqual(errors, ['the file behind the Blob is gone']);
      assert.deepEqual(received, ['readable']);
    } finally {
      await server.close();
    }
  });
});
