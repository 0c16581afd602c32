import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  WebSocket,
  WebSocketServer,
  allowOrigins,
  basicAuth,
  bearerToken,
  type WebSocketOptions,
} from '../../src/ws/index.js';
import { clientFrame, frameHeader } from '../helpers/frames.js';
import { RawClient, startServer, upgradeRequest } from '../helpers/ws-peers.js';
import { until, waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

function echo(server: WebSocketServer): void {
  server.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
  );
}

/** An http server listening on an ephemeral loopback port. */
async function listeningHttpServer(): Promise<http.Server> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return server;
}

async function openClient(url: string, options?: WebSocketOptions): Promise<WebSocket> {
  const client = new WebSocket(url, [], options);
  await waitFor(client, 'open');
  return client;
}

describe('WebSocketServer handshake (RFC 6455 §4.2)', () => {
  it('answers a valid request with 101 and the accept key of §1.3', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const raw = await RawClient.open(server.port);
        assert.equal(raw.status, 101);
        assert.match(raw.response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
        raw.destroy();
      },
    );
  });

  it('refuses a version other than 13 (and the draft 8) with 426 and the version it speaks', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const raw = await RawClient.connect(server.port, upgradeRequest('/').replace('Version: 13', 'Version: 7'));
        assert.equal(raw.status, 426);
        assert.match(raw.response, /\r\nSec-WebSocket-Version: 13\r\n/);
        await raw.waitForEnd();
      },
    );
  });

  it('refuses a request without a key with 400', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const raw = await RawClient.connect(
          server.port,
          upgradeRequest('/').replace(/Sec-WebSocket-Key: [^\r]+\r\n/, ''),
        );
        assert.equal(raw.status, 400);
        await raw.waitForEnd();
      },
    );
  });

  it('answers plain HTTP requests to its own port with 426', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const response = await fetch(`http://127.0.0.1:${server.port}/`);
        assert.equal(response.status, 426);
        assert.equal(response.headers.get('sec-websocket-version'), '13');
        await response.text();
      },
    );
  });

  it('accepts only its path, ignoring the query string', async () => {
    await withServer(
      () => startServer({ path: '/chat' }),
      async (server) => {
        const wrong = await RawClient.open(server.port, '/other');
        assert.equal(wrong.status, 400);
        const right = await RawClient.open(server.port, '/chat?room=1');
        assert.equal(right.status, 101);
        right.destroy();
      },
    );
  });

  it('chooses the first offered subprotocol by default, or what handleProtocols says', async () => {
    await withServer(
      () => startServer(),
      async (byDefault) => {
        const client = await openClient(`${byDefault.url}/`, undefined);
        assert.equal(client.protocol, '');
        client.close();
        const offered = new WebSocket(byDefault.url, ['chat.v2', 'chat.v1']);
        await waitFor(offered, 'open');
        assert.equal(offered.protocol, 'chat.v2');
        offered.close();
      },
    );

    const chooses = (protocols: Set<string>): string | false => (protocols.has('chat.v1') ? 'chat.v1' : false);
    await withServer(
      () => startServer({ handleProtocols: chooses }),
      async (chooser) => {
        const picked = new WebSocket(chooser.url, ['chat.v2', 'chat.v1']);
        await waitFor(picked, 'open');
        assert.equal(picked.protocol, 'chat.v1');
        picked.close();
        const refused = new WebSocket(chooser.url, ['other']);
        // A client that offered subprotocols and got none back fails, as browsers do.
        const [code] = await waitFor<[number]>(refused, 'close');
        assert.equal(code, 1006);
      },
    );
  });

  it('lets "headers" listeners add response headers', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        server.wss.on('headers', (headers) => {
          headers.push('Set-Cookie: session=abc');
        });
        const raw = await RawClient.open(server.port);
        assert.match(raw.response, /\r\nSet-Cookie: session=abc\r\n/);
        raw.destroy();
      },
    );
  });

  it('works beside other servers on one http server, each with its path', async () => {
    await withServer(listeningHttpServer, async (httpServer) => {
      const chat = new WebSocketServer({ server: httpServer, path: '/chat' });
      const feed = new WebSocketServer({ server: httpServer, path: '/feed' });
      chat.on('connection', (socket) => socket.send('chat'));
      feed.on('connection', (socket) => socket.send('feed'));
      const port = (httpServer.address() as AddressInfo).port;
      for (const path of ['chat', 'feed']) {
        const client = new WebSocket(`ws://127.0.0.1:${port}/${path}`);
        const [data] = await waitFor<[Buffer]>(client, 'message');
        assert.equal(data.toString(), path);
        client.close();
        await waitFor(client, 'close');
      }
      await new Promise((resolve) => chat.close(resolve));
      await new Promise((resolve) => feed.close(resolve));
    });
  });

  it('hands upgrades over in noServer mode', async () => {
    await withServer(listeningHttpServer, (httpServer) =>
      withServer(
        () => new WebSocketServer({ noServer: true }),
        async (wss) => {
          echo(wss);
          httpServer.on('upgrade', (request, socket, head) => {
            wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
          });
          const client = await openClient(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`);
          client.send('ping?');
          const [data] = await waitFor<[Buffer]>(client, 'message');
          assert.equal(data.toString(), 'ping?');
          client.close();
        },
      ),
    );
  });
});

describe('WebSocketServer authentication', () => {
  it('refuses with the status the hook returns and accepts what it accepts', async () => {
    await withServer(
      () => startServer({ authenticate: basicAuth((user, password) => user === 'ada' && password === 'lovelace') }),
      async (server) => {
        const anonymous = await RawClient.open(server.port);
        assert.equal(anonymous.status, 401);
        assert.match(anonymous.response, /WWW-Authenticate: Basic realm=/);
        // Credentials in the URL are sent as Basic authentication, as browsers do.
        const client = await openClient(`ws://ada:lovelace@127.0.0.1:${server.port}/`);
        assert.equal(client.readyState, WebSocket.OPEN);
        client.close();
        const wrong = new WebSocket(`ws://ada:babbage@127.0.0.1:${server.port}/`);
        const [error] = await waitFor<[Error]>(wrong, 'error');
        assert.match(error.message, /401/);
      },
    );
  });

  it('checks Origin against an allow-list', async () => {
    await withServer(
      () => startServer({ authenticate: allowOrigins(['https://app.example', /^https:\/\/.*\.example\.org$/]) }),
      async (server) => {
        const denied = await RawClient.open(server.port, '/', 'Origin: https://evil.example\r\n');
        assert.equal(denied.status, 403);
        const allowed = await RawClient.open(server.port, '/', 'Origin: https://eu.example.org\r\n');
        assert.equal(allowed.status, 101);
        allowed.destroy();
      },
    );
  });

  it('takes a bearer token from the header or a query parameter', async () => {
    await withServer(
      () => startServer({ authenticate: bearerToken((token) => token === 's3cret', { queryParameter: 'token' }) }),
      async (server) => {
        assert.equal((await RawClient.open(server.port, '/', 'Authorization: Bearer nope\r\n')).status, 401);
        const header = await RawClient.open(server.port, '/', 'Authorization: Bearer s3cret\r\n');
        assert.equal(header.status, 101);
        header.destroy();
        const query = await RawClient.open(server.port, '/?token=s3cret');
        assert.equal(query.status, 101);
        query.destroy();
      },
    );
  });

  it('answers 408 when the hook outlasts handshakeTimeout, and 500 when it throws', async () => {
    await withServer(
      () =>
        startServer({
          handshakeTimeout: 50,
          authenticate: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1000)),
        }),
      async (slow) => assert.equal((await RawClient.open(slow.port)).status, 408),
    );
    const broken = (): never => {
      throw new Error('database down');
    };
    await withServer(
      () => startServer({ authenticate: broken }),
      async (server) => assert.equal((await RawClient.open(server.port)).status, 500),
    );
  });
});

