import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import WebSocketDefault, * as ours from '../../src/ws/index.js';
import { WebSocket, WebSocketServer, createWebSocketStream } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { startServer, type TestServer } from '../helpers/ws-peers.js';
import { startWsServer } from './interop-shared.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

// The module as `ws` users import it (a default export carrying the classes), and
// createWebSocketStream with `ws`'s semantics.

/** Opens one of our clients to `url`, wraps it in a stream, and resolves both once it is open. */
async function openStream(
  url: string,
  options?: Parameters<typeof createWebSocketStream>[1],
): Promise<{ client: WebSocket; stream: Duplex }> {
  const client = new WebSocket(url);
  const stream = createWebSocketStream(client, options);
  await waitFor(client, 'open');
  return { client, stream };
}

/** Resolves with the next chunk `stream` gives. */
async function nextChunk(stream: Duplex): Promise<Buffer | string> {
  const [chunk] = await waitFor<[Buffer | string]>(stream, 'data');
  return chunk;
}

/** Runs `body` with a server whose connections `onConnection` sets up, closing the server whatever happens. */
function withHandler(
  onConnection: (socket: WebSocket) => void,
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  return withServer(
    () => startServer(),
    (server) => {
      server.wss.on('connection', onConnection);
      return body(server);
    },
  );
}

const echo = (socket: WebSocket): void =>
  void socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));

