import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { ACK_TIMEOUT_MESSAGE, type Socket } from '../../src/server/index.js';
import { TRANSPORT_MODES, startServer, type Harness, type TransportMode } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface Peer {
  name: string;
  client: ClientSocket;
  socket: Socket;
  got: string[];
}

/** Connects `names.length` clients; each records the `news` events it receives. */
async function peers(h: Harness, names: string[]): Promise<Peer[]> {
  const out: Peer[] = [];
  for (const name of names) {
    const serverSide = waitFor<[Socket]>(h.io, 'connection');
    const client = h.client('/', { auth: { name } });
    await waitFor(client, 'connect');
    const [socket] = await serverSide;
    const got: string[] = [];
    client.on('news', (text: string) => got.push(text));
    out.push({ name, client, socket, got });
  }
  return out;
}

/** Sends a marker through every peer and waits for it, so earlier broadcasts have surely arrived. */
async function settle(h: Harness, list: Peer[]): Promise<void> {
  const marks = list.map((peer) => waitFor(peer.client, 'mark'));
  h.io.emit('mark');
  await Promise.all(marks);
}

function received(list: Peer[]): Record<string, string[]> {
  return Object.fromEntries(list.map((peer) => [peer.name, peer.got]));
}

for (const mode of Object.keys(TRANSPORT_MODES) as TransportMode[]) {
  describe(`rooms and broadcasts over ${mode}`, () => {
    test('to is a union, except removes, each socket receives once, the sender is left out', async () => {
      const h = await startServer({}, mode);
      try {
        const list = await peers(h, ['a', 'b', 'c', 'd']);
        const [a, b, c, d] = list as [Peer, Peer, Peer, Peer];
        await a.socket.join(['red', 'blue']);
        await b.socket.join('blue');
        await c.socket.join('green');
        h.io.to('red').to('blue').emit('news', 'red+blue');
        h.io.to(['blue', 'green']).except('red').emit('news', 'blue+green-red');
        h.io.except('blue').emit('news', 'all-blue');
        a.socket.to('blue').emit('news', 'a to blue');
        a.socket.broadcast.emit('news', 'a to all');
        h.io.in(d.socket.id).emit('news', 'private d');
        await settle(h, list);
        assert.deepEqual(received(list), {
          a: ['red+blue'],
          b: ['red+blue', 'blue+green-red', 'a to blue', 'a to all'],
          c: ['blue+green-red', 'all-blue', 'a to all'],
          d: ['all-blue', 'a to all', 'private d'],
        });
        void a.socket.leave('blue');
        h.io.to('blue').emit('news', 'blue after leave');
        await settle(h, list);
        assert.deepEqual(a.got, ['red+blue']);
        assert.deepEqual(b.got.at(-1), 'blue after leave');
      } finally {
        await h.close();
      }
    });
  });
}

describe('broadcast acknowledgements', () => {
  test('every recipient answers: callback(null, responses)', async () => {
    const h = await startServer();
    try {
      const list = await peers(h, ['a', 'b', 'c']);
      for (const peer of list) peer.client.on('vote', (ack: (v: string) => void) => ack(`yes from ${peer.name}`));
      const responses = await h.io.timeout(1000).emitWithAck('vote');
      assert.deepEqual(responses.sort(), ['yes from a', 'yes from b', 'yes from c']);
      const [first] = list as [Peer];
      const others = await first.socket.broadcast.timeout(1000).emitWithAck('vote');
      assert.deepEqual(others.sort(), ['yes from b', 'yes from c']);
    } finally {
      await h.close();
    }
  });

  test('some recipients never answer: after the timeout, an error and the responses received', async () => {
    const h = await startServer();
    try {
      const list = await peers(h, ['a', 'b', 'c']);
      for (const peer of list) {
        peer.client.on('vote', (ack: (v: string) => void) => {
          if (peer.name !== 'b') ack(peer.name);
        });
      }
      const result = await new Promise<[Error | null, unknown[]]>((resolve) =>
        h.io.timeout(150).emit('vote', (err: Error | null, responses: unknown[]) => resolve([err, responses])),
      );
      assert.ok(result[0] instanceof Error);
      assert.equal(result[0].message, 'operation has timed out');
      assert.deepEqual(result[1].sort(), ['a', 'c']);
      await assert.rejects(h.io.timeout(100).emitWithAck('vote'), /operation has timed out/);
    } finally {
      await h.close();
    }
  });

  test('no recipient at all: callback(null, []) at once', async () => {
    const h = await startServer();
    try {
      await peers(h, ['a']);
      assert.deepEqual(await h.io.to('empty-room').timeout(5000).emitWithAck('vote'), []);
    } finally {
      await h.close();
    }
  });
});

