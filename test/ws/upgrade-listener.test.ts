import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { UpgradeListener } from '../../src/ws/upgrade-listener.js';
import { WebSocketServer, type WebSocket } from '../../src/ws/index.js';
import { RawClient, startServer, upgradeRequest } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';

/** An upgrade listener on 127.0.0.1 that hands its upgrades to a `noServer` WebSocketServer, as a server with a port does. */
async function startListener(): Promise<{
  listener: UpgradeListener;
  wss: WebSocketServer;
  port: number;
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ noServer: true });
  const listener = new UpgradeListener({
    maxHeadSize: 16 * 1024,
    handshakeTimeout: 60_000,
    onUpgrade: (request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)),
  });
  listener.server.listen(0, '127.0.0.1');
  await waitFor(listener.server, 'listening');
  return {
    listener,
    wss,
    port: (listener.server.address() as AddressInfo).port,
    close: async () => {
      listener.dropPending();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => listener.server.close(() => resolve()));
    },
  };
}

describe('UpgradeListener: a request head trickled one byte per read', () => {
  it('holds at most twice the bytes received, and the upgrade completes', async () => {
    const server = await startListener();
    const client = net.connect(server.port, '127.0.0.1');
    client.setNoDelay(true);
    client.on('error', () => undefined);
    try {
      const [serverSide] = await waitFor<[net.Socket]>(server.listener.server, 'connection');
      const head = Buffer.from(upgradeRequest('/', `X-Pad: ${'a'.repeat(1000)}\r\n`), 'latin1');
      let received = 0;
      let mostHeld = 0;
      for (let i = 0; i < head.length - 1; i++) {
        client.write(head.subarray(i, i + 1));
        // Waiting for the server to read each byte before sending the next makes every read one byte.
        const [chunk] = await waitFor<[Buffer]>(serverSide, 'data');
        assert.equal(chunk.length, 1);
        received += chunk.length;
        const held = server.listener.pendingHeadBytes;
        assert.ok(held >= received && held <= 2 * received, `${held} bytes held for ${received} received`);
        mostHeld = Math.max(mostHeld, held);
      }
      assert.ok(mostHeld <= 2 * head.length);
      const connection = waitFor<[WebSocket, http.IncomingMessage]>(server.wss, 'connection');
      const response = waitFor<[Buffer]>(client, 'data');
      client.write(head.subarray(head.length - 1));
      const [, request] = await connection;
      assert.equal(request.headers['x-pad'], 'a'.repeat(1000));
      assert.match((await response)[0].toString('latin1'), /^HTTP\/1\.1 101 /);
      assert.equal(server.listener.pendingHeadBytes, 0);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});

describe('WebSocketServer own port: what cannot be an HTTP/1.1 request head gets 400 at once', () => {
  // A handshake timeout far beyond the wait of `RawClient.connect` (5 s): a 408 could not arrive in time.
  const options = { handshakeTimeout: 60_000 };

  const notHttp: [string, Uint8Array][] = [
    [
      'a TLS ClientHello sent to a plain port',
      Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xf4, 0x01, 0x00, 0x00, 0xf0, 0x03, 0x03),
    ],
    ['a head with bare-LF line endings, unfinished', Buffer.from('GET / HTTP/1.1\nHost: 127.0.0.1\n', 'latin1')],
    ['a head with bare-CR line endings, unfinished', Buffer.from('GET / HTTP/1.1\rHost: 127.0.0.1\r', 'latin1')],
  ];
  for (const [name, bytes] of notHttp) {
    it(`answers ${name} with 400 and closes`, async () => {
      const server = await startServer(options);
      const raw = await RawClient.connect(server.port, bytes);
      try {
        assert.equal(raw.status, 400);
        await raw.waitForEnd();
      } finally {
        raw.destroy();
        await server.close();
      }
    });
  }

  it('answers 400 to an upgrade with Content-Length and Transfer-Encoding (RFC 9112 §6.1), or with content', async () => {
    const server = await startServer(options);
    try {
      for (const extra of [
        'Content-Length: 0\r\nTransfer-Encoding: chunked\r\n',
        'Transfer-Encoding: chunked\r\n',
        'Content-Length: 4\r\n',
      ]) {
        const raw = await RawClient.open(server.port, '/', extra);
        assert.equal(raw.status, 400, extra);
        raw.destroy();
      }
      const plain = await RawClient.open(server.port, '/', 'Content-Length: 0\r\n');
      assert.equal(plain.status, 101);
      plain.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('WebSocketServer own port: repeated header fields', () => {
  // 150,000 repeats of each of three fields (an 8 MB head): rebuilding the Set-Cookie array on each
  // repeat copies 11 billion elements, over a minute of blocked event loop, and trips this guard;
  // gathering the values and joining them once takes a fraction of a second.
  it('joins a hundred thousand repeats in linear work, with the right result', { timeout: 30_000 }, async () => {
    const repeats = 150_000;
    let extra = '';
    for (let i = 0; i < repeats; i++) extra += `Set-Cookie: s${i}\r\nCookie: c${i}\r\nX-Multi: m${i}\r\n`;
    let seen: http.IncomingHttpHeaders | undefined;
    const server = await startServer({
      maxHeaderSize: 16 * 1024 * 1024,
      authenticate: (request) => {
        seen = request.headers;
        return true;
      },
    });
    try {
      const raw = await RawClient.open(server.port, '/', extra);
      assert.equal(raw.status, 101);
      raw.destroy();
      const setCookie = seen?.['set-cookie'];
      assert.ok(Array.isArray(setCookie));
      assert.equal(setCookie.length, repeats);
      assert.equal(setCookie[0], 's0');
      assert.equal(setCookie[repeats - 1], `s${repeats - 1}`);
      const cookies = seen?.cookie?.split('; ');
      assert.equal(cookies?.length, repeats);
      assert.equal(cookies?.[repeats - 1], `c${repeats - 1}`);
      const multi = String(seen?.['x-multi']).split(', ');
      assert.equal(multi.length, repeats);
      assert.equal(multi[1234], 'm1234');
    } finally {
      await server.close();
    }
  });
});
