import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PerMessageDeflateOptions as WsDeflateOptions, WebSocket as WsWebSocket } from 'ws';
import { ErrorCode, WebSocket, WebSocketError } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, startServer, type TestServer } from '../helpers/ws-peers.js';
import {
  binaryOfBytes,
  next,
  nextMessage,
  openOurClient,
  openWsClient,
  ourClose,
  startWsServer,
  textOfBytes,
  wsClose,
} from './interop-shared.js';

// permessage-deflate (RFC 7692) between Switchboard and `ws`, in both roles.

/** The same negotiation options, as each implementation names them (they share ws's names). */
const CONFIGURATIONS: readonly { readonly name: string; readonly options: WsDeflateOptions }[] = [
  { name: 'defaults', options: { threshold: 0 } },
  { name: 'no context takeover', options: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true } },
  { name: 'small windows', options: { threshold: 0, serverMaxWindowBits: 9, clientMaxWindowBits: 10 } },
];

const SIZES = [0, 1, 126, 65536, 1024 * 1024];

/** Sends `count` similar messages each way through an echo, so context takeover carries across messages. */
async function exchange(sender: WebSocket | WsWebSocket, receiver: NodeJS.EventEmitter): Promise<void> {
  for (const size of SIZES) {
    for (let round = 0; round < 2; round++) {
      const text = textOfBytes(size);
      const echoedText = nextMessage(receiver);
      sender.send(text);
      const gotText = await echoedText;
      assert.equal(gotText.isBinary, false);
      assert.ok(gotText.data.equals(Buffer.from(text)), `text of ${size} bytes, round ${round}`);

      const bytes = binaryOfBytes(size);
      const echoedBytes = nextMessage(receiver);
      sender.send(bytes);
      const gotBytes = await echoedBytes;
      assert.equal(gotBytes.isBinary, true);
      assert.ok(gotBytes.data.equals(bytes), `binary of ${size} bytes, round ${round}`);
    }
  }
  // A compressed message sent in fragments is one deflate stream (RFC 7692 §6.1).
  const fragmented = nextMessage(receiver);
  const text = Buffer.from(textOfBytes(5000));
  sender.send(text.subarray(0, 1), { binary: false, fin: false });
  sender.send(text.subarray(1, 2501), { binary: false, fin: false });
  sender.send(text.subarray(2501), { binary: false, fin: true });
  assert.ok((await fragmented).data.equals(text), 'fragmented compressed text');
}

for (const { name, options } of CONFIGURATIONS) {
  describe(`interop: permessage-deflate, ${name}`, () => {
    describe('Switchboard server, ws client', () => {
      let server: TestServer;
      before(async () => {
        server = await startServer({ perMessageDeflate: options });
        server.wss.on('connection', (socket: WebSocket) => {
          socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
        });
      });
      after(() => server.close());

      test('negotiates the extension and echoes messages of every size, whole and fragmented', async () => {
        const client = await openWsClient(server.url, { perMessageDeflate: options });
        assert.match(client.extensions, /^permessage-deflate/);
        await exchange(client, client);
        const closed = wsClose(client);
        client.close(1000);
        assert.equal((await closed).code, 1000);
      });
    });

    describe('ws server, Switchboard client', () => {
      let server: Awaited<ReturnType<typeof startWsServer>>;
      before(async () => {
        server = await startWsServer({ perMessageDeflate: options });
        server.wss.on('connection', (socket) => {
          socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
        });
      });
      after(() => server.close());

      test('negotiates the extension and echoes messages of every size, whole and fragmented', async () => {
        const client = await openOurClient(new WebSocket(server.url, { perMessageDeflate: options }));
        assert.match(client.extensions, /^permessage-deflate/);
        await exchange(client, client);
        const closed = ourClose(client);
        client.close(1000);
        assert.equal((await closed).code, 1000);
      });
    });
  });
}

