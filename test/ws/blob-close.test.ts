/**
 * `send(blob); send(blob); close()`: the Blobs are read asynchronously, and the close frame goes
 * after them, as browsers and `ws` do; a Blob that cannot be read does not hold the close up.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { startWsServer } from './interop-shared.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

/** A Blob whose read fails, as one backed by a file deleted meanwhile would. */
class UnreadableBlob extends Blob {
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(new Error('the file behind the Blob is gone'));
  }
}

/** A Blob whose read completes only when the test says so, to close the connection in the middle of it. */
class HeldBlob extends Blob {
  private release: (() => void) | undefined;
  private readonly read = new Promise<void>((resolve) => (this.release = resolve));

  override async arrayBuffer(): Promise<ArrayBuffer> {
    await this.read;
    return super.arrayBuffer();
  }

  /** Lets the read complete. */
  finishRead(): void {
    this.release?.();
  }
}

/** What the server side of the connection saw: each message (`binary …`/`text …`), then `close <code> <reason>`. */
interface ServerSide {
  readonly events: string[];
  /** Resolves with the close code once the server side has closed. */
  readonly closed: Promise<number>;
}

/**
 * Starts a server (ours or `ws`'s) that records what its connection receives, opens our client to
 * it, and runs `body`; the server is closed whatever happens.
 */
async function withRecordingServer(
  start: () => Promise<{ readonly wss: EventEmitter; readonly url: string; close(): Promise<void> }>,
  body: (client: WebSocket, server: ServerSide) => Promise<void>,
): Promise<void> {
  const server = await start();
  try {
    const events: string[] = [];
    const closed = withTimeout(
      new Promise<number>((resolve) =>
        server.wss.on('connection', (socket: EventEmitter) => {
          socket.on('message', (data: Buffer, isBinary: boolean) =>
            events.push(`${isBinary ? 'binary' : 'text'} ${data.toString()}`),
          );
          socket.on('close', (code: number, reason: Buffer) => {
            events.push(`close ${code} ${reason.toString()}`);
            resolve(code);
          });
        }),
      ),
      "the server's close",
    );
    const client = new WebSocket(server.url);
    try {
      await waitFor(client, 'open');
      await body(client, { events, closed });
    } finally {
      client.terminate();
    }
  } finally {
    await server.close();
  }
}

describe('Blobs sent just before close()', () => {
  it('reach our server before the close frame', async () => {
    await withRecordingServer(startServer, async (client, server) => {
      const callbacks: unknown[] = [];
      client.send(new Blob(['first']), (error) => callbacks.push(error ?? 'first sent'));
      client.send('between');
      client.send(new Blob(['second']), (error) => callbacks.push(error ?? 'second sent'));
      client.close(4000, 'done');
      assert.equal(client.readyState, WebSocket.CLOSING);
      // Sends after close() are refused, as always.
      const late = new Promise((resolve) => client.send('late', resolve));
      const [code] = await waitFor<[number]>(client, 'close');
      assert.equal(code, 4000);
      assert.match(String(await late), /WebSocket is not open: readyState 2 \(CLOSING\)/);
      assert.deepEqual(callbacks, ['first sent', 'second sent']);
      await server.closed;
      assert.deepEqual(server.events, ['binary first', 'text between', 'binary second', 'close 4000 done']);
    });
  });

  it('reach a ws server before the close frame', async () => {
    await withRecordingServer(startWsServer, async (client, server) => {
      client.send(new Blob(['a'.repeat(100_000)]));
      client.send(new Blob(['b']));
      client.close();
      assert.equal(await server.closed, 1005);
      assert.deepEqual(server.events, [`binary ${'a'.repeat(100_000)}`, 'binary b', 'close 1005 ']);
    });
  });

  it("terminate() while a Blob is read: its send and those behind it fail in ws's words, while CLOSING", async () => {
    await withRecordingServer(startServer, async (client) => {
      const failures: [string, number][] = [];
      const record = (error?: Error | null): void => void failures.push([String(error?.message), client.readyState]);
      client.send(new Blob(['blob']), record);
      client.send('behind', record);
      const closed = waitFor(client, 'close');
      client.terminate();
      await closed;
      const expected: [string, number] = ['The socket was closed while the blob was being read', WebSocket.CLOSING];
      assert.deepEqual(failures, [expected, expected]);
    });
  });

  it('the connection ends while a Blob is being read: the queued sends fail at once, nothing goes after', async () => {
    await withRecordingServer(startServer, async (client, server) => {
      const failures: string[] = [];
      const blob = new HeldBlob(['held']);
      client.send(blob, (error) => failures.push(`blob: ${error?.message ?? 'sent'}`));
      client.ping(Buffer.from('behind'), undefined, (error) => failures.push(`ping: ${error?.message ?? 'sent'}`));
      assert.equal(client.bufferedAmount, 'held'.length + 'behind'.length);
      const closed = waitFor(client, 'close');
      client.terminate();
      await closed;
      const cut = 'The socket was closed while the blob was being read';
      assert.deepEqual(failures, [`blob: ${cut}`, `ping: ${cut}`], 'told at the close, not when the read ends');
      assert.equal(client.bufferedAmount, 0);
      // The read completing later sends nothing and calls no callback a second time.
      blob.finishRead();
      await withTimeout(server.closed, 'the server side to close');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(failures.length, 2);
      assert.deepEqual(server.events, ['close 1006 ']);
    });
  });

  it('a Blob that cannot be read with no close() waiting: error, then the connection closes with 1011', async () => {
    await withRecordingServer(startServer, async (client, server) => {
      const errors: string[] = [];
      client.on('error', (error) => errors.push(error.message));
      const closed = new Promise<[number, string]>((resolve) =>
        client.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])),
      );
      client.send(new UnreadableBlob(['x']));
      // The close event has the peer's close frame, which echoes the code without a reason (RFC 6455 §5.5.1).
      assert.deepEqual(await withTimeout(closed, 'the client to close'), [1011, '']);
      assert.equal(await withTimeout(server.closed, 'the server side to close'), 1011);
      assert.deepEqual(errors, ['the file behind the Blob is gone']);
      assert.deepEqual(server.events, ['close 1011 a Blob could not be read']);
    });
  });

  it('a Blob that cannot be read: its send and those behind it fail, and the close still goes', async () => {
    await withRecordingServer(startServer, async (client, server) => {
      const errors: unknown[] = [];
      client.on('error', (error) => errors.push(error.message));
      const callbacks: Record<string, string> = {};
      client.send(new Blob(['readable']), (error) => (callbacks.readable = error?.message ?? 'sent'));
      client.send(new UnreadableBlob(['x']), (error) => (callbacks.unreadable = error?.message ?? 'sent'));
      client.send(new Blob(['behind']), (error) => (callbacks.behind = error?.message ?? 'sent'));
      // Not events.once: it would reject on the 'error' this test expects.
      const closed = waitFor<[number]>(client, 'close').then(([code]) => code);
      client.close(4001);
      assert.equal(await closed, 4001);
      assert.equal(await server.closed, 4001);
      assert.deepEqual(callbacks, {
        readable: 'sent',
        unreadable: 'the file behind the Blob is gone',
        behind: 'the file behind the Blob is gone',
      });
      assert.deepEqual(errors, ['the file behind the Blob is gone']);
      assert.deepEqual(server.events, ['binary readable', 'close 4001 ']);
    });
  });
});
