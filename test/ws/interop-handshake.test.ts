import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { ErrorCode, WebSocket, WebSocketError, WebSocketServer, basicAuth } from '../../src/ws/index.js';
import { rejectResponse } from '../../src/protocol/index.js';
import { clientFrame } from '../helpers/frames.js';
import { startServer, upgradeRequest, type TestServer } from '../helpers/ws-peers.js';
import { nextMessage, openOurClient, openWsClient, ourClose, startWsServer, wsClose } from './interop-shared.js';
import { sleep, waitFor, withTimeout } from '../helpers/wait.js';

// The opening handshake between Switchboard and `ws`: subprotocols, headers, paths, IPv6, refusals.

describe('interop handshake: Switchboard server, ws client', () => {
  test('the server picks a subprotocol with handleProtocols and ws sees it', async () => {
    const server = await startServer({ handleProtocols: (offered) => (offered.has('v2.chat') ? 'v2.chat' : false) });
    try {
      const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
      const offered = new WsWebSocket(server.url, ['v1.chat', 'v2.chat']);
      await waitFor(offered, 'open');
      const [socket] = await accepted;
      assert.equal(offered.protocol, 'v2.chat');
      assert.equal(socket.protocol, 'v2.chat');
      const closed = wsClose(offered);
      offered.close();
      await closed;

      // Offered subprotocols, none chosen: ws fails the handshake, as Switchboard's client does.
      const declined = new WsWebSocket(server.url, ['v1.chat']);
      const failure = waitFor<[Error]>(declined, 'error');
      assert.match((await failure)[0].message, /subprotocol/i);
    } finally {
      await server.close();
    }
  });

  test('by default the server picks the first subprotocol offered', async () => {
    const server = await startServer();
    try {
      const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
      const client = new WsWebSocket(server.url, ['first', 'second']);
      await waitFor(client, 'open');
      const [socket] = await accepted;
      assert.equal(client.protocol, 'first');
      assert.equal(socket.protocol, 'first');
      const closed = ourClose(socket);
      client.close();
      await closed;
    } finally {
      await server.close();
    }
  });

  test('the request reaches the connection listener with its path, query and headers', async () => {
    const server = await startServer({ path: '/chat' });
    try {
      const accepted = waitFor<[WebSocket, IncomingMessage]>(server.wss, 'connection');
      const client = await openWsClient(`${server.url}/chat?room=42`, {
        headers: { 'X-Trace': 'abc' },
        origin: 'https://app.example',
      });
      const [socket, request] = await accepted;
      assert.equal(request.url, '/chat?room=42');
      assert.equal(request.headers['x-trace'], 'abc');
      assert.equal(request.headers.origin, 'https://app.example');
      const closed = ourClose(socket);
      client.close();
      await closed;
    } finally {
      await server.close();
    }
  });

  test('an authenticate refusal reaches ws as an unexpected response with its status', async () => {
    const server = await startServer({
      authenticate: basicAuth((user, password) => user === 'ada' && password === 'lovelace'),
    });
    try {
      const refused = new WsWebSocket(server.url, { auth: 'ada:wrong' });
      const [, response] = await waitFor<[unknown, IncomingMessage]>(refused, 'unexpected-response');
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /^Basic/);
      refused.on('error', () => undefined);
      refused.terminate();

      const admitted = new WsWebSocket(server.url, { auth: 'ada:lovelace' });
      await waitFor(admitted, 'open');
      const closed = wsClose(admitted);
      admitted.close();
      assert.equal((await closed).code, 1005);
    } finally {
      await server.close();
    }
  });

  test('a ws client on another path gets 400', async () => {
    const server = await startServer({ path: '/only-here' });
    try {
      const client = new WsWebSocket(`${server.url}/elsewhere`);
      const [, response] = await waitFor<[unknown, IncomingMessage]>(client, 'unexpected-response');
      assert.equal(response.statusCode, 400);
      client.on('error', () => undefined);
      client.terminate();
    } finally {
      await server.close();
    }
  });
});

