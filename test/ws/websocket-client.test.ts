import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { computeAcceptKey } from '../../src/protocol/index.js';
import { CloseEvent, ErrorCode, MessageEvent, WebSocket, WebSocketError, type RawData } from '../../src/ws/index.js';
import { frame } from '../helpers/frames.js';
import { fakeUpgradeServer, startServer, switchingProtocols } from '../helpers/ws-peers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

/** Resolves with the next `close` as a browser-style event (`waitFor` would take the Node-style one). */
function closeEvent(client: WebSocket): Promise<CloseEvent> {
  return withTimeout(
    new Promise((resolve) => client.addEventListener('close', resolve, { once: true })),
    "a browser-style 'close'",
  );
}

async function expectFailure(client: WebSocket): Promise<{ error: unknown; close: CloseEvent }> {
  const error = withTimeout(
    new Promise((resolve) => client.addEventListener('error', (event) => resolve(event.error), { once: true })),
    "a browser-style 'error'",
  );
  const close = await closeEvent(client);
  return { error: await error, close };
}

describe('WebSocket constructor (WHATWG WebSockets)', () => {
  it('throws SyntaxError for bad URLs and subprotocol lists', () => {
    for (const url of ['not a url', 'ftp://example.com/', 'ws://example.com/#fragment']) {
      assert.throws(() => new WebSocket(url), { name: 'SyntaxError' }, url);
    }
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', ['chat', 'CHAT']), { name: 'SyntaxError' });
    assert.throws(() => new WebSocket('ws://127.0.0.1:1/', ['has space']), { name: 'SyntaxError' });
  });

  it('maps http: to ws: and exposes the constants', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(`http://127.0.0.1:${server.port}/path?q=1`);
        assert.equal(client.url, `ws://127.0.0.1:${server.port}/path?q=1`);
        assert.equal(client.readyState, WebSocket.CONNECTING);
        assert.deepEqual([client.CONNECTING, client.OPEN, client.CLOSING, client.CLOSED], [0, 1, 2, 3]);
        assert.throws(() => client.send('too early'), {
          name: 'Error',
          message: 'WebSocket is not open: readyState 0 (CONNECTING)',
        });
        await waitFor(client, 'open');
        assert.equal(client.readyState, WebSocket.OPEN);
        client.close();
        assert.equal(client.readyState, WebSocket.CLOSING);
        await closeEvent(client);
        assert.equal(client.readyState, WebSocket.CLOSED);
      },
    );
  });
});

