import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { Socket } from '../../src/server/index.js';
import { Bus, busAdapter } from '../adapter/bus-adapter.js';
import { startServer, type Harness } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

async function connected(h: Harness, name: string): Promise<{ client: ClientSocket; socket: Socket }> {
  const serverSide = waitFor<[Socket]>(h.io, 'connection');
  const client = h.client('/', { auth: { name } });
  await waitFor(client, 'connect');
  const [socket] = await serverSide;
  return { client, socket };
}

/** Two servers sharing a cluster adapter over an in-process bus, one client on each. */
async function twoNodes() {
  const bus = new Bus();
  const one = await startServer({ adapter: busAdapter(bus) });
  const two = await startServer({ adapter: busAdapter(bus) });
  await sleep(30);
  const a = await connected(one, 'a');
  const b = await connected(two, 'b');
  return {
    one,
    two,
    a,
    b,
    async close() {
      await one.close();
      await two.close();
    },
  };
}

describe('servers in a cluster (cluster adapter over an in-process bus)', () => {
  test('a room broadcast on one node reaches members on the other; except and local are honoured', async () => {
    const c = await twoNodes();
    try {
      await c.a.socket.join('room');
      await c.b.socket.join('room');
      const got: string[] = [];
      c.a.client.on('news', (text: string) => got.push(`a ${text}`));
      c.b.client.on('news', (text: string) => got.push(`b ${text}`));
      c.one.io.to('room').emit('news', 'to room');
      c.one.io.to('room').except(c.a.socket.id).emit('news', 'room except a');
      c.one.io.local.emit('news', 'local only');
      c.two.io.emit('news', 'from two');
      await sleep(100);
      assert.deepEqual(got.sort(), [
        'a from two',
        'a local only',
        'a to room',
        'b from two',
        'b room except a',
        'b to room',
      ]);
    } finally {
      await c.close();
    }
  });

  test('fetchSockets sees remote sockets; remote emit, join and disconnect work across nodes', async () => {
    const c = await twoNodes();
    try {
      c.b.socket.data.role = 'remote';
      const all = await c.one.io.fetchSockets();
      assert.deepEqual(all.map((s) => s.handshake.auth.name).sort(), ['a', 'b']);
      const remote = all.find((s) => s.id === c.b.socket.id);
      assert.ok(remote);
      assert.deepEqual(remote.data, { role: 'remote' });
      const hello = waitFor(c.b.client, 'hello');
      remote.emit('hello', 'across');
      assert.deepEqual(await hello, ['across']);
      remote.join('joined-remotely');
      await sleep(30);
      assert.ok(c.b.socket.rooms.has('joined-remotely'));
      const gone = waitFor<[string]>(c.b.client, 'disconnect');
      c.one.io.in('joined-remotely').disconnectSockets();
      assert.equal((await gone)[0], 'io server disconnect');
    } finally {
      await c.close();
    }
  });

  test('broadcast acknowledgements are collected from every node', async () => {
    const c = await twoNodes();
    try {
      c.a.client.on('vote', (ack: (v: string) => void) => ack('a'));
      c.b.client.on('vote', (ack: (v: string) => void) => ack('b'));
      const responses = await c.one.io.timeout(1000).emitWithAck('vote');
      assert.deepEqual(responses.sort(), ['a', 'b']);
    } finally {
      await c.close();
    }
  });

  test('serverSideEmit reaches the other nodes, and their answers come back', async () => {
    const c = await twoNodes();
    try {
      const seen = waitFor(c.two.io.sockets, 'sync');
      c.one.io.serverSideEmit('sync', { v: 1 });
      assert.deepEqual(await seen, [{ v: 1 }]);
      c.two.io.on('question', (n: number, reply: (answer: number) => void) => reply(n * 2));
      assert.deepEqual(await c.one.io.serverSideEmitWithAck('question', 21), [42]);
      assert.throws(() => c.one.io.serverSideEmit('connection'), /reserved/);
    } finally {
      await c.close();
    }
  });
});