describe('interop handshake: refusals as ws sees them and as wsClientError reports them', () => {
  /** Opens a ws client expecting a refusal; answers the status and headers it got, and the error the server reported. */
  async function refusal(server: TestServer, url: string, options: ConstructorParameters<typeof WsWebSocket>[2] = {}) {
    const reported = waitFor<[Error]>(server.wss, 'wsClientError');
    const client = new WsWebSocket(url, options);
    client.on('error', () => undefined);
    const [failure] = await reported;
    assert.ok(failure instanceof WebSocketError);
    return { client, failure };
  }

  /** A wsClientError listener answers for the server: here, with the error's own status and code. */
  function answerWithStatus(server: TestServer): void {
    server.wss.on('wsClientError', (failure: WebSocketError, socket: Duplex) => {
      socket.end(
        `HTTP/1.1 ${failure.status} Refused\r\nConnection: close\r\nX-Error-Code: ${failure.code}\r\nContent-Length: 0\r\n\r\n`,
      );
    });
  }

  async function responseOf(client: WsWebSocket): Promise<IncomingMessage> {
    const [, response] = await waitFor<[unknown, IncomingMessage]>(client, 'unexpected-response');
    client.terminate();
    return response;
  }

  test('past maxConnections: 503 and ERR_HANDSHAKE_REFUSED', async () => {
    const server = await startServer({ maxConnections: 1 });
    answerWithStatus(server);
    try {
      const first = await openWsClient(server.url);
      const { client, failure } = await refusal(server, server.url);
      assert.equal(failure.code, ErrorCode.HandshakeRefused);
      assert.equal(failure.status, 503);
      const response = await responseOf(client);
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['x-error-code'], ErrorCode.HandshakeRefused);
      first.terminate();
    } finally {
      await server.close();
    }
  });

  test('an authenticate hook slower than handshakeTimeout: 408 and ERR_HANDSHAKE_TIMEOUT', async () => {
    const server = await startServer({
      handshakeTimeout: 50,
      authenticate: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 500)),
    });
    answerWithStatus(server);
    try {
      const { client, failure } = await refusal(server, server.url);
      assert.equal(failure.code, ErrorCode.HandshakeTimeout);
      assert.equal(failure.status, 408);
      assert.equal((await responseOf(client)).statusCode, 408);
    } finally {
      await server.close();
    }
  });

  test('an authenticate refusal: its status and ERR_HANDSHAKE_REFUSED', async () => {
    const server = await startServer({ authenticate: () => ({ status: 403, message: 'Forbidden' }) });
    answerWithStatus(server);
    try {
      const { client, failure } = await refusal(server, server.url);
      assert.equal(failure.code, ErrorCode.HandshakeRefused);
      assert.equal((await responseOf(client)).statusCode, 403);
    } finally {
      await server.close();
    }
  });

  test('another path: 400 and ERR_BAD_UPGRADE_REQUEST', async () => {
    const server = await startServer({ path: '/here' });
    answerWithStatus(server);
    try {
      const { client, failure } = await refusal(server, `${server.url}/there`);
      assert.equal(failure.code, ErrorCode.BadUpgradeRequest);
      assert.equal((await responseOf(client)).statusCode, 400);
    } finally {
      await server.close();
    }
  });

  test('ws speaking protocol version 8 (the draft) is accepted as ws accepts it, its Sec-WebSocket-Origin read as the origin', async () => {
    const origins: (string | undefined)[] = [];
    const server = await startServer({ verifyClient: (info) => (origins.push(info.origin), true) });
    const client = new WsWebSocket(server.url, { protocolVersion: 8, origin: 'https://draft.example' });
    try {
      server.wss.on('connection', (socket: WebSocket) => socket.on('message', (data: Buffer) => socket.send(data)));
      await waitFor(client, 'open');
      const echoed = nextMessage(client);
      client.send('over version 8');
      assert.equal((await echoed).data.toString(), 'over version 8');
      assert.deepEqual(origins, ['https://draft.example']);
    } finally {
      client.terminate();
      await server.close();
    }
  });

  test('another version: 426 with Sec-WebSocket-Version: 13, and ERR_UNSUPPORTED_VERSION to wsClientError', async () => {
    const server = await startServer();
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    try {
      const reported = waitFor<[Error]>(server.wss, 'wsClientError');
      server.wss.on('wsClientError', (_failure: WebSocketError, peer: Duplex) => peer.end(rejectResponse(426)));
      socket.write(upgradeRequest('/').replace('Version: 13', 'Version: 12'));
      const [failure] = await reported;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.UnsupportedVersion);
      const [answer] = await waitFor<[Buffer]>(socket, 'data');
      assert.match(answer.toString('latin1'), /^HTTP\/1\.1 426 [^]*\r\nSec-WebSocket-Version: 13\r\n/);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});