describe('WebSocketServer limits', () => {
  it('answers 503 past maxConnections and accepts again once a connection closes', async () => {
    await withServer(
      () => startServer({ maxConnections: 1 }),
      async (server) => {
        const first = await openClient(server.url);
        const second = await RawClient.open(server.port);
        assert.equal(second.status, 503);
        first.close();
        await waitFor(first, 'close');
        const third = await RawClient.open(server.port);
        assert.equal(third.status, 101);
        third.destroy();
      },
    );
  });

  it('fails a message over maxPayload with 1009 from its header alone', async () => {
    await withServer(
      () => startServer({ maxPayload: 1024 }),
      async (server) => {
        const raw = await RawClient.open(server.port);
        raw.write(frameHeader(0x2, 1025, { mask: true }));
        assert.equal(await raw.readCloseCode(), 1009);
        await raw.waitForEnd();
      },
    );
  });

  it('fails a bad peer with the right code and leaves other connections alone', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        echo(server.wss);
        const bystander = await openClient(server.url);
        const cases: [Buffer, number][] = [
          [Buffer.from(frameHeader(0x1, 0)), 1002], // unmasked client frame
          [clientFrame(0x3, 'x'), 1002], // reserved opcode
          [clientFrame(0x1, Uint8Array.of(0xc0, 0x80)), 1007], // overlong UTF-8
          [clientFrame(0x9, 'x', { fin: false }), 1002], // fragmented ping
        ];
        for (const [bytes, code] of cases) {
          const raw = await RawClient.open(server.port);
          raw.write(bytes);
          assert.equal(await raw.readCloseCode(), code);
          await raw.waitForEnd();
        }
        bystander.send('still here');
        const [data] = await waitFor<[Buffer]>(bystander, 'message');
        assert.equal(data.toString(), 'still here');
        bystander.close();
      },
    );
  });

  it('terminates connections that stay silent through a heartbeat interval', async () => {
    await withServer(
      () => startServer({ heartbeatInterval: 40 }),
      async (server) => {
        const live = await openClient(server.url);
        const silent = await RawClient.open(server.port);
        // The raw client never answers pings: the server pings it once, then terminates it.
        const ping = await silent.readFrame();
        assert.equal(ping?.opcode, 0x9);
        await silent.waitForEnd(2000);
        // Our client answers pings on its own and stays connected.
        assert.equal(live.readyState, WebSocket.OPEN);
        assert.equal(server.wss.clients.size, 1);
        live.close();
      },
    );
  });

  it('closes a slow reader with 1013 under the close policy, and drops under the drop policy', async () => {
    const big = Buffer.alloc(256 * 1024);
    await withServer(
      () => startServer({ highWaterMark: 64 * 1024, backpressure: 'close' }),
      async (closing) => {
        const [accepted] = await Promise.all([
          waitFor<[WebSocket]>(closing.wss, 'connection'),
          RawClient.open(closing.port),
        ]).then(([[socket], raw]) => [socket, raw] as const);
        const errors: string[] = [];
        for (let i = 0; i < 64 && accepted.readyState === WebSocket.OPEN; i++) {
          accepted.send(big, (error) => error && errors.push((error as { code?: string }).code ?? ''));
        }
        assert.equal(accepted.readyState, WebSocket.CLOSING);
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(errors.includes('ERR_BACKPRESSURE'));
        accepted.terminate();
      },
    );

    await withServer(
      () => startServer({ highWaterMark: 64 * 1024, backpressure: 'drop' }),
      async (dropping) => {
        const [[socket]] = await Promise.all([
          waitFor<[WebSocket]>(dropping.wss, 'connection'),
          RawClient.open(dropping.port),
        ]);
        const dropped: unknown[] = [];
        for (let i = 0; i < 64; i++) socket.send(big, (error) => error && dropped.push(error));
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(dropped.length > 0);
        assert.equal(socket.readyState, WebSocket.OPEN);
        socket.terminate();
      },
    );
  });
});

