import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WebSocket as WsWebSocket } from 'ws';
import { ErrorCode, WebSocketError, type WebSocket, type WebSocketServer } from '../../src/ws/index.js';
import { startServer, type TestServer } from '../helpers/ws-peers.js';
import {
  CLOSE_REASON,
  SIZES,
  VALID_CLOSE_CODES,
  binaryOfBytes,
  next,
  nextMessage,
  openWsClient,
  ourClose,
  textOfBytes,
  wsClose,
} from './interop-shared.js';

// Switchboard's WebSocketServer against the `ws` client.

function nextConnection(wss: WebSocketServer): Promise<WebSocket> {
  return next<[WebSocket]>(wss, 'connection').then(([socket]) => socket);
}

/** A `ws` client connected to `server`, and the server's side of that connection. */
async function connect(server: TestServer, options: ConstructorParameters<typeof WsWebSocket>[2] = {}) {
  const accepted = nextConnection(server.wss);
  const client = await openWsClient(server.url, options);
  return { client, socket: await accepted };
}

describe('interop: Switchboard server, ws client', () => {
  describe('messages of every length encoding, echoed', () => {
    let server: TestServer;
    let client: WsWebSocket;

    before(async () => {
      server = await startServer();
      server.wss.on('connection', (socket: WebSocket) => {
        socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
      });
      client = await openWsClient(server.url);
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
        const echoed = nextMessage(client);
        client.send(bytes);
        const { data, isBinary } = await echoed;
        assert.equal(isBinary, true);
        assert.equal(data.length, size);
        assert.ok(data.equals(bytes), 'the echoed bytes differ');
      });
    }
  });

  describe('fragmented messages', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(() => server.close());

    test('ws sends fin: false fragments, with a ping between them; the server gets one message', async () => {
      const { client, socket } = await connect(server);
      const received = nextMessage(socket);
      const pinged = next<[Buffer]>(socket, 'ping');
      const text = Buffer.from('fragmented 𝄞 message');
      // Split inside the 4-byte character: fragments need not end on character boundaries.
      client.send(text.subarray(0, 13), { binary: false, fin: false });
      client.ping('between');
      client.send(text.subarray(13, 14), { binary: false, fin: false });
      client.send(text.subarray(14), { binary: false, fin: true });
      assert.equal((await pinged)[0].toString(), 'between');
      const { data, isBinary } = await received;
      assert.equal(isBinary, false);
      assert.equal(data.toString(), 'fragmented 𝄞 message');
      client.close();
      await ourClose(socket);
    });

    test('ws sends a fragmented binary message of 3 MiB; the server gets it whole', async () => {
      const { client, socket } = await connect(server);
      const bytes = binaryOfBytes(3 * 1024 * 1024);
      const received = nextMessage(socket);
      for (let i = 0; i < 3; i++) client.send(bytes.subarray(i << 20, (i + 1) << 20), { binary: true, fin: i === 2 });
      const { data, isBinary } = await received;
      assert.equal(isBinary, true);
      assert.ok(data.equals(bytes));
      client.close();
      await ourClose(socket);
    });

    test('the server sends fin: false fragments; ws gets one message', async () => {
      const { client, socket } = await connect(server);
      const received = nextMessage(client);
      const text = Buffer.from('€uro and 𝄞 clef');
      socket.send(text.subarray(0, 2), { binary: false, fin: false });
      socket.send(text.subarray(2, 15), { fin: false });
      socket.send(text.subarray(15), { fin: true });
      const { data, isBinary } = await received;
      assert.equal(isBinary, false);
      assert.equal(data.toString(), '€uro and 𝄞 clef');

      const binary = nextMessage(client);
      socket.send(Buffer.from([1, 2]), { fin: false });
      socket.send(Buffer.alloc(0), { fin: false });
      socket.send(Buffer.from([3]), { fin: true });
      const second = await binary;
      assert.equal(second.isBinary, true);
      assert.deepEqual([...second.data], [1, 2, 3]);
      client.close();
      await ourClose(socket);
    });
  });

  describe('ping and pong', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(() => server.close());

    for (const payload of ['', 'hello', 'x'.repeat(125)]) {
      test(`ws pings with ${payload.length} bytes; the server reports the ping and pongs the same payload`, async () => {
        const { client, socket } = await connect(server);
        const pinged = next<[Buffer]>(socket, 'ping');
        const ponged = next<[Buffer]>(client, 'pong');
        client.ping(payload);
        assert.equal((await pinged)[0].toString(), payload);
        assert.equal((await ponged)[0].toString(), payload);
        client.close();
        await ourClose(socket);
      });

      test(`the server pings with ${payload.length} bytes; ws pongs the same payload`, async () => {
        const { client, socket } = await connect(server);
        const pinged = next<[Buffer]>(client, 'ping');
        const ponged = next<[Buffer]>(socket, 'pong');
        socket.ping(payload);
        assert.equal((await pinged)[0].toString(), payload);
        assert.equal((await ponged)[0].toString(), payload);
        client.close();
        await ourClose(socket);
      });
    }

    test('binary ping payloads arrive byte for byte', async () => {
      const { client, socket } = await connect(server);
      const payload = Buffer.from([0, 0xff, 0x80, 0xc0]);
      const ponged = next<[Buffer]>(socket, 'pong');
      socket.ping(payload);
      assert.deepEqual((await ponged)[0], payload);
      client.close();
      await ourClose(socket);
    });
  });

  describe('closing handshake', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(() => server.close());

    for (const code of VALID_CLOSE_CODES) {
      test(`ws closes with ${code} and a reason; both ends report it, cleanly`, async () => {
        const { client, socket } = await connect(server);
        const ours = ourClose(socket);
        const theirs = wsClose(client);
        client.close(code, CLOSE_REASON);
        assert.deepEqual(await ours, { code, reason: CLOSE_REASON, wasClean: true });
        // Each end reports the close frame it received: Switchboard echoes the code only (RFC 6455 §5.5.1).
        assert.deepEqual(await theirs, { code, reason: '', wasClean: true });
      });

      test(`the server closes with ${code} and a reason; both ends report it, cleanly`, async () => {
        const { client, socket } = await connect(server);
        const ours = ourClose(socket);
        const theirs = wsClose(client);
        socket.close(code, CLOSE_REASON);
        assert.deepEqual(await theirs, { code, reason: CLOSE_REASON, wasClean: true });
        // ws echoes the reason along with the code.
        assert.deepEqual(await ours, { code, reason: CLOSE_REASON, wasClean: true });
      });
    }

    test('a close with no code is reported as 1005 on both ends', async () => {
      const { client, socket } = await connect(server);
      const ours = ourClose(socket);
      const theirs = wsClose(client);
      client.close();
      assert.deepEqual(await ours, { code: 1005, reason: '', wasClean: true });
      assert.deepEqual(await theirs, { code: 1005, reason: '', wasClean: true });
    });

    test('a 123-byte reason, the longest that fits, arrives whole', async () => {
      const reason = 'é'.repeat(61) + '!';
      const { client, socket } = await connect(server);
      const ours = ourClose(socket);
      const theirs = wsClose(client);
      socket.close(4000, reason);
      assert.deepEqual(await theirs, { code: 4000, reason, wasClean: true });
      assert.deepEqual(await ours, { code: 4000, reason, wasClean: true });
    });

    test('ws terminating the TCP connection is reported as 1006, not clean', async () => {
      const { client, socket } = await connect(server);
      const ours = ourClose(socket);
      client.terminate();
      assert.deepEqual(await ours, { code: 1006, reason: '', wasClean: false });
    });
  });

  describe('maxPayload', () => {
    test('the server accepts exactly maxPayload bytes and fails one more with 1009', async () => {
      const server = await startServer({ maxPayload: 1000 });
      try {
        const { client, socket } = await connect(server);
        const received = nextMessage(socket);
        client.send(binaryOfBytes(1000));
        assert.equal((await received).data.length, 1000);

        const error = next<[Error]>(socket, 'error');
        const ours = ourClose(socket);
        const theirs = wsClose(client);
        client.send(binaryOfBytes(1001));
        const [failure] = await error;
        assert.ok(failure instanceof WebSocketError);
        assert.equal(failure.code, ErrorCode.MessageTooBig);
        assert.equal((await ours).code, 1009);
        assert.equal((await theirs).code, 1009);
      } finally {
        await server.close();
      }
    });

    test('the limit counts fragments together', async () => {
      const server = await startServer({ maxPayload: 1000 });
      try {
        const { client, socket } = await connect(server);
        const ours = ourClose(socket);
        const theirs = wsClose(client);
        client.send(binaryOfBytes(600), { fin: false });
        client.send(binaryOfBytes(401), { fin: true });
        assert.equal((await ours).code, 1009);
        assert.equal((await theirs).code, 1009);
      } finally {
        await server.close();
      }
    });

    test('a ws client with maxPayload fails a larger server message with 1009', async () => {
      const server = await startServer();
      try {
        const { client, socket } = await connect(server, { maxPayload: 1000 });
        const ours = ourClose(socket);
        const failure = next<[Error & { code?: string }]>(client, 'error');
        socket.send(binaryOfBytes(1001));
        assert.equal((await failure)[0].code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
        // ws stops reading once it fails, so it reports 1006 itself; the close frame it sent carries 1009.
        assert.equal((await ours).code, 1009);
      } finally {
        await server.close();
      }
    });
  });
});