describe('interop: permessage-deflate ordering around async zlib', () => {
  const numbered = (prefix: string): string[] => Array.from({ length: 200 }, (_, i) => `${prefix} ${i} ${'x'.repeat(i * 7)}`);

  test('compressed messages a ws client sends right before its close all reach the server before the close', async () => {
    const server = await startServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const seen: string[] = [];
      let closedAfter = -1;
      const done = new Promise<void>((resolve) =>
        server.wss.once('connection', (socket: WebSocket) => {
          socket.on('message', (data: Buffer) => seen.push(data.toString()));
          socket.on('close', () => {
            closedAfter = seen.length;
            resolve();
          });
        }),
      );
      const client = await openWsClient(server.url, { perMessageDeflate: { threshold: 0 } });
      const messages = numbered('compressed');
      for (const message of messages) client.send(message);
      client.ping('between');
      client.close(4000, 'bye');
      await done;
      assert.equal(closedAfter, messages.length);
      assert.deepEqual(seen, messages);
    } finally {
      await server.close();
    }
  });

  test('compressed messages the Switchboard client sends right before its close all reach ws before the close', async () => {
    const server = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const seen: string[] = [];
      let closedAfter = -1;
      const done = new Promise<void>((resolve) =>
        server.wss.once('connection', (socket) => {
          socket.on('message', (data) => seen.push(String(data)));
          socket.on('close', () => {
            closedAfter = seen.length;
            resolve();
          });
        }),
      );
      const client = await openOurClient(new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } }));
      const messages = numbered('compressed');
      for (const message of messages) client.send(message);
      client.ping('between');
      client.close(4000, 'bye');
      await done;
      assert.equal(closedAfter, messages.length);
      assert.deepEqual(seen, messages);
    } finally {
      await server.close();
    }
  });

  test('compressed messages a ws server sends right before its close all reach the Switchboard client before the close', async () => {
    const server = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const messages = numbered('from the server');
      server.wss.once('connection', (socket) => {
        for (const message of messages) socket.send(message);
        socket.close(4001, 'done');
      });
      const client = new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } });
      const seen: string[] = [];
      client.on('message', (data: Buffer) => seen.push(data.toString()));
      const outcome = await ourClose(client);
      assert.deepEqual(outcome, { code: 4001, reason: 'done', wasClean: true });
      assert.deepEqual(seen, messages);
    } finally {
      await server.close();
    }
  });

  test('a compressed fragmented message with a ping between its fragments arrives whole', async () => {
    const server = await startServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const accepted = next<[WebSocket]>(server.wss, 'connection');
      const client = await openWsClient(server.url, { perMessageDeflate: { threshold: 0 } });
      const [socket] = await accepted;
      const received = nextMessage(socket);
      const pinged = next<[Buffer]>(socket, 'ping');
      const text = Buffer.from(textOfBytes(3000));
      client.send(text.subarray(0, 1000), { binary: false, fin: false, compress: true });
      client.ping('between');
      client.send(text.subarray(1000), { binary: false, fin: true, compress: true });
      assert.equal((await pinged)[0].toString(), 'between');
      assert.ok((await received).data.equals(text));
      const closed = ourClose(socket);
      client.close();
      await closed;
    } finally {
      await server.close();
    }
  });
});