describe('WebSocket send and receive', () => {
  it('sends strings, buffers, ArrayBuffers, views and Blobs in order', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('connection', (socket) =>
          socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
        );
        const client = new WebSocket(server.url);
        await waitFor(client, 'open');
        const received: unknown[] = [];
        client.binaryType = 'arraybuffer';
        client.onmessage = (event) => received.push(event.data);
        client.send(new Blob(['blob']));
        client.send('text');
        client.send(new Uint16Array([1, 2]).subarray(1));
        client.send(Uint8Array.of(9, 8).buffer);
        client.send(Buffer.from('buf'));
        while (received.length < 5) await waitFor(client, 'message');
        assert.equal(Buffer.from(received[0] as ArrayBuffer).toString(), 'blob');
        assert.equal(received[1], 'text');
        assert.deepEqual([...new Uint16Array(received[2] as ArrayBuffer)], [2]);
        assert.deepEqual([...new Uint8Array(received[3] as ArrayBuffer)], [9, 8]);
        assert.equal(Buffer.from(received[4] as ArrayBuffer).toString(), 'buf');
        client.close();
      },
    );
  });

  it('delivers binary as binaryType says, and refuses unknown binaryType values', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data, { binary: true })));
        const client = new WebSocket(server.url);
        await waitFor(client, 'open');
        const next = (): Promise<MessageEvent> =>
          withTimeout(
            new Promise((resolve) => client.addEventListener('message', resolve, { once: true })),
            "a browser-style 'message'",
          );
        assert.throws(() => (client.binaryType = 'bogus' as never), {
          name: 'TypeError',
          message: /binaryType must be .* not "bogus"/,
        });
        assert.equal(client.binaryType, 'nodebuffer');
        client.send('a');
        assert.ok(Buffer.isBuffer((await next()).data));
        client.binaryType = 'blob';
        client.send('b');
        assert.equal(await ((await next()).data as Blob).text(), 'b');
        client.binaryType = 'arraybuffer';
        client.send('c');
        assert.ok((await next()).data instanceof ArrayBuffer);
        client.binaryType = 'fragments';
        client.send('d');
        const fragments = (await next()).data as Buffer[];
        assert.deepEqual(fragments.map(String), ['d']);
        client.close();
      },
    );
  });

  it("gives Node-style message listeners binary data in the binaryType's form, text as a Buffer, on both sides", async () => {
    const server = await startServer();
    const client = new WebSocket(server.url);
    try {
      const [accepted] = await waitFor<[WebSocket]>(server.wss, 'connection');
      await waitFor(client, 'open');
      const next = (socket: WebSocket): Promise<[RawData, boolean]> => waitFor<[RawData, boolean]>(socket, 'message');
      let received = next(client);
      accepted.send(Buffer.from('default'));
      const [plain] = await received;
      assert.ok(Buffer.isBuffer(plain));
      client.binaryType = 'arraybuffer';
      received = next(client);
      accepted.send(Uint8Array.of(1, 2, 3));
      const [arrayBuffer, isBinary] = await received;
      assert.equal(isBinary, true);
      assert.ok(arrayBuffer instanceof ArrayBuffer);
      assert.deepEqual([...new Uint8Array(arrayBuffer)], [1, 2, 3]);
      client.binaryType = 'blob';
      received = next(client);
      accepted.send(Buffer.from('blob'));
      assert.equal(await ((await received)[0] as Blob).text(), 'blob');
      client.binaryType = 'fragments';
      received = next(client);
      accepted.send(Buffer.from('frag'));
      assert.deepEqual(((await received)[0] as Buffer[]).map(String), ['frag']);
      received = next(client);
      accepted.send('text');
      const [text, textIsBinary] = await received;
      assert.equal(textIsBinary, false);
      assert.ok(Buffer.isBuffer(text));
      assert.equal(text.toString(), 'text');
      // The server side's sockets follow their own binaryType as well.
      accepted.binaryType = 'arraybuffer';
      received = next(accepted);
      client.send(Buffer.from('up'));
      assert.ok((await received)[0] instanceof ArrayBuffer);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('sends a fragmented message with fin: false', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const message = waitFor<[WebSocket]>(server.wss, 'connection').then(([socket]) =>
          waitFor<[Buffer, boolean]>(socket, 'message'),
        );
        const client = new WebSocket(server.url);
        await waitFor(client, 'open');
        client.send('frag', { fin: false });
        client.send('men', { fin: false });
        client.send('ted');
        const [data, isBinary] = await message;
        assert.equal(data.toString(), 'fragmented');
        assert.equal(isBinary, false);
        client.close();
      },
    );
  });

  it('reports pings and pongs, answering pings itself', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const [[accepted], client] = await Promise.all([
          waitFor<[WebSocket]>(server.wss, 'connection'),
          (async () => {
            const c = new WebSocket(server.url);
            await waitFor(c, 'open');
            return c;
          })(),
        ]);
        const pinged = waitFor<[Buffer]>(client, 'ping');
        const ponged = waitFor<[Buffer]>(accepted, 'pong');
        accepted.ping('beat');
        assert.equal((await pinged)[0].toString(), 'beat');
        assert.equal((await ponged)[0].toString(), 'beat');
        assert.throws(() => client.ping(Buffer.alloc(126)), RangeError);
        client.close();
      },
    );
  });

  it('calls a send callback with ERR_NOT_OPEN after close', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(server.url);
        await waitFor(client, 'open');
        client.close();
        const error = await new Promise<unknown>((resolve) => client.send('late', resolve));
        assert.ok(error instanceof WebSocketError);
        assert.equal(error.code, ErrorCode.NotOpen);
      },
    );
  });
});