describe('interop handshake: request heads in pieces', () => {
  test('a request head trickled in one byte at a time, with a frame right behind it, is upgraded', async () => {
    const server = await startServer();
    const messages = withTimeout(
      new Promise<string>((resolve) =>
        server.wss.once('connection', (socket: WebSocket) =>
          socket.once('message', (data: Buffer) => resolve(data.toString())),
        ),
      ),
      'the message behind the head',
    );
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    try {
      await waitFor(socket, 'connect');
      socket.setNoDelay(true);
      const bytes = Buffer.concat([
        Buffer.from(upgradeRequest('/trickle', 'X-Filler: ' + 'f'.repeat(200) + '\r\n')),
        clientFrame(0x1, 'behind the head'),
      ]);
      const response = waitFor(socket, 'data');
      for (const byte of bytes) {
        socket.write(Uint8Array.of(byte));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const [first] = (await response) as [Buffer];
      assert.match(first.toString('latin1'), /^HTTP\/1\.1 101 /);
      assert.equal(await messages, 'behind the head');
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});

describe('interop handshake: a blank line split across reads', () => {
  for (const cut of [1, 2, 3]) {
    test(`a head whose final CRLF CRLF is cut ${cut} bytes from its end is still read`, async () => {
      const server = await startServer();
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      try {
        await waitFor(socket, 'connect');
        socket.setNoDelay(true);
        const bytes = Buffer.from(upgradeRequest('/'));
        const response = waitFor(socket, 'data');
        socket.write(bytes.subarray(0, bytes.length - cut));
        // A pause long enough for the two pieces to arrive as separate reads.
        await sleep(30);
        socket.write(bytes.subarray(bytes.length - cut));
        const [first] = (await response) as [Buffer];
        assert.match(first.toString('latin1'), /^HTTP\/1\.1 101 /);
      } finally {
        socket.destroy();
        await server.close();
      }
    });
  }
});

describe('interop handshake: ws server, Switchboard client', () => {
  test('the client sees the subprotocol the ws server picks', async () => {
    const server = await startWsServer({ handleProtocols: (offered) => (offered.has('b') ? 'b' : false) });
    try {
      const accepted = waitFor<[WsWebSocket]>(server.wss, 'connection');
      const client = await openOurClient(new WebSocket(server.url, ['a', 'b']));
      const [socket] = await accepted;
      assert.equal(client.protocol, 'b');
      assert.equal(socket.protocol, 'b');
      const closed = ourClose(client);
      client.close();
      await closed;
    } finally {
      await server.close();
    }
  });

  test('a ws server that picks none of the offered subprotocols fails the client handshake, as in browsers', async () => {
    const server = await startWsServer({ handleProtocols: () => false });
    try {
      const client = new WebSocket(server.url, ['a']);
      const error = waitFor<[Error]>(client, 'error');
      const closed = ourClose(client);
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.BadUpgradeResponse);
      assert.deepEqual(await closed, { code: 1006, reason: '', wasClean: false });
    } finally {
      await server.close();
    }
  });

  test('the client sends its path, query, headers, Origin and URL credentials', async () => {
    const server = await startWsServer();
    try {
      const accepted = waitFor<[WsWebSocket, IncomingMessage]>(server.wss, 'connection');
      const client = await openOurClient(
        new WebSocket(`${server.url.replace('ws://', 'ws://ada:l%C3%B8velace@')}/feed?since=7`, {
          headers: { 'X-Trace': 'abc' },
          origin: 'https://app.example',
        }),
      );
      const [, request] = await accepted;
      assert.equal(request.url, '/feed?since=7');
      assert.equal(request.headers['x-trace'], 'abc');
      assert.equal(request.headers.origin, 'https://app.example');
      assert.equal(request.headers.authorization, `Basic ${Buffer.from('ada:løvelace').toString('base64')}`);
      assert.equal(request.headers['sec-websocket-version'], '13');
      const closed = ourClose(client);
      client.close();
      await closed;
    } finally {
      await server.close();
    }
  });

  test('a ws server refusing the handshake fails the client with the status', async () => {
    const server = await startWsServer({
      verifyClient: (_info: unknown, done: (ok: boolean, code?: number, message?: string) => void) =>
        done(false, 403, 'Forbidden'),
    });
    try {
      const client = new WebSocket(server.url);
      const error = waitFor<[Error]>(client, 'error');
      const closed = ourClose(client);
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.BadUpgradeResponse);
      assert.equal(failure.status, 403);
      assert.equal((await closed).code, 1006);
    } finally {
      await server.close();
    }
  });
});

describe('interop handshake: IPv6 loopback', () => {
  test('the Switchboard client reaches a ws server on [::1], and ws reaches a Switchboard server there', async () => {
    const wsServer = new WsServer({ port: 0, host: '::1' });
    await waitFor(wsServer, 'listening');
    wsServer.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })),
    );
    try {
      const client = await openOurClient(new WebSocket(`ws://[::1]:${(wsServer.address() as AddressInfo).port}/`));
      const echoed = nextMessage(client);
      client.send('over IPv6');
      assert.equal((await echoed).data.toString(), 'over IPv6');
      const closed = ourClose(client);
      client.close(1000);
      assert.equal((await closed).code, 1000);
    } finally {
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    }

    const ours = new WebSocketServer({ port: 0, host: '::1' });
    await waitFor(ours, 'listening');
    ours.on('connection', (socket: WebSocket) => socket.on('message', (data: Buffer) => socket.send(data)));
    try {
      const client = await openWsClient(`ws://[::1]:${(ours.address() as AddressInfo).port}/`);
      const echoed = nextMessage(client);
      client.send('back over IPv6');
      assert.equal((await echoed).data.toString(), 'back over IPv6');
      const closed = wsClose(client);
      client.close(1000);
      assert.equal((await closed).code, 1000);
    } finally {
      await new Promise<void>((resolve) => ours.close(() => resolve()));
    }
  });
});
