/**
 * The official server's API where ours used to differ: `new Server(port)` answering 404 to other
 * paths, listening again after `close()`, `path()` and `serveClient()` as methods, `allSockets()`,
 * `emitWithAck()` rejecting with the answers that did arrive, and every option name checked.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Server, type ServerOptions } from '../../src/server/index.js';
import { io as connect } from 'socket.io-client';
import { startServer } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

function portOf(io: Server): number {
  return (io.httpServer!.address() as AddressInfo).port;
}

describe('a server created for a port', () => {
  test('answers 404 to every other path, at once', async () => {
    const io = new Server(0);
    try {
      await waitFor(io.httpServer!, 'listening');
      const response = await fetch(`http://127.0.0.1:${portOf(io)}/elsewhere`, { signal: AbortSignal.timeout(3000) });
      assert.equal(response.status, 404);
      const engine = await fetch(`http://127.0.0.1:${portOf(io)}/socket.io/?EIO=4&transport=polling`, {
        signal: AbortSignal.timeout(3000),
      });
      assert.equal(engine.status, 200);
      await engine.text();
    } finally {
      await io.close();
    }
  });

  test('listens again after close(), on a new port or the same server', async () => {
    const io = new Server(0);
    io.on('connection', (socket) => socket.emit('hello', 'again'));
    try {
      await waitFor(io.httpServer!, 'listening');
      await io.close();
      io.listen(0);
      await waitFor(io.httpServer!, 'listening');
      const client = connect(`http://127.0.0.1:${portOf(io)}`, {
        forceNew: true,
        reconnection: false,
        transports: ['websocket'],
      });
      try {
        assert.deepEqual(await waitFor(client, 'hello'), ['again']);
      } finally {
        client.disconnect();
      }
      assert.throws(() => io.listen(0), /already attached/);
    } finally {
      await io.close();
    }
  });
});

describe('path() and serveClient()', () => {
  test('path() reads and, before attaching, sets the path, without its trailing slash as the official server', async () => {
    const io = new Server({ path: '/rt/' });
    assert.equal(io.path(), '/rt');
    assert.equal(io.path('/live'), io);
    io.listen(0);
    try {
      await waitFor(io.httpServer!, 'listening');
      assert.throws(() => io.path('/other'), /set the path before attach/);
      const response = await fetch(`http://127.0.0.1:${portOf(io)}/live/?EIO=4&transport=polling`, {
        signal: AbortSignal.timeout(3000),
      });
      assert.equal(response.status, 200);
      await response.text();
    } finally {
      await io.close();
    }
    assert.equal(new Server().path(), '/socket.io');
  });

  test('serveClient() reads and sets whether the client bundle is served (see client-bundle.test.ts)', () => {
    const io = new Server();
    assert.equal(io.serveClient(), true, 'the client bundle is built before the tests');
    assert.equal(io.serveClient(false), io);
    assert.equal(io.serveClient(), false);
    assert.equal(io.serveClient(true).serveClient(), true);
    assert.equal(new Server({ serveClient: false }).serveClient(), false);
  });
});

describe('allSockets()', () => {
  test('on the server, a namespace and a broadcast operator', async () => {
    const h = await startServer();
    try {
      const joined = waitFor(h.io, 'connection');
      const a = h.client('/');
      await waitFor(a, 'connect');
      const [socket] = (await joined) as [{ id: string; join(room: string): void }];
      socket.join('red');
      const b = h.client('/');
      await waitFor(b, 'connect');
      assert.equal((await h.io.allSockets()).size, 2);
      assert.equal((await h.io.of('/').allSockets()).size, 2);
      assert.deepEqual([...(await h.io.in('red').allSockets())], [socket.id]);
    } finally {
      await h.close();
    }
  });
});

describe('emitWithAck() on a broadcast that times out', () => {
  test('rejects with err.responses holding the answers that did arrive; the callback form gets them too', async () => {
    const h = await startServer();
    try {
      const talker = h.client('/');
      const silent = h.client('/');
      talker.on('ping?', (ack: (answer: string) => void) => ack('pong'));
      silent.on('ping?', () => {});
      await Promise.all([waitFor(talker, 'connect'), waitFor(silent, 'connect')]);
      await assert.rejects(h.io.timeout(200).emitWithAck('ping?'), (err: Error & { responses: unknown[] }) => {
        assert.equal(err.message, 'operation has timed out');
        assert.deepEqual(err.responses, ['pong']);
        return true;
      });
      const [err, responses] = await new Promise<[Error | null, unknown[]]>((resolve) => {
        h.io.timeout(200).emit('ping?', (error: Error | null, answers: unknown[]) => resolve([error, answers]));
      });
      assert.equal(err?.message, 'operation has timed out');
      assert.deepEqual(responses, ['pong']);
    } finally {
      await h.close();
    }
  });
});

describe('options checked by name', () => {
  test('options of the official servers that are not supported are refused, saying what to use', () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ parser: {} }, /^parser: custom Socket\.IO parsers/],
      [{ wsEngine: class {} }, /^wsEngine: .*cannot be swapped/],
      [{ initialPacket: 'hi' }, /^initialPacket: not supported/],
      [{ allowEIO3: true }, /^allowEIO3:/],
      [{ transports: ['webtransport'] }, /WebTransport is not supported/],
      [{ cookie: { encode: String } }, /^cookie\.encode: not supported/],
      [{ httpCompression: { memLevel: 9 } }, /^httpCompression\.memLevel: not supported/],
    ];
    for (const [options, message] of refused) {
      assert.throws(
        () => new Server(options as ServerOptions),
        (err: Error) => err instanceof TypeError && message.test(err.message),
        JSON.stringify(Object.keys(options)),
      );
    }
  });

  test('a misspelt option is refused with its name', () => {
    assert.throws(
      () => new Server({ pingIntervall: 1000 } as ServerOptions),
      /^TypeError: pingIntervall: unknown Server option/,
    );
    assert.throws(() => new Server({ conectTimeout: 1000 } as ServerOptions), /conectTimeout: unknown Server option/);
  });

  test('attach options, httpCompression: true and the cookie package forms are accepted', async () => {
    const io = new Server({
      destroyUpgrade: false,
      destroyUpgradeTimeout: 500,
      addTrailingSlash: true,
      httpCompression: true,
      cookie: {
        name: 'sticky',
        sameSite: true,
        priority: 'high',
        partitioned: true,
        secure: true,
        expires: new Date(Date.UTC(2030, 0, 1)),
      },
    });
    io.listen(0);
    try {
      await waitFor(io.httpServer!, 'listening');
      const response = await fetch(`http://127.0.0.1:${portOf(io)}/socket.io/?EIO=4&transport=polling`, {
        signal: AbortSignal.timeout(3000),
      });
      await response.text();
      assert.match(
        response.headers.get('set-cookie') ?? '',
        /^sticky=[^;]+; Path=\/; Expires=Tue, 01 Jan 2030 00:00:00 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Strict$/,
      );
    } finally {
      await io.close();
    }
  });
});