describe('interop: permessage-deflate limits', () => {
  // 4 MiB of zeros compresses to a few KiB: maxPayload must count the inflated size.
  const bomb = Buffer.alloc(4 * 1024 * 1024);

  test('the Switchboard server fails a small compressed message that inflates past maxPayload with 1009', async () => {
    const server = await startServer({ perMessageDeflate: true, maxPayload: 1024 * 1024 });
    try {
      const accepted = next<[WebSocket]>(server.wss, 'connection');
      const client = await openWsClient(server.url, { perMessageDeflate: { threshold: 0 } });
      const [socket] = await accepted;
      const error = next<[Error]>(socket, 'error');
      const ours = ourClose(socket);
      const theirs = wsClose(client);
      client.send(bomb);
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.MessageTooBig);
      assert.equal((await ours).code, 1009);
      assert.equal((await theirs).code, 1009);
    } finally {
      await server.close();
    }
  });

  test('the Switchboard client fails a small compressed message that inflates past maxPayload with 1009', async () => {
    const server = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const accepted = next<[WsWebSocket]>(server.wss, 'connection');
      const client = await openOurClient(new WebSocket(server.url, { maxPayload: 1024 * 1024 }));
      const [socket] = await accepted;
      const error = next<[Error]>(client, 'error');
      const ours = ourClose(client);
      const theirs = wsClose(socket);
      socket.send(bomb);
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.MessageTooBig);
      assert.equal((await ours).code, 1009);
      assert.equal((await theirs).code, 1009);
    } finally {
      await server.close();
    }
  });

  test('compressed text that inflates to invalid UTF-8 fails with 1007, on either side', async () => {
    const server = await startServer({ perMessageDeflate: true });
    try {
      const accepted = next<[WebSocket]>(server.wss, 'connection');
      const client = await openWsClient(server.url, { perMessageDeflate: { threshold: 0 } });
      const [socket] = await accepted;
      const error = next<[Error]>(socket, 'error');
      const ours = ourClose(socket);
      // ws does not check the text it sends, so it can send a compressed surrogate.
      client.send(Buffer.concat([Buffer.from('valid start '), Buffer.of(0xed, 0xa0, 0x80)]), { binary: false, compress: true });
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.InvalidUtf8);
      assert.equal((await ours).code, 1007);
    } finally {
      await server.close();
    }

    const wsServer = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const accepted = next<[WsWebSocket]>(wsServer.wss, 'connection');
      const client = await openOurClient(new WebSocket(wsServer.url));
      const [socket] = await accepted;
      const error = next<[Error]>(client, 'error');
      const ours = ourClose(client);
      const theirs = wsClose(socket);
      socket.send(Buffer.of(0x61, 0xc0, 0xaf), { binary: false, compress: true });
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.InvalidUtf8);
      assert.equal((await theirs).code, 1007);
      assert.equal((await ours).code, 1007);
    } finally {
      await wsServer.close();
    }
  });

  test('a compressed message that does not inflate fails with 1007 and ERR_INVALID_COMPRESSED_DATA', async () => {
    const server = await startServer({ perMessageDeflate: true });
    try {
      const accepted = next<[WebSocket]>(server.wss, 'connection');
      const raw = await RawClient.open(server.port, '/', 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
      assert.match(raw.response, /sec-websocket-extensions: permessage-deflate/i);
      const [socket] = await accepted;
      const error = next<[Error]>(socket, 'error');
      // 0xff starts a deflate block of the reserved type 3: no inflater accepts it.
      raw.write(clientFrame(0x2, Uint8Array.of(0xff, 0xff, 0xff, 0xff), { rsv: 0x40 }));
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.InvalidCompressedData);
      assert.equal(await raw.readCloseCode(), 1007);
      await raw.waitForEnd();
    } finally {
      await server.close();
    }
  });

  test('a message of exactly maxPayload bytes once inflated is delivered', async () => {
    const server = await startServer({ perMessageDeflate: true, maxPayload: 1024 * 1024 });
    try {
      const accepted = next<[WebSocket]>(server.wss, 'connection');
      const client = await openWsClient(server.url, { perMessageDeflate: { threshold: 0 } });
      const [socket] = await accepted;
      const received = nextMessage(socket);
      client.send(Buffer.alloc(1024 * 1024, 7));
      const { data } = await received;
      assert.equal(data.length, 1024 * 1024);
      assert.ok(data.every((byte) => byte === 7));
      const closed = ourClose(socket);
      client.close();
      assert.equal((await closed).code, 1005);
    } finally {
      await server.close();
    }
  });
});