describe('the module shape of ws', () => {
  test('the default export is the WebSocket class, carrying the server class, the stream factory and the states', () => {
    assert.equal(WebSocketDefault, ours.WebSocket);
    assert.equal(WebSocketDefault.WebSocket, ours.WebSocket);
    assert.equal(WebSocketDefault.Server, ours.WebSocketServer);
    assert.equal(WebSocketDefault.WebSocketServer, ours.WebSocketServer);
    assert.equal(WebSocketDefault.createWebSocketStream, ours.createWebSocketStream);
    assert.deepEqual(
      [WebSocketDefault.CONNECTING, WebSocketDefault.OPEN, WebSocketDefault.CLOSING, WebSocketDefault.CLOSED],
      [0, 1, 2, 3],
    );
  });

  test("every member of ws's default export that code uses is on ours", () => {
    // `require('ws')` is the shape `WebSocket.Server` code was written against (ws's ESM wrapper exports the bare class).
    const wsDefault = createRequire(import.meta.url)('ws') as Record<string, unknown>;
    for (const name of [
      'WebSocket',
      'Server',
      'WebSocketServer',
      'createWebSocketStream',
      'CONNECTING',
      'OPEN',
      'CLOSING',
      'CLOSED',
    ] as const) {
      assert.ok(name in wsDefault, `ws has ${name}`);
      assert.equal(typeof WebSocketDefault[name], typeof wsDefault[name], name);
    }
  });

  test('new WebSocket.Server(...) works, and the default import names the instance type', async () => {
    const wss = new WebSocketDefault.Server({ port: 0, host: '127.0.0.1' });
    try {
      await waitFor(wss, 'listening');
      const connected = waitFor<[WebSocketDefault]>(wss, 'connection');
      const client: WebSocketDefault = new WebSocketDefault(
        `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      );
      const [socket] = await connected;
      assert.ok(socket instanceof WebSocketDefault);
      await waitFor(client, 'open');
      client.close();
      await waitFor(client, 'close');
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});

describe('the WebSocket class shape, as WHATWG and ws define it', () => {
  test('the ready-state constants are enumerable, fixed values on the class and on its prototype', () => {
    for (const [name, value] of [
      ['CONNECTING', 0],
      ['OPEN', 1],
      ['CLOSING', 2],
      ['CLOSED', 3],
    ] as const) {
      const fixed = { configurable: false, enumerable: true, value, writable: false };
      assert.deepEqual(Object.getOwnPropertyDescriptor(WebSocket, name), fixed);
      assert.deepEqual(Object.getOwnPropertyDescriptor(WebSocket.prototype, name), fixed);
    }
  });

  test('the attributes and the on<event> handlers are enumerable, configurable accessors of the prototype', () => {
    for (const name of [
      'binaryType',
      'bufferedAmount',
      'extensions',
      'isPaused',
      'protocol',
      'readyState',
      'url',
      'onopen',
      'onerror',
      'onclose',
      'onmessage',
    ]) {
      const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
      assert.equal(descriptor.enumerable, true, name);
      assert.equal(descriptor.configurable, true, name);
      assert.equal(typeof descriptor.get, 'function', name);
    }
  });
});

describe('createWebSocketStream', () => {
  test('a chunk written goes as one binary message; each message comes back as a Buffer', async () => {
    let received: [Buffer, boolean] | undefined;
    await withHandler(
      (socket) =>
        socket.on('message', (data, isBinary) => {
          received = [data, isBinary];
          socket.send(data, { binary: isBinary });
        }),
      async (server) => {
        const { client, stream } = await openStream(server.url);
        stream.write('hello');
        const chunk = await nextChunk(stream);
        assert.ok(Buffer.isBuffer(chunk));
        assert.equal(chunk.toString(), 'hello');
        assert.deepEqual(received, [Buffer.from('hello'), true]);
        client.terminate();
      },
    );
  });

  test('with decodeStrings: false a string goes as text; in readableObjectMode text comes as a string, binary as a Buffer', async () => {
    await withHandler(echo, async (server) => {
      const { client, stream } = await openStream(server.url, { decodeStrings: false, readableObjectMode: true });
      stream.write('text');
      assert.equal(await nextChunk(stream), 'text');
      stream.write(Buffer.from([1, 2, 3]));
      assert.deepEqual(await nextChunk(stream), Buffer.from([1, 2, 3]));
      client.terminate();
    });
  });

  test('end() closes the connection once what was written is sent; the stream then ends and closes', async () => {
    const closes: number[] = [];
    const messages: string[] = [];
    await withHandler(
      (socket) => {
        socket.on('message', (data) => messages.push(data.toString()));
        socket.on('close', (code) => closes.push(code));
      },
      async (server) => {
        const { client, stream } = await openStream(server.url);
        const events: string[] = [];
        for (const event of ['finish', 'end', 'close']) stream.on(event, () => events.push(event));
        stream.resume();
        stream.end('last words');
        await waitFor(stream, 'close');
        assert.equal(client.readyState, WebSocket.CLOSED);
        assert.deepEqual(messages, ['last words']);
        await until(() => closes.length === 1, 5000, 'the server side to close');
        assert.deepEqual(closes, [1005]);
        assert.deepEqual(events.sort(), ['close', 'end', 'finish']);
      },
    );
  });

  test('destroy() terminates the connection: the peer sees 1006', async () => {
    let closed: number | undefined;
    await withHandler(
      (socket) => socket.on('close', (code) => (closed = code)),
      async (server) => {
        const { stream } = await openStream(server.url);
        stream.destroy();
        await waitFor(stream, 'close');
        await until(() => closed !== undefined, 5000, 'the server side to close');
        assert.equal(closed, 1006);
      },
    );
  });

  test('a full read buffer pauses the socket; reading resumes it and loses nothing', async () => {
    const count = 50;
    await withHandler(
      (socket) => {
        for (let i = 0; i < count; i++) socket.send(Buffer.alloc(1024, i));
      },
      async (server) => {
        const { client, stream } = await openStream(server.url, { readableHighWaterMark: 2048 });
        await until(() => client.isPaused, 5000, 'the socket to pause');
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
        await until(() => bytes === count * 1024, 5000, 'every message');
        client.terminate();
      },
    );
  });

  test('a protocol error destroys the stream with the error', async () => {
    // The server side's stream, reading from a peer that sends text that is not UTF-8.
    const server = await startServer();
    try {
      const streamed = withTimeout(
        new Promise<Duplex>((resolve) =>
          server.wss.on('connection', (socket) => resolve(createWebSocketStream(socket))),
        ),
        "the server's connection",
      );
      const client = new WebSocket(server.url);
      await waitFor(client, 'open');
      const stream = await streamed;
      const failed = waitFor<[Error]>(stream, 'error');
      let closed = false;
      stream.once('close', () => (closed = true));
      // Written under the client's framing: a masked text frame holding a lone continuation byte.
      (client as unknown as { open: { socket: { write(bytes: Buffer): void } } }).open.socket.write(
        clientFrame(0x1, Buffer.from([0x80])),
      );
      const [error] = await failed;
      assert.match(error.message, /UTF-8/);
      await until(() => closed, 5000, "the stream's close");
      assert.equal(stream.destroyed, true);
    } finally {
      await server.close();
    }
  });

  test('works against a ws server: piped through an echo and back', async () => {
    const server = await startWsServer();
    server.wss.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    try {
      const { client, stream } = await openStream(server.url);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      for (const word of ['one', 'two', 'three']) stream.write(word);
      await until(() => chunks.length === 3, 5000, 'three echoes');
      assert.deepEqual(chunks.map(String), ['one', 'two', 'three']);
      stream.end();
      await waitFor(stream, 'close');
      assert.equal(client.readyState, WebSocket.CLOSED);
    } finally {
      await server.close();
    }
  });

  test('works on a connection still opening: writes wait for it', async () => {
    await withHandler(echo, async (server) => {
      const client = new WebSocket(server.url);
      const stream = createWebSocketStream(client);
      stream.write('early');
      assert.equal((await nextChunk(stream)).toString(), 'early');
      client.terminate();
    });
  });
});

describe('WebSocketServer imported both ways', () => {
  test("the named export and the default export's Server are one class", () => {
    const wss = new WebSocketServer({ noServer: true });
    assert.ok(wss instanceof WebSocketDefault.Server);
    wss.close();
  });
});
