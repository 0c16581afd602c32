import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { WebSocket as WsWebSocket } from 'ws';
import { WebSocket, WebSocketServer, type WebSocketServerOptions } from '../../src/ws/index.js';
import { clientFrame, closePayload } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import { wsClose } from './interop-shared.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

// The options and server events of `ws`'s WebSocketServer: each taken as `ws` takes it, or refused by name.

const MODES = /^One and only one of the "port", "server", or "noServer" options must be specified$/;
/** Bytes that are not UTF-8: a lone continuation byte. */
const NOT_UTF8 = Buffer.from([0x68, 0x80, 0x69]);

function closeServer(wss: WebSocketServer): Promise<void> {
  return new Promise((resolve) => wss.close(() => resolve()));
}

describe('WebSocketServer construction', () => {
  test("without exactly one of port, server and noServer it throws ws's TypeError", () => {
    const server = http.createServer();
    const Server = WebSocketServer as new (options?: WebSocketServerOptions) => WebSocketServer;
    for (const options of [
      undefined,
      {},
      { port: 0, noServer: true },
      { port: 0, server },
      { noServer: true, server },
      { port: 0, noServer: true, server },
    ]) {
      assert.throws(
        () => new Server(options),
        (error: Error) => error instanceof TypeError && MODES.test(error.message),
      );
    }
  });

  test("an option that is neither ours nor ws's is refused by name", () => {
    assert.throws(() => new WebSocketServer({ noServer: true, clientTraking: false } as WebSocketServerOptions), {
      name: 'TypeError',
      message: 'unknown WebSocketServer option "clientTraking"',
    });
  });

  test('maxBufferedChunks is refused, saying what bounds a message instead', () => {
    assert.throws(() => new WebSocketServer({ noServer: true, maxBufferedChunks: 10 } as WebSocketServerOptions), {
      name: 'TypeError',
      message: /"maxBufferedChunks" is not supported: .*maxPayload/,
    });
  });

  test("ws's zlib settings under perMessageDeflate are taken; one that would escape our limits is refused by name", () => {
    new WebSocketServer({
      noServer: true,
      perMessageDeflate: {
        zlibDeflateOptions: { level: 3 },
        zlibInflateOptions: { chunkSize: 1024 },
        concurrencyLimit: 10,
      },
    }).close();
    assert.throws(
      () =>
        new WebSocketServer({
          noServer: true,
          perMessageDeflate: { zlibInflateOptions: { maxOutputLength: 1 } } as never,
        }),
      {
        name: 'TypeError',
        message: /"maxOutputLength" is not supported: .*maxPayload/,
      },
    );
    assert.throws(() => new WebSocketServer({ noServer: true, perMessageDeflate: { treshold: 0 } as never }), {
      message: 'unknown perMessageDeflate option "treshold"',
    });
  });

  test('allowSynchronousEvents: true is what we do; false is refused', () => {
    new WebSocketServer({ noServer: true, allowSynchronousEvents: true }).close();
    assert.throws(() => new WebSocketServer({ noServer: true, allowSynchronousEvents: false }), {
      name: 'TypeError',
      message: /allowSynchronousEvents: false/,
    });
  });

  test("maxPendingAutoPongs is ws's name of maxUnansweredPings; both at once are refused", () => {
    new WebSocketServer({ noServer: true, maxPendingAutoPongs: 0 }).close();
    assert.throws(() => new WebSocketServer({ noServer: true, maxPendingAutoPongs: 5, maxUnansweredPings: 5 }), {
      name: 'TypeError',
    });
  });

  test('the options given are exposed as wss.options', () => {
    const wss = new WebSocketServer({ noServer: true, path: '/chat' });
    assert.equal(wss.options.path, '/chat');
    assert.equal(wss.options.noServer, true);
    wss.close();
  });

  test('a WebSocket option that is not our class or a subclass of it is refused', () => {
    assert.throws(() => new WebSocketServer({ noServer: true, WebSocket: WsWebSocket as never }), {
      name: 'TypeError',
      message: /"WebSocket" option/,
    });
  });
});

