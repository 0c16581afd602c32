import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { WebSocket as WsWebSocket } from 'ws';
import { computeAcceptKey } from '../../src/protocol/index.js';
import { WebSocket, WebSocketServer } from '../../src/ws/index.js';
import { clientFrame, closePayload, serverFrame } from '../helpers/frames.js';
import { startServer, upgradeRequest, type TestServer } from '../helpers/ws-peers.js';
import { openOurClient, openWsClient, ourClose, startWsServer, wsClose, type CloseOutcome } from './interop-shared.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

// Ordering and the edges of the closing handshake between Switchboard and `ws`: many messages in
// flight both ways, messages sent right before a close, both ends closing at once, many fragments.

/** A pair of connected sockets: one Switchboard, one `ws`, whichever is the server. */
interface Pair {
  readonly ours: WebSocket;
  readonly theirs: WsWebSocket;
}

/** Collects the text of the next `count` messages, in arrival order. */
function collect(socket: NodeJS.EventEmitter, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages arrived`)), 10_000);
    const onMessage = (data: Buffer): void => {
      seen.push(data.toString());
      if (seen.length === count) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(seen);
      }
    };
    socket.on('message', onMessage);
  });
}

const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

/** The same scenarios for both arrangements. */
function scenarios(connect: () => Promise<Pair>): void {
  test('1000 messages each way at once arrive complete and in order', async () => {
    const { ours, theirs } = await connect();
    const toOurs = collect(ours, 1000);
    const toTheirs = collect(theirs, 1000);
    for (let i = 0; i < 1000; i++) {
      ours.send(`from switchboard ${i}`);
      theirs.send(`from ws ${i}`);
    }
    assert.deepEqual(await toTheirs, numbered('from switchboard', 1000));
    assert.deepEqual(await toOurs, numbered('from ws', 1000));
    const closed = ourClose(ours);
    ours.close(1000);
    assert.equal((await closed).code, 1000);
  });

  test('messages sent right before close() all arrive before the close', async () => {
    const { ours, theirs } = await connect();
    const received: string[] = [];
    theirs.on('message', (data: Buffer) => received.push(data.toString()));
    const theirClose = wsClose(theirs);
    for (let i = 0; i < 200; i++) ours.send(`last words ${i}`);
    ours.close(4000, 'bye');
    assert.deepEqual(await theirClose, { code: 4000, reason: 'bye', wasClean: true });
    assert.deepEqual(received, numbered('last words', 200));
  });

  test('messages the peer sends right before its close all arrive before the close', async () => {
    const { ours, theirs } = await connect();
    const received: string[] = [];
    ours.on('message', (data: Buffer) => received.push(data.toString()));
    const ourClosed = ourClose(ours);
    for (let i = 0; i < 200; i++) theirs.send(`their last words ${i}`);
    theirs.close(4001, 'bye');
    assert.deepEqual(await ourClosed, { code: 4001, reason: 'bye', wasClean: true });
    assert.deepEqual(received, numbered('their last words', 200));
  });

  test('when both ends close at once, each reports the code it received, cleanly (RFC 6455 §7.1.5)', async () => {
    const { ours, theirs } = await connect();
    const ourClosed = ourClose(ours);
    const theirClosed = wsClose(theirs);
    ours.close(4002, 'ours');
    theirs.close(4003, 'theirs');
    const [mine, other]: CloseOutcome[] = await Promise.all([ourClosed, theirClosed]);
    assert.deepEqual(mine, { code: 4003, reason: 'theirs', wasClean: true });
    assert.deepEqual(other, { code: 4002, reason: 'ours', wasClean: true });
  });

  test('send after close() reports ERR_NOT_OPEN to its callback and sends nothing', async () => {
    const { ours, theirs } = await connect();
    let received = 0;
    theirs.on('message', () => received++);
    const closed = wsClose(theirs);
    ours.close(1000);
    const error = await new Promise<Error | null | undefined>((resolve) => ours.send('too late', resolve));
    assert.equal((error as { code?: string } | null | undefined)?.code, 'ERR_NOT_OPEN');
    assert.equal((await closed).code, 1000);
    assert.equal(received, 0);
  });

  test('5000 tiny fragments make one message, either way', async () => {
    const { ours, theirs } = await connect();
    const expected = numbered('f', 5000).join('');
    const atTheirs = waitFor<[Buffer, boolean]>(theirs, 'message');
    const pieces = numbered('f', 5000);
    pieces.forEach((piece, i) => ours.send(piece, { fin: i === pieces.length - 1 }));
    const [data, isBinary] = await atTheirs;
    assert.equal(isBinary, false);
    assert.equal(data.toString(), expected);

    const atOurs = waitFor<[Buffer, boolean]>(ours, 'message');
    pieces.forEach((piece, i) => theirs.send(piece, { fin: i === pieces.length - 1 }));
    const [back] = await atOurs;
    assert.equal(back.toString(), expected);
    const closed = ourClose(ours);
    theirs.close();
    assert.equal((await closed).code, 1005);
  });
}

describe('ordering and closing: Switchboard server, ws client', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  scenarios(async () => {
    const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
    const theirs = await openWsClient(server.url);
    const [ours] = await accepted;
    return { ours, theirs };
  });
});

describe('ordering and closing: ws server, Switchboard client', () => {
  let server: Awaited<ReturnType<typeof startWsServer>>;
  before(async () => {
    server = await startWsServer();
  });
  after(() => server.close());

  scenarios(async () => {
    const accepted = waitFor<[WsWebSocket]>(server.wss, 'connection');
    const ours = await openOurClient(new WebSocket(server.url));
    const [theirs] = await accepted;
    return { ours, theirs };
  });
});

describe('many connections at once', () => {
  test('200 ws clients each get their own echoes, in order, from one Switchboard server', async () => {
    const server = await startServer();
    server.wss.on('connection', (socket: WebSocket) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
    });
    try {
      const clients = await Promise.all(Array.from({ length: 200 }, () => openWsClient(server.url)));
      assert.equal(server.wss.clients.size, 200);
      await Promise.all(
        clients.map(async (client, c) => {
          const echoes = collect(client, 10);
          for (let i = 0; i < 10; i++) client.send(`client ${c} message ${i}`);
          assert.deepEqual(await echoes, numbered(`client ${c} message`, 10));
        }),
      );
      const closes = clients.map((client) => wsClose(client));
      // Half the clients leave; the others must not notice.
      clients.slice(0, 100).forEach((client) => client.close(1000));
      for (const outcome of await Promise.all(closes.slice(0, 100)))
        assert.deepEqual(outcome, { code: 1000, reason: '', wasClean: true });
      const survivor = clients[150]!;
      const echo = collect(survivor, 1);
      survivor.send('still here');
      assert.deepEqual(await echo, ['still here']);
      clients.slice(100).forEach((client) => client.close(1001));
      for (const outcome of await Promise.all(closes.slice(100))) assert.equal(outcome.code, 1001);
    } finally {
      await server.close();
    }
  });
});

describe('frames that arrive in the same packet as the handshake', () => {
  test('the server reads frames sent together with the upgrade request', async () => {
    const server = await startServer();
    try {
      // Listeners added in the 'connection' handler see the frames that came with the request.
      const messages = withTimeout(
        new Promise<string[]>((resolve) =>
          server.wss.once('connection', (ours: WebSocket) => resolve(collect(ours, 2))),
        ),
        'the first two messages',
      );
      const socket = net.connect(server.port, '127.0.0.1');
      await waitFor(socket, 'connect');
      socket.on('error', () => undefined);
      socket.write(
        Buffer.concat([
          Buffer.from(upgradeRequest('/')),
          clientFrame(0x1, 'early'),
          clientFrame(0x2, Uint8Array.of(1, 2)),
        ]),
      );
      try {
        assert.deepEqual(await messages, ['early', '\u0001\u0002']);
      } finally {
        socket.destroy();
      }
    } finally {
      await server.close();
    }
  });

  test('a server attached to an http.Server reads frames sent together with the upgrade request', async () => {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer });
    httpServer.listen(0, '127.0.0.1');
    await waitFor(httpServer, 'listening');
    const messages = withTimeout(
      new Promise<string[]>((resolve) => wss.once('connection', (ours: WebSocket) => resolve(collect(ours, 2)))),
      'the first two messages',
    );
    const socket = net.connect((httpServer.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    try {
      await waitFor(socket, 'connect');
      socket.write(
        Buffer.concat([Buffer.from(upgradeRequest('/')), clientFrame(0x1, 'early'), clientFrame(0x1, 'and again')]),
      );
      assert.deepEqual(await messages, ['early', 'and again']);
    } finally {
      socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });

  test('the client reads frames sent together with the 101 response', async () => {
    const tcp = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', (request: Buffer) => {
        const key = /sec-websocket-key: *(\S+)/i.exec(request.toString('latin1'))?.[1] ?? '';
        const response =
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`;
        socket.end(
          Buffer.concat([
            Buffer.from(response),
            serverFrame(0x1, 'early'),
            serverFrame(0x8, closePayload(4000, 'done')),
          ]),
        );
      });
    });
    tcp.listen(0, '127.0.0.1');
    await waitFor(tcp, 'listening');
    try {
      const client = new WebSocket(`ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, {
        perMessageDeflate: false,
      });
      const events: string[] = [];
      client.on('open', () => events.push('open'));
      client.on('message', (data: Buffer) => events.push(`message ${data.toString()}`));
      const closed = ourClose(client);
      assert.deepEqual(await closed, { code: 4000, reason: 'done', wasClean: true });
      // As in browsers, nothing is delivered before 'open'.
      assert.deepEqual(events, ['open', 'message early']);
    } finally {
      tcp.close();
    }
  });
});