describe('WebSocketServer broadcast and shutdown', () => {
  it('broadcasts one encoded frame to every client but the excluded one', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const clients = await Promise.all([0, 1, 2].map(() => openClient(server.url)));
        await until(() => server.wss.clients.size === 3, 3000, 'the server to count three clients');
        const [excluded] = [...server.wss.clients];
        const received = clients.map(() => [] as string[]);
        clients.forEach((client, i) => client.on('message', (data: Buffer) => received[i]!.push(data.toString())));
        assert.equal(server.wss.broadcast('news', { except: excluded! }), 2);
        server.wss.broadcast('all');
        // Every client gets "all"; by then a client that was sent "news" has it too, since order is kept.
        for (const client of clients)
          while (!received[clients.indexOf(client)]!.includes('all')) await waitFor(client, 'message');
        assert.deepEqual(received.map((messages) => messages.join(',')).sort(), ['all', 'news,all', 'news,all']);
        for (const client of clients) client.close();
      },
    );
  });

  it('closes every connection with 1001 on close() and then calls back', async () => {
    await withServer(
      () => startServer(),
      async (server) => {
        const clients = await Promise.all([0, 1].map(() => openClient(server.url)));
        const closes = clients.map((client) => waitFor<[number]>(client, 'close'));
        await server.close();
        for (const [code] of await Promise.all(closes)) assert.equal(code, 1001);
        assert.equal(server.wss.clients.size, 0);
      },
    );
  });

  it('destroys a connection whose peer never answers the close frame, after closeTimeout', async () => {
    await withServer(
      () => startServer({ closeTimeout: 50 }),
      async (server) => {
        const [[socket], raw] = await Promise.all([
          waitFor<[WebSocket]>(server.wss, 'connection'),
          RawClient.open(server.port),
        ]);
        const closed = waitFor<[number]>(socket, 'close');
        socket.close(1000);
        assert.equal(await raw.readCloseCode(), 1000);
        const [code] = await closed;
        // No close frame came back, so the connection's close code is 1006 (RFC 6455 §7.1.5).
        assert.equal(code, 1006);
        await raw.waitForEnd();
      },
    );
  });
});

