import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { io as connect } from 'socket.io-client';
import { EngineServer } from '../../src/engine/index.js';
import { Server, type Namespace, type Socket } from '../../src/server/index.js';
import { TRANSPORT_MODES, startServer, type TransportMode } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

for (const mode of Object.keys(TRANSPORT_MODES) as TransportMode[]) {
  describe(`connection over ${mode}`, () => {
    test('connects to the main namespace; the handshake describes the request', async () => {
      const h = await startServer({}, mode);
      try {
        const serverSocket = waitFor<[Socket]>(h.io, 'connection');
        const client = h.client('/', {
          auth: { token: 'abc' },
          query: { room: 'lobby' },
          extraHeaders: { 'x-test': '1' },
        });
        await waitFor(client, 'connect');
        const [socket] = await serverSocket;
        assert.equal(client.id, socket.id);
        assert.equal(socket.connected, true);
        assert.equal(socket.recovered, false);
        assert.deepEqual(socket.handshake.auth, { token: 'abc' });
        assert.equal(socket.handshake.query.room, 'lobby');
        assert.equal(socket.handshake.query.EIO, '4');
        assert.equal(socket.handshake.address, '127.0.0.1');
        assert.equal(socket.handshake.secure, false);
        assert.equal(socket.handshake.xdomain, false);
        assert.ok(socket.handshake.url.startsWith('/socket.io/?'));
        assert.ok(socket.handshake.issued <= Date.now());
        if (mode !== 'websocket') assert.equal(socket.handshake.headers['x-test'], '1');
        assert.deepEqual([...socket.rooms], [socket.id]);
        assert.equal(h.io.sockets.sockets.get(socket.id), socket);
        assert.equal(h.io.engine.clientsCount, 1);
        if (mode === 'upgrade' && socket.conn.transportName === 'polling') {
          const [transport] = await waitFor<[{ name: string }]>(socket.conn, 'upgrade');
          assert.equal(transport.name, 'websocket');
        }
        assert.equal(socket.conn.transportName, mode === 'polling' ? 'polling' : 'websocket');
        assert.equal(socket.conn.transport.name, socket.conn.transportName);
      } finally {
        await h.close();
      }
    });

    test('static namespaces share one connection, each with its own socket and listeners', async () => {
      const h = await startServer({}, mode);
      try {
        const seen: string[] = [];
        h.io.of('/chat').on('connection', (socket: Socket) => seen.push(`chat ${socket.nsp.name}`));
        h.io.of('news').on('connection', (socket: Socket) => seen.push(`news ${socket.nsp.name}`));
        const main = h.client('/');
        await waitFor(main, 'connect');
        const chat = h.io.of('/chat');
        const chatClient = main.io.socket('/chat');
        const newsClient = main.io.socket('/news');
        await Promise.all([waitFor(chatClient, 'connect'), waitFor(newsClient, 'connect')]);
        assert.deepEqual(seen.sort(), ['chat /chat', 'news /news']);
        assert.equal(chat.sockets.size, 1);
        assert.equal(h.io.engine.clientsCount, 1);
        chatClient.disconnect();
        newsClient.disconnect();
      } finally {
        await h.close();
      }
    });

    test('a middleware rejection reaches the client as connect_error with message and data', async () => {
      const h = await startServer({}, mode);
      try {
        h.io.of('/private').use((socket, next) => {
          if (socket.handshake.auth.token === 'good') return next();
          const err = new Error('not authorized') as Error & { data?: unknown };
          err.data = { reason: 'token', retry: false };
          next(err);
        });
        const bad = h.client('/private', { auth: { token: 'bad' } });
        const [err] = await waitFor<[Error & { data?: unknown }]>(bad, 'connect_error');
        assert.equal(err.message, 'not authorized');
        assert.deepEqual(err.data, { reason: 'token', retry: false });
        assert.equal(h.io.of('/private').sockets.size, 0);
        const good = h.client('/private', { auth: { token: 'good' } });
        await waitFor(good, 'connect');
        assert.equal(h.io.of('/private').sockets.size, 1);
      } finally {
        await h.close();
      }
    });
  });
}

