import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/ws/index.js';
import { selfSigned, skipWithoutOpenssl as skip, type Certificate } from '../helpers/certificates.js';
import { binaryOfBytes, nextMessage, openOurClient, ourClose, textOfBytes, wsClose } from './interop-shared.js';
import { waitFor } from '../helpers/wait.js';

// wss:// with a certificate made for the test: Switchboard's server on https.createServer,
// Switchboard's client trusting it through `ca`, and refusing it when it is not trusted.

/** Rejects with what a client's `error` event carried, and resolves how it closed. */
async function failedConnection(
  client: WebSocket,
): Promise<{ error: Error & { code?: string }; close: { code: number; wasClean: boolean } }> {
  const error = waitFor<[Error & { code?: string }]>(client, 'error');
  const close = ourClose(client);
  return { error: (await error)[0], close: await close };
}

describe('wss:// (TLS)', { skip }, () => {
  let dir: string;
  let trusted: Certificate;
  let otherName: Certificate;
  let httpsServer: https.Server;
  let wss: WebSocketServer;
  let url: string;
  let connections = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
    trusted = selfSigned(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    otherName = selfSigned(dir, 'other.example', 'DNS:other.example');
    httpsServer = https.createServer({ key: trusted.key, cert: trusted.cert });
    wss = new WebSocketServer({ server: httpsServer });
    wss.on('connection', (socket: WebSocket) => {
      connections++;
      socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
    });
    httpsServer.listen(0, '127.0.0.1');
    await waitFor(httpsServer, 'listening');
    url = `wss://127.0.0.1:${(httpsServer.address() as AddressInfo).port}/secure`;
  });

  after(async () => {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    httpsServer.closeAllConnections();
    await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client trusts the certificate through `ca`, exchanges messages and closes cleanly', async () => {
    const client = await openOurClient(new WebSocket(url, { ca: trusted.cert }));
    assert.equal(client.url, url);
    for (const size of [0, 125, 126, 65536, 1024 * 1024]) {
      const text = textOfBytes(size);
      const echoedText = nextMessage(client);
      client.send(text);
      assert.ok((await echoedText).data.equals(Buffer.from(text)), `text of ${size} bytes`);
      const bytes = binaryOfBytes(size);
      const echoedBytes = nextMessage(client);
      client.send(bytes);
      const { data, isBinary } = await echoedBytes;
      assert.equal(isBinary, true);
      assert.ok(data.equals(bytes), `binary of ${size} bytes`);
    }
    const closed = ourClose(client);
    client.close(1000, 'done');
    assert.deepEqual(await closed, { code: 1000, reason: '', wasClean: true });
  });

  test('the client refuses an untrusted self-signed certificate, and no connection opens', async () => {
    const before = connections;
    const client = new WebSocket(url);
    const { error, close } = await failedConnection(client);
    assert.match(error.code ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY/);
    assert.deepEqual({ code: close.code, wasClean: close.wasClean }, { code: 1006, wasClean: false });
    assert.equal(client.readyState, WebSocket.CLOSED);
    assert.equal(connections, before);
  });

  test('the client refuses a trusted certificate issued for another name', async () => {
    const server = https.createServer({ key: otherName.key, cert: otherName.cert });
    const other = new WebSocketServer({ server });
    server.listen(0, '127.0.0.1');
    await waitFor(server, 'listening');
    try {
      const client = new WebSocket(`wss://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        ca: otherName.cert,
      });
      const { error, close } = await failedConnection(client);
      assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.equal(close.code, 1006);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('rejectUnauthorized: false connects without trusting the certificate', async () => {
    const client = await openOurClient(new WebSocket(url, { rejectUnauthorized: false }));
    const echoed = nextMessage(client);
    client.send('insecure but encrypted');
    assert.equal((await echoed).data.toString(), 'insecure but encrypted');
    const closed = ourClose(client);
    client.close();
    assert.equal((await closed).code, 1005);
  });

  test('a ws client talks to the Switchboard server over TLS', async () => {
    const client = new WsWebSocket(url, { ca: trusted.cert });
    await waitFor(client, 'open');
    const echoed = nextMessage(client);
    client.send(textOfBytes(70000));
    assert.ok((await echoed).data.equals(Buffer.from(textOfBytes(70000))));
    const closed = wsClose(client);
    client.close(4001, 'tls');
    assert.deepEqual(await closed, { code: 4001, reason: '', wasClean: true });
  });

  test('the Switchboard client talks to a ws server over TLS', async () => {
    const server = https.createServer({ key: trusted.key, cert: trusted.cert });
    const wsServer = new WsServer({ server });
    wsServer.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })),
    );
    server.listen(0, '127.0.0.1');
    await waitFor(server, 'listening');
    try {
      const client = await openOurClient(
        new WebSocket(`wss://127.0.0.1:${(server.address() as AddressInfo).port}/`, { ca: trusted.cert }),
      );
      const echoed = nextMessage(client);
      client.send(binaryOfBytes(200000));
      assert.ok((await echoed).data.equals(binaryOfBytes(200000)));
      const closed = ourClose(client);
      client.close(4002, 'tls');
      assert.deepEqual(await closed, { code: 4002, reason: 'tls', wasClean: true });
    } finally {
      for (const socket of wsServer.clients) socket.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