describe('WebSocketServer own listener (request heads read without Node’s HTTP server)', () => {
  it('answers 431 to an oversized head and 408 to one that never ends', async () => {
    await withServer(
      () => startServer({ maxHeaderSize: 256, handshakeTimeout: 100 }),
      async (server) => {
        const big = await RawClient.connect(server.port, upgradeRequest('/', `X-Big: ${'a'.repeat(300)}\r\n`));
        assert.equal(big.status, 431);
        const slow = await RawClient.connect(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
        assert.equal(slow.status, 408);
      },
    );
  });

  it('keeps frames that arrive with the head, even while authenticate runs', async () => {
    await withServer(
      () => startServer({ authenticate: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)) }),
      async (server) => {
        const message = waitFor<[WebSocket]>(server.wss, 'connection').then(([socket]) =>
          waitFor<[Buffer]>(socket, 'message'),
        );
        const raw = await RawClient.connect(
          server.port,
          upgradeRequest('/') + clientFrame(0x1, 'early').toString('latin1'),
        );
        assert.equal(raw.status, 101);
        assert.equal((await message)[0].toString(), 'early');
        raw.destroy();
      },
    );
  });

  it('passes the request with Node’s header conventions to authenticate and connection listeners', async () => {
    let seen: http.IncomingHttpHeaders | undefined;
    const authenticate = (request: http.IncomingMessage): boolean => {
      seen = request.headers;
      return true;
    };
    await withServer(
      () => startServer({ authenticate }),
      async (server) => {
        const raw = await RawClient.open(
          server.port,
          '/path?x=1',
          'Cookie: a=1\r\nCookie: b=2\r\nX-Multi: one\r\nX-Multi: two\r\n',
        );
        assert.equal(raw.status, 101);
        assert.equal(seen?.cookie, 'a=1; b=2');
        assert.equal(seen?.['x-multi'], 'one, two');
        assert.equal(seen?.upgrade, 'websocket');
        raw.destroy();
      },
    );
  });
});