describe('WebSocket close (RFC 6455 §7, WHATWG close())', () => {
  it('rejects invalid codes and long reasons as ws does', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(server.url);
        await waitFor(client, 'open');
        for (const code of [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5, '1000' as never]) {
          assert.throws(
            () => client.close(code),
            { name: 'TypeError', message: 'First argument must be a valid error code number' },
            String(code),
          );
        }
        assert.throws(() => client.close(1000, 'x'.repeat(124)), {
          name: 'RangeError',
          message: 'The message must not be greater than 123 bytes',
        });
        assert.throws(() => client.close(1000, 42 as never), {
          name: 'TypeError',
          message: 'Second argument must be a string or a Uint8Array',
        });
        assert.equal(client.readyState, WebSocket.OPEN);
        client.close(4000, 'é'.repeat(61));
        const event = await closeEvent(client);
        assert.deepEqual([event.code, event.reason, event.wasClean], [4000, '', true]);
      },
    );
  });

  it('reports the server close code and reason with wasClean', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('connection', (socket) => socket.close(4321, 'see you'));
        const client = new WebSocket(server.url);
        const event = await closeEvent(client);
        assert.deepEqual([event.code, event.reason, event.wasClean], [4321, 'see you', true]);
      },
    );
  });

  it('fails with error then close 1006 when closed while connecting', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(server.url);
        const failure = expectFailure(client);
        client.close();
        const { close } = await failure;
        assert.deepEqual([close.code, close.wasClean], [1006, false]);
      },
    );
  });

  it('fails a server that masks its frames with 1002', async () => {
    const fake = await fakeUpgradeServer(
      (key) => switchingProtocols(key) + frame(0x1, 'hi', { mask: true }).toString('latin1'),
    );
    try {
      const client = new WebSocket(fake.url);
      const { error, close } = await expectFailure(client);
      assert.equal((error as WebSocketError).code, ErrorCode.MaskedServerFrame);
      assert.equal(close.code, 1002);
    } finally {
      fake.close();
    }
  });
});

describe('WebSocket opening handshake failures (RFC 6455 §4.1)', () => {
  const cases: [string, (key: string) => string | undefined, RegExp][] = [
    ['a non-101 response', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', /404/],
    [
      'a wrong Sec-WebSocket-Accept',
      (key) => switchingProtocols(key).replace(computeAcceptKey(key), computeAcceptKey('x')),
      /Accept/,
    ],
    [
      'an unrequested subprotocol',
      (key) => switchingProtocols(key, 'Sec-WebSocket-Protocol: other\r\n'),
      /subprotocol/,
    ],
    [
      'an unrequested extension',
      (key) => switchingProtocols(key, 'Sec-WebSocket-Extensions: x-unoffered\r\n'),
      /extension/,
    ],
  ];
  for (const [name, respond, message] of cases) {
    it(`fails on ${name}`, async () => {
      const fake = await fakeUpgradeServer(respond);
      try {
        const client = new WebSocket(fake.url);
        const { error, close } = await expectFailure(client);
        assert.match((error as Error).message, message);
        assert.equal(close.code, 1006);
      } finally {
        fake.close();
      }
    });
  }

  it('fails when the handshake outlasts handshakeTimeout', async () => {
    const fake = await fakeUpgradeServer(() => undefined);
    try {
      const client = new WebSocket(fake.url, [], { handshakeTimeout: 50 });
      const { error } = await expectFailure(client);
      assert.equal((error as WebSocketError).code, ErrorCode.HandshakeTimeout);
    } finally {
      fake.close();
    }
  });

  it('fails when nothing listens', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await waitFor(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const { error, close } = await expectFailure(client);
    assert.match(String((error as NodeJS.ErrnoException).code), /ECONNREFUSED/);
    assert.equal(close.code, 1006);
  });

  it('sends custom headers and an Origin', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const request = waitFor<[WebSocket, { headers: Record<string, string> }]>(server.wss, 'connection');
        const client = new WebSocket(server.url, [], { headers: { 'X-Trace': 'abc' }, origin: 'https://app.example' });
        const [, { headers }] = await request;
        assert.equal(headers['x-trace'], 'abc');
        assert.equal(headers['origin'], 'https://app.example');
        client.close();
      },
    );
  });
});