describe('namespaces', () => {
  test('an unknown namespace is refused with "Invalid namespace", the connection stays usable', async () => {
    const h = await startServer();
    try {
      // No annotation: the listener's socket is typed by Server#on.
      h.io.on('connection', (socket) => socket.on('ping', (ack: (v: string) => void) => ack('pong')));
      const main = h.client('/');
      await waitFor(main, 'connect');
      const nope = main.io.socket('/nope');
      const [err] = await waitFor<[Error]>(nope, 'connect_error');
      assert.equal(err.message, 'Invalid namespace');
      assert.equal(main.connected, true);
      assert.equal(await main.timeout(1000).emitWithAck('ping'), 'pong');
    } finally {
      await h.close();
    }
  });

  test('dynamic namespaces from a RegExp and from a function, with parent middlewares and broadcasts', async () => {
    const h = await startServer();
    try {
      const created: string[] = [];
      h.io.on('new_namespace', (nsp: Namespace) => created.push(nsp.name));
      const teams = h.io.of(/^\/team-\d+$/);
      const order: string[] = [];
      teams.use((socket, next) => {
        order.push(`parent ${socket.nsp.name}`);
        next();
      });
      teams.on('connection', (socket: Socket) => socket.emit('hello', socket.nsp.name));
      const byFunction = h.io.of((name, auth, next) =>
        next(null, name.startsWith('/user-') && auth.user === name.slice(6)),
      );
      byFunction.on('connection', (socket: Socket) => socket.emit('hello', socket.nsp.name));

      const one = h.client('/team-1');
      const two = h.client('/team-2');
      const [hello1] = await waitFor<[string]>(one, 'hello');
      const [hello2] = await waitFor<[string]>(two, 'hello');
      assert.equal(hello1, '/team-1');
      assert.equal(hello2, '/team-2');
      assert.deepEqual(order.sort(), ['parent /team-1', 'parent /team-2']);
      assert.deepEqual(created.sort(), ['/team-1', '/team-2']);

      const both = Promise.all([waitFor<[string]>(one, 'all'), waitFor<[string]>(two, 'all')]);
      teams.emit('all', 'teams');
      assert.deepEqual(await both, [['teams'], ['teams']]);
      assert.equal((await teams.fetchSockets()).length, 2);

      const alice = h.client('/user-alice', { auth: { user: 'alice' } });
      assert.deepEqual(await waitFor(alice, 'hello'), ['/user-alice']);
      const mallory = h.client('/user-bob', { auth: { user: 'mallory' } });
      const [err] = await waitFor<[Error]>(mallory, 'connect_error');
      assert.equal(err.message, 'Invalid namespace');
      assert.equal(h.io.of('/team-1'), [...(teams as unknown as { children: Set<Namespace> }).children][0]);
    } finally {
      await h.close();
    }
  });

  test('cleanupEmptyChildNamespaces drops a child namespace when its last socket leaves', async () => {
    const h = await startServer({ cleanupEmptyChildNamespaces: true });
    try {
      const parent = h.io.of(/^\/room-\w+$/);
      const client = h.client('/room-a');
      await waitFor(client, 'connect');
      const child = h.io.of('/room-a');
      assert.equal(child.sockets.size, 1);
      const gone = waitFor(child.sockets.values().next().value as Socket, 'disconnect');
      client.disconnect();
      await gone;
      assert.equal((parent as unknown as { children: Set<Namespace> }).children.size, 0);
      assert.notEqual(h.io.of('/room-a'), child, 'a new child is created on demand');
    } finally {
      await h.close();
    }
  });
});

describe('connection limits and options', () => {
  test('a client that never joins a namespace is closed after connectTimeout', async () => {
    const h = await startServer({ connectTimeout: 100 });
    try {
      const client = h.client('/', { autoConnect: false });
      client.io.open();
      await waitFor(client.io, 'open');
      const [reason] = await waitFor<[string]>(client.io, 'close', 2000);
      assert.equal(reason, 'transport close');
      assert.equal(h.io.engine.clientsCount, 0);
    } finally {
      await h.close();
    }
  });

  test('a client that joins in time is not affected by connectTimeout', async () => {
    const h = await startServer({ connectTimeout: 100 });
    try {
      const client = h.client('/');
      await waitFor(client, 'connect');
      await sleep(200);
      assert.equal(client.connected, true);
    } finally {
      await h.close();
    }
  });

  test('a custom path is served instead of the default one', async () => {
    const h = await startServer({ path: '/rt' });
    try {
      const client = h.client('/', { path: '/rt/' });
      await waitFor(client, 'connect');
      assert.equal(h.io.path(), '/rt');
      const wrongPath = h.client('/');
      const [err] = await waitFor<[Error]>(wrongPath, 'connect_error');
      assert.ok(err.message.length > 0);
    } finally {
      await h.close();
    }
  });

  test('engine options pass through: maxHttpBufferSize ends a client whose message is too big', async () => {
    const h = await startServer({ maxHttpBufferSize: 1000 });
    try {
      const serverSide = waitFor<[Socket]>(h.io, 'connection');
      const client = h.client('/');
      await waitFor(client, 'connect');
      const [socket] = await serverSide;
      const small = waitFor(socket, 'data');
      client.emit('data', 'x'.repeat(500));
      await small;
      const gone = waitFor<[string]>(socket, 'disconnect');
      client.emit('data', 'x'.repeat(5000));
      const [reason] = await gone;
      assert.equal(reason, 'transport error');
      assert.equal(h.io.engine.options.maxHttpBufferSize, 1000);
      assert.equal(h.io.engine.options.pingInterval, 2000);
    } finally {
      await h.close();
    }
  });

  test('allowRequest passes through: a refused handshake is a connect_error, no socket is created', async () => {
    const h = await startServer({
      allowRequest: (req, callback) => callback(null, !String(req.url).includes('blocked=1')),
    });
    try {
      const refused = h.client('/', { query: { blocked: '1' } });
      await waitFor(refused, 'connect_error');
      const allowed = h.client('/');
      await waitFor(allowed, 'connect');
      assert.equal(h.io.sockets.sockets.size, 1);
    } finally {
      await h.close();
    }
  });

  test('bind() runs on an Engine.IO server set up by hand', async () => {
    const http = createServer();
    const engine = new EngineServer({ path: '/socket.io/' });
    engine.attach(http);
    const io = new Server().bind(engine);
    io.on('connection', (socket) => socket.emit('bound', socket.nsp.name));
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    const address = http.address() as { port: number };
    const client = connect(`http://127.0.0.1:${address.port}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      assert.deepEqual(await waitFor(client, 'bound'), ['/']);
      assert.equal(io.engine, engine);
    } finally {
      client.disconnect();
      await io.close();
      http.close();
    }
  });

  test('contradictory or impossible options throw a TypeError', () => {
    assert.throws(() => new Server({ connectTimeout: -1 }), TypeError);
    assert.throws(() => new Server({ maxNestingDepth: 0 }), TypeError);
    assert.throws(() => new Server({ maxNamespaceLength: 0 }), TypeError);
    assert.throws(() => new Server({ maxNamespaceLength: 2.5 }), TypeError);
    assert.throws(() => new Server({ serveClient: 'no' as unknown as boolean }), TypeError);
    assert.throws(() => new Server({ connectionStateRecovery: { maxDisconnectionDuration: 1.5 } }), TypeError);
  });
});
