import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { ErrorCode, WebSocket, WebSocketError, type MessageEvent, type WebSocketOptions } from '../../src/ws/index.js';
import {
  CLOSE_REASON,
  SIZES,
  VALID_CLOSE_CODES,
  binaryOfBytes,
  next,
  nextMessage,
  openOurClient,
  ourClose,
  startWsServer,
  textOfBytes,
  wsClose,
} from './interop-shared.js';

// Switchboard's WebSocket client against the `ws` server.

type WsTestServer = Awaited<ReturnType<typeof startWsServer>>;

function nextConnection(wss: WsServer): Promise<WsWebSocket> {
  return next<[WsWebSocket]>(wss, 'connection').then(([socket]) => socket);
}

/** A Switchboard client connected to `server`, and the `ws` server's side of that connection. */
async function connect(server: WsTestServer, options: WebSocketOptions = {}) {
  const accepted = nextConnection(server.wss);
  const client = await openOurClient(new WebSocket(server.url, options));
  return { client, socket: await accepted };
}

describe('interop: ws server, Switchboard client', () => {
  describe('messages of every length encoding, echoed', () => {
    let server: WsTestServer;
    let client: WebSocket;

    before(async () => {
      server = await startWsServer();
      server.wss.on('connection', (socket) => {
        socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
      });
      client = await openOurClient(new WebSocket(server.url));
    });
    after(async () => {
      client.terminate();
      await server.close();
    });

    for (const size of SIZES) {
      test(`text of ${size} bytes`, async () => {
        const text = textOfBytes(size);
        const echoed = nextMessage(client);
        client.send(text);
        const { data, isBinary } = await echoed;
        assert.equal(isBinary, false);
        assert.equal(data.length, size);
        assert.ok(data.equals(Buffer.from(text)), 'the echoed text differs');
      });

      test(`binary of ${size} bytes`, async () => {
        const bytes = binaryOfBytes(size);
        const copy = Buffer.from(bytes);
        const echoed = nextMessage(client);
        client.send(bytes);
        const { data, isBinary } = await echoed;
        assert.equal(isBinary, true);
        assert.equal(data.length, size);
        assert.ok(data.equals(copy), 'the echoed bytes differ');
        assert.ok(bytes.equals(copy), 'masking must not alter the caller buffer');
      });
    }

    test('browser-style listeners get strings for text and honour binaryType', async () => {
      const text = new Promise<unknown>((resolve) => client.addEventListener('message', (event: MessageEvent) => resolve(event.data), { once: true }));
      client.send('plain text');
      assert.equal(await text, 'plain text');
      client.binaryType = 'arraybuffer';
      const binary = new Promise<unknown>((resolve) => client.addEventListener('message', (event: MessageEvent) => resolve(event.data), { once: true }));
      client.send(Uint8Array.of(1, 2, 3));
      const data = await binary;
      assert.ok(data instanceof ArrayBuffer);
      assert.deepEqual([...new Uint8Array(data)], [1, 2, 3]);
      client.binaryType = 'nodebuffer';
    });
  });

  describe('fragmented messages', () => {
    let server: WsTestServer;
    before(async () => {
      server = await startWsServer();
    });
    after(() => server.close());

    test('the client sends fin: false fragments, with a ping between them; ws gets one message', async () => {
      const { client, socket } = await connect(server);
      const received = nextMessage(socket);
      const pinged = next<[Buffer]>(socket, 'ping');
      const text = Buffer.from('fragmented 𝄞 message');
      // Split inside the 4-byte character: fragments need not end on character boundaries.
      client.send(text.subarray(0, 13), { binary: false, fin: false });
      client.ping('between');
      client.send(text.subarray(13, 14), { fin: false });
      client.send(text.subarray(14), { fin: true });
      assert.equal((await pinged)[0].toString(), 'between');
      const { data, isBinary } = await received;
      assert.equal(isBinary, false);
      assert.equal(data.toString(), 'fragmented 𝄞 message');
      client.close();
      await ourClose(client);
    });

    test('the client sends a fragmented binary message of 3 MiB; ws gets it whole', async () => {
      const { client, socket } = await connect(server);
      const bytes = binaryOfBytes(3 * 1024 * 1024);
      const received = nextMessage(socket);
      for (let i = 0; i < 3; i++) client.send(bytes.subarray(i << 20, (i + 1) << 20), { binary: true, fin: i === 2 });
      const { data, isBinary } = await received;
      assert.equal(isBinary, true);
      assert.ok(data.equals(bytes));
      client.close();
      await ourClose(client);
    });

    test('ws sends fin: false fragments; the client gets one message', async () => {
      const { client, socket } = await connect(server);
      const received = nextMessage(client);
      const text = Buffer.from('€uro and 𝄞 clef');
      socket.send(text.subarray(0, 2), { binary: false, fin: false });
      socket.ping('between');
      socket.send(text.subarray(2, 15), { binary: false, fin: false });
      socket.send(text.subarray(15), { binary: false, fin: true });
      const { data, isBinary } = await received;
      assert.equal(isBinary, false);
      assert.equal(data.toString(), '€uro and 𝄞 clef');
      client.close();
      await ourClose(client);
    });
  });

  describe('ping and pong', () => {
    let server: WsTestServer;
    before(async () => {
      server = await startWsServer();
    });
    after(() => server.close());

    for (const payload of ['', 'hello', 'x'.repeat(125)]) {
      test(`the client pings with ${payload.length} bytes; ws pongs the same payload`, async () => {
        const { client, socket } = await connect(server);
        const pinged = next<[Buffer]>(socket, 'ping');
        const ponged = next<[Buffer]>(client, 'pong');
        client.ping(payload);
        assert.equal((await pinged)[0].toString(), payload);
        assert.equal((await ponged)[0].toString(), payload);
        client.close();
        await ourClose(client);
      });

      test(`ws pings with ${payload.length} bytes; the client reports it and pongs the same payload`, async () => {
        const { client, socket } = await connect(server);
        const pinged = next<[Buffer]>(client, 'ping');
        const ponged = next<[Buffer]>(socket, 'pong');
        socket.ping(payload);
        assert.equal((await pinged)[0].toString(), payload);
        assert.equal((await ponged)[0].toString(), payload);
        client.close();
        await ourClose(client);
      });
    }

    test('binary ping payloads arrive byte for byte', async () => {
      const { client, socket } = await connect(server);
      const payload = Buffer.from([0, 0xff, 0x80, 0xc0]);
      const ponged = next<[Buffer]>(client, 'pong');
      client.ping(payload);
      assert.deepEqual((await ponged)[0], payload);
      socket.close();
      await ourClose(client);
    });
  });

  describe('closing handshake', () => {
    let server: WsTestServer;
    before(async () => {
      server = await startWsServer();
    });
    after(() => server.close());

    for (const code of VALID_CLOSE_CODES) {
      test(`the client closes with ${code} and a reason; both ends report it, cleanly`, async () => {
        const { client, socket } = await connect(server);
        const ours = ourClose(client);
        const theirs = wsClose(socket);
        client.close(code, CLOSE_REASON);
        assert.deepEqual(await theirs, { code, reason: CLOSE_REASON, wasClean: true });
        // ws echoes the reason along with the code.
        assert.deepEqual(await ours, { code, reason: CLOSE_REASON, wasClean: true });
      });

      test(`ws closes with ${code} and a reason; both ends report it, cleanly`, async () => {
        const { client, socket } = await connect(server);
        const ours = ourClose(client);
        const theirs = wsClose(socket);
        socket.close(code, CLOSE_REASON);
        assert.deepEqual(await ours, { code, reason: CLOSE_REASON, wasClean: true });
        // Each end reports the close frame it received: Switchboard echoes the code only (RFC 6455 §5.5.1).
        assert.deepEqual(await theirs, { code, reason: '', wasClean: true });
      });
    }

    test('a close with no code is reported as 1005 on both ends', async () => {
      const { client, socket } = await connect(server);
      const ours = ourClose(client);
      const theirs = wsClose(socket);
      client.close();
      assert.deepEqual(await theirs, { code: 1005, reason: '', wasClean: true });
      assert.deepEqual(await ours, { code: 1005, reason: '', wasClean: true });
    });

    test('a 123-byte reason, the longest that fits, arrives whole', async () => {
      const reason = 'é'.repeat(61) + '!';
      const { client, socket } = await connect(server);
      const ours = ourClose(client);
      const theirs = wsClose(socket);
      client.close(4000, reason);
      assert.deepEqual(await theirs, { code: 4000, reason, wasClean: true });
      assert.deepEqual(await ours, { code: 4000, reason, wasClean: true });
    });

    test('ws terminating the TCP connection is reported as 1006, not clean', async () => {
      const { client, socket } = await connect(server);
      const ours = ourClose(client);
      socket.terminate();
      assert.deepEqual(await ours, { code: 1006, reason: '', wasClean: false });
    });
  });

  describe('maxPayload', () => {
    test('a ws server with maxPayload fails a larger client message with 1009', async () => {
      const server = await startWsServer({ maxPayload: 1000 });
      try {
        const { client, socket } = await connect(server);
        const received = nextMessage(socket);
        client.send(binaryOfBytes(1000));
        assert.equal((await received).data.length, 1000);

        const ours = ourClose(client);
        const failure = next<[Error & { code?: string }]>(socket, 'error');
        client.send(binaryOfBytes(1001));
        assert.equal((await failure)[0].code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
        assert.equal((await ours).code, 1009);
      } finally {
        await server.close();
      }
    });

    test('the client accepts exactly maxPayload bytes and fails one more with 1009', async () => {
      const server = await startWsServer();
      try {
        const { client, socket } = await connect(server, { maxPayload: 1000 });
        const received = nextMessage(client);
        socket.send(binaryOfBytes(1000));
        assert.equal((await received).data.length, 1000);

        const error = next<[Error]>(client, 'error');
        const ours = ourClose(client);
        const theirs = wsClose(socket);
        socket.send(binaryOfBytes(600), { fin: false });
        socket.send(binaryOfBytes(401), { fin: true });
        const [failure] = await error;
        assert.ok(failure instanceof WebSocketError);
        assert.equal(failure.code, ErrorCode.MessageTooBig);
        assert.equal((await theirs).code, 1009);
        assert.equal((await ours).code, 1009);
      } finally {
        await server.close();
      }
    });
  });
});