describe('WebSocket listeners', () => {
  it('supports addEventListener with handleEvent objects, once and removal, and on* properties', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('connection', (socket) => {
          socket.send('one');
          socket.send('two');
        });
        const client = new WebSocket(server.url);
        const seen: string[] = [];
        const handler = { handleEvent: (event: MessageEvent) => seen.push(`object:${String(event.data)}`) };
        const removed = (event: MessageEvent): void => {
          seen.push(`removed:${String(event.data)}`);
        };
        client.addEventListener('message', handler);
        client.addEventListener('message', handler); // a duplicate registration is ignored
        client.addEventListener('message', removed);
        client.removeEventListener('message', removed);
        client.addEventListener('message', (event: MessageEvent) => seen.push(`once:${String(event.data)}`), {
          once: true,
        });
        client.onmessage = (event) => seen.push(`first:${String(event.data)}`);
        client.onmessage = (event) => seen.push(`property:${String(event.data)}`);
        assert.equal(typeof client.onmessage, 'function');
        while (seen.filter((entry) => entry.startsWith('property:')).length < 2) await waitFor(client, 'message');
        assert.deepEqual(seen, ['object:one', 'once:one', 'property:one', 'object:two', 'property:two']);
        client.close();
      },
    );
  });

  it('keeps on<event> handlers apart from addEventListener and reads them when their turn comes, as the DOM does', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('connection', (socket) => socket.send('one'));
        const client = new WebSocket(server.url);
        const seen: string[] = [];
        const both = (event: { type: string }): void => {
          seen.push(`both:${event.type}`);
        };
        const delivered = new Promise<void>((resolve) =>
          client.addEventListener('message', () => {
            // Cleared by a listener that runs before it: the handler is not called for this event.
            client.onerror = null;
            client.onmessage = null;
            resolve();
          }),
        );
        client.onmessage = (event) => seen.push(`cleared:${String(event.data)}`);
        client.onerror = both;
        client.addEventListener('error', both);
        client.removeEventListener('error', both);
        assert.equal(client.onerror, both, 'removeEventListener leaves the handler');
        client.onopen = both;
        client.addEventListener('open', both);
        await withTimeout(delivered, 'the message');
        assert.equal(client.onmessage, null);
        assert.equal(client.onerror, null);
        assert.equal(client.listenerCount('error'), 0);
        client.removeAllListeners('open');
        assert.equal(client.onopen, null, 'a handler whose listener was removed is no longer reported');
        // The same function as handler and as listener: both ran.
        assert.deepEqual(seen, ['both:open', 'both:open']);
        client.close();
      },
    );
  });

  it('keeps Node-style listeners of any event name, inherited names included', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const client = new WebSocket(server.url);
        const names = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'message'];
        assert.deepEqual(client.eventNames(), []);
        assert.equal(client.listenerCount('toString'), 0);
        const calls: string[] = [];
        for (const name of names) client.on(name as 'open', () => calls.push(name));
        assert.deepEqual(client.eventNames(), names);
        for (const name of names) (client.emit as (event: string) => boolean)(name);
        assert.deepEqual(calls, names);
        client.removeAllListeners('constructor');
        assert.deepEqual(client.eventNames(), ['toString', '__proto__', 'hasOwnProperty', 'message']);
        assert.equal((client.emit as (event: string) => boolean)('constructor'), false);
        await waitFor(client, 'open');
        client.close();
        await waitFor(client, 'close');
      },
    );
  });

  it('terminates a silent server when heartbeatInterval is set', async () => {
    const fake = await fakeUpgradeServer((key) => switchingProtocols(key));
    try {
      const client = new WebSocket(fake.url, [], { heartbeatInterval: 30 });
      const close = closeEvent(client);
      await waitFor(client, 'open');
      assert.equal((await close).code, 1006);
    } finally {
      fake.close();
    }
  });
});