describe('WebSocketServer options at work', () => {
  test('WebSocket: connections are instances of the subclass given', async () => {
    class TaggedSocket extends WebSocket {
      get tag(): string {
        return 'tagged';
      }
    }
    const server = await startServer({ WebSocket: TaggedSocket });
    try {
      const connected = waitFor<[TaggedSocket]>(server.wss, 'connection');
      const client = new WebSocket(server.url);
      const [socket] = await connected;
      await waitFor(client, 'open');
      assert.ok(socket instanceof TaggedSocket);
      assert.equal(socket.tag, 'tagged');
      assert.ok([...server.wss.clients][0] instanceof TaggedSocket);
      client.close();
      await waitFor(client, 'close');
    } finally {
      await server.close();
    }
  });

  test('clientTracking: false leaves wss.clients undefined, and close() still closes the connections', async () => {
    const server = await startServer({ clientTracking: false });
    try {
      assert.equal(server.wss.clients, undefined);
      const connected = waitFor(server.wss, 'connection');
      const client = new WebSocket(server.url);
      await connected;
      assert.equal(server.wss.clients, undefined);
      const closed = waitFor<[number]>(client, 'close');
      await server.close();
      assert.equal((await closed)[0], 1001);
    } finally {
      await server.close();
    }
  });

  test('skipUTF8Validation delivers text that is not UTF-8, and accepts such a close reason (decoded with U+FFFD)', async () => {
    const server = await startServer({ skipUTF8Validation: true });
    try {
      const message = withTimeout(
        new Promise<Buffer>((resolve) => server.wss.once('connection', (socket) => socket.once('message', resolve))),
        "the server's message",
      );
      const closed = withTimeout(
        new Promise<[number, Buffer]>((resolve) =>
          server.wss.once('connection', (socket) => socket.once('close', (code, reason) => resolve([code, reason]))),
        ),
        "the server's close",
      );
      const raw = await RawClient.open(server.port);
      try {
        raw.write(clientFrame(0x1, NOT_UTF8));
        assert.deepEqual(await message, NOT_UTF8);
        raw.write(clientFrame(0x8, Buffer.concat([closePayload(1000, ''), NOT_UTF8])));
        const [code, reason] = await closed;
        assert.equal(code, 1000);
        assert.equal(reason.toString(), 'h\ufffdi');
      } finally {
        raw.destroy();
      }
    } finally {
      await server.close();
    }
  });

  test('without skipUTF8Validation, text that is not UTF-8 closes the connection with 1007', async () => {
    const server = await startServer();
    try {
      const raw = await RawClient.open(server.port);
      try {
        raw.write(clientFrame(0x1, NOT_UTF8));
        const frame = await raw.readFrame();
        assert.equal(frame?.opcode, 0x8);
        assert.equal(frame?.payload.readUInt16BE(0), 1007);
      } finally {
        raw.destroy();
      }
    } finally {
      await server.close();
    }
  });

  test('skipUTF8Validation also covers compressed text (checked after inflation otherwise)', async () => {
    for (const skipUTF8Validation of [true, false]) {
      const server = await startServer({ skipUTF8Validation, perMessageDeflate: { threshold: 0 } });
      try {
        const client = new WsWebSocket(server.url, { perMessageDeflate: { threshold: 0 } });
        // Bounded where it is awaited: without skipUTF8Validation the message never arrives.
        const received = new Promise<Buffer>((resolve) =>
          server.wss.once('connection', (socket) => socket.once('message', resolve)),
        );
        const closed = wsClose(client);
        await waitFor(client, 'open');
        client.send(NOT_UTF8, { binary: false, compress: true });
        if (skipUTF8Validation) {
          assert.deepEqual(await withTimeout(received, "the server's message"), NOT_UTF8);
          client.close();
        }
        assert.equal((await closed).code, skipUTF8Validation ? 1005 : 1007);
      } finally {
        await server.close();
      }
    }
  });

  test('the client side takes skipUTF8Validation too', async () => {
    const server = await startServer();
    try {
      server.wss.on('connection', (socket) => socket.send(NOT_UTF8, { binary: false }));
      const client = new WebSocket(server.url, { skipUTF8Validation: true });
      const [data, isBinary] = await waitFor<[Buffer, boolean]>(client, 'message');
      assert.deepEqual(data, NOT_UTF8);
      assert.equal(isBinary, false);
      client.close();
      await waitFor(client, 'close');
    } finally {
      await server.close();
    }
  });

  test('shouldHandle may be overridden to choose requests', async () => {
    const server = await startServer();
    server.wss.shouldHandle = (request) => request.url === '/only';
    try {
      const refused = await RawClient.open(server.port, '/other');
      assert.equal(refused.status, 400);
      refused.destroy();
      const taken = await RawClient.open(server.port, '/only');
      assert.equal(taken.status, 101);
      taken.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('WebSocketServer events and lifecycle, as ws has them', () => {
  test('"headers" passes the response lines; a line pushed is sent', async () => {
    const server = await startServer();
    let lines: string[] = [];
    server.wss.on('headers', (headers, request) => {
      assert.ok(request instanceof http.IncomingMessage);
      lines = [...headers];
      headers.push('Set-Cookie: a=b');
    });
    try {
      const raw = await RawClient.open(server.port);
      assert.deepEqual(lines.slice(0, 3), [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
      ]);
      assert.match(lines[3]!, /^Sec-WebSocket-Accept: /);
      assert.match(raw.response, /\r\nSet-Cookie: a=b\r\n\r\n/);
      raw.destroy();
    } finally {
      await server.close();
    }
  });

  test('a "headers" line holding a CR or LF refuses the handshake with 500', async () => {
    const server = await startServer();
    server.wss.on('headers', (headers) => headers.push('X-Evil: a\r\nSet-Cookie: admin=1'));
    try {
      const raw = await RawClient.open(server.port);
      assert.equal(raw.status, 500);
      raw.destroy();
    } finally {
      await server.close();
    }
  });

  test("address() throws in noServer mode with ws's message, and is null once closed", async () => {
    const detached = new WebSocketServer({ noServer: true });
    assert.throws(() => detached.address(), { message: 'The server is operating in "noServer" mode' });
    await closeServer(detached);
    await withServer(
      () => startServer(),
      async (server) => {
        assert.equal(typeof (server.wss.address() as AddressInfo).port, 'number');
        await server.close();
        assert.equal(server.wss.address(), null);
      },
    );
  });

  test('close() with nothing open emits "close" asynchronously; once closed, close(cb) emits it again and gives cb an error', async () => {
    const wss = new WebSocketServer({ noServer: true });
    let emitted = 0;
    wss.on('close', () => emitted++);
    wss.close();
    assert.equal(emitted, 0);
    await waitFor(wss, 'close');
    const error = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    assert.equal(error?.message, 'The server is not running');
    assert.equal(emitted, 2);
  });

  test('close() called twice while closing runs both callbacks once', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const calls: (Error | undefined)[] = [];
        await Promise.all([
          new Promise<void>((resolve) => server.wss.close((error) => resolve(void calls.push(error)))),
          new Promise<void>((resolve) => server.wss.close((error) => resolve(void calls.push(error)))),
        ]);
        assert.deepEqual(calls, [undefined, undefined]);
      },
    );
  });

  test('with server, the attached server\'s "listening" and "error" are forwarded until close(), and the server is left open', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer });
    try {
      const listening = waitFor(wss, 'listening');
      httpServer.listen(0, '127.0.0.1');
      await listening;
      const forwarded = waitFor<[Error]>(wss, 'error');
      httpServer.emit('error', new Error('forwarded'));
      assert.equal((await forwarded)[0].message, 'forwarded');
      await closeServer(wss);
      assert.equal(httpServer.listenerCount('upgrade'), 0);
      assert.equal(httpServer.listenerCount('error'), 0);
      assert.equal(httpServer.listening, true);
    } finally {
      await closeServer(wss);
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });

  test("handleUpgrade twice with one socket throws ws's error", async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    const thrown = withTimeout(
      new Promise<Error | undefined>((resolve) =>
        httpServer.on('upgrade', (request, socket, head) => {
          wss.handleUpgrade(request, socket, head, (ws) => ws.close());
          try {
            wss.handleUpgrade(request, socket, head, () => undefined);
            resolve(undefined);
          } catch (error) {
            resolve(error as Error);
          }
        }),
      ),
      'the second handleUpgrade',
    );
    try {
      httpServer.listen(0, '127.0.0.1');
      await waitFor(httpServer, 'listening');
      const client = new WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
      client.on('error', () => undefined);
      assert.match((await thrown)?.message ?? '', /called more than once with the same socket/);
      await waitFor(client, 'close');
    } finally {
      await closeServer(wss);
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });
});