describe('server-side socket operations', () => {
  test('fetchSockets describes sockets; RemoteSocket can emit, join, leave and disconnect', async () => {
    const h = await startServer();
    try {
      const list = await peers(h, ['a', 'b', 'c']);
      const [a, b, c] = list as [Peer, Peer, Peer];
      a.socket.data.user = 'alice';
      await a.socket.join('team');
      await b.socket.join('team');
      const team = await h.io.in('team').fetchSockets();
      assert.deepEqual(team.map((s) => s.id).sort(), [a.socket.id, b.socket.id].sort());
      const alice = team.find((s) => s.id === a.socket.id);
      assert.ok(alice);
      assert.deepEqual(alice.data, { user: 'alice' });
      assert.deepEqual(alice.handshake.auth, { name: 'a' });
      assert.ok(alice.rooms.has('team'));
      assert.equal((await h.io.fetchSockets()).length, 3);
      assert.equal((await h.io.except('team').fetchSockets()).length, 1);

      const direct = waitFor(a.client, 'news');
      alice.emit('news', 'hello alice');
      assert.deepEqual(await direct, ['hello alice']);
      a.client.on('q', (ack: (v: string) => void) => ack('single'));
      assert.equal(await alice.timeout(1000).emitWithAck('q'), 'single');
      // A client that never answers: the remote socket's timed emit rejects.
      await assert.rejects(alice.timeout(50).emitWithAck('unanswered'), { message: ACK_TIMEOUT_MESSAGE });

      alice.join('vip');
      assert.ok(a.socket.rooms.has('vip'));
      alice.leave('vip');
      assert.ok(!a.socket.rooms.has('vip'));
      const gone = waitFor<[string]>(c.client, 'disconnect');
      const [remoteC] = await h.io.in(c.socket.id).fetchSockets();
      remoteC?.disconnect();
      assert.equal((await gone)[0], 'io server disconnect');
    } finally {
      await h.close();
    }
  });

  test('socketsJoin, socketsLeave and disconnectSockets act on the targeted sockets only', async () => {
    const h = await startServer();
    try {
      const list = await peers(h, ['a', 'b', 'c']);
      const [a, b, c] = list as [Peer, Peer, Peer];
      await a.socket.join('x');
      await b.socket.join('x');
      h.io.in('x').socketsJoin(['y', 'z']);
      assert.deepEqual([...b.socket.rooms].sort(), [b.socket.id, 'x', 'y', 'z'].sort());
      assert.deepEqual([...c.socket.rooms], [c.socket.id]);
      h.io.in('y').except(a.socket.id).socketsLeave('z');
      assert.ok(a.socket.rooms.has('z'));
      assert.ok(!b.socket.rooms.has('z'));
      h.io.socketsJoin('everyone');
      assert.ok(c.socket.rooms.has('everyone'));
      h.io.socketsLeave('everyone');
      assert.ok(!c.socket.rooms.has('everyone'));

      const aGone = waitFor<[string]>(a.client, 'disconnect');
      const bGone = waitFor<[string]>(b.socket, 'disconnect');
      h.io.in('x').disconnectSockets();
      assert.equal((await aGone)[0], 'io server disconnect');
      assert.deepEqual(await bGone, ['server namespace disconnect', undefined]);
      assert.equal(c.socket.connected, true);
      const cClosed = waitFor<[string]>(c.client, 'disconnect');
      h.io.disconnectSockets(true);
      assert.equal((await cClosed)[0], 'io server disconnect');
      await sleep(50);
      assert.equal(h.io.engine.clientsCount, 0, 'close: the connections are closed too');
    } finally {
      await h.close();
    }
  });

  test('flags: compress(false), volatile and local still deliver on an idle connection', async () => {
    const h = await startServer();
    try {
      const list = await peers(h, ['a', 'b']);
      h.io.compress(false).emit('news', 'uncompressed');
      h.io.volatile.emit('news', 'volatile');
      h.io.local.emit('news', 'local');
      const [a] = list as [Peer];
      a.socket.compress(false).emit('news', 'direct');
      await settle(h, list);
      assert.deepEqual(received(list), {
        a: ['uncompressed', 'volatile', 'local', 'direct'],
        b: ['uncompressed', 'volatile', 'local'],
      });
    } finally {
      await h.close();
    }
  });
});
