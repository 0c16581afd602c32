import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { Server, type Namespace, type Socket } from '../../src/server/index.js';
import { startServer, type Harness } from './helpers.js';
import { until, waitFor } from '../helpers/wait.js';

/*
 * One client asking for namespace after namespace (each a namespace of its own under a dynamic
 * parent): past maxNamespacesPerClient it is refused, and each namespace it is in costs the same
 * whatever their number.
 */

const TOO_MANY = '{"message":"Too many namespaces"}';

/** A server with a dynamic parent for /room-N whose sockets answer `echo`, and the names it created. */
async function roomServer(
  options: { maxNamespacesPerClient?: number } = {},
): Promise<{ h: Harness; rooms: Namespace; created: string[] }> {
  const h = await startServer(options);
  const echo = (socket: Socket): void =>
    void socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
  h.io.on('connection', echo);
  const rooms = h.io.of(/^\/room-\d+$/);
  rooms.on('connection', echo);
  const created: string[] = [];
  h.io.on('new_namespace', (nsp) => void created.push(nsp.name));
  return { h, rooms, created };
}

/** A client in `/`, and every text message its connection receives, for raw CONNECTs to other namespaces. */
async function rawClient(h: Harness): Promise<{ client: ClientSocket; received: string[]; serverSide: Socket }> {
  const connected = waitFor<[Socket]>(h.io, 'connection');
  const client = h.client('/');
  const received: string[] = [];
  client.io.engine.on('message', (data: unknown) => void (typeof data === 'string' && received.push(data)));
  await waitFor(client, 'connect');
  const [serverSide] = await connected;
  return { client, received, serverSide };
}

/** Resolves once the client received a message starting with `prefix` (the first of them). */
async function answer(received: readonly string[], prefix: string): Promise<string> {
  await until(() => received.some((message) => message.startsWith(prefix)), 2000, `a message starting with ${prefix}`);
  return received.find((message) => message.startsWith(prefix))!;
}

describe('maxNamespacesPerClient', () => {
  test('a CONNECT past it gets CONNECT_ERROR, creates nothing, and the client keeps its namespaces', async () => {
    const { h, created } = await roomServer({ maxNamespacesPerClient: 3 });
    try {
      const { client, received, serverSide } = await rawClient(h);
      client.io.engine.send('0/room-1,');
      client.io.engine.send('0/room-2,');
      await answer(received, '0/room-2,{"sid"');
      client.io.engine.send('0/room-3,');
      assert.equal(await answer(received, '4/room-3,'), `4/room-3,${TOO_MANY}`);
      assert.deepEqual(created, ['/room-1', '/room-2'], 'no namespace is created past the limit');
      assert.equal(serverSide.client.namespaceCount, 3);

      // The connection and its three namespaces carry on.
      client.io.engine.send('2/room-1,7["echo","still here"]');
      assert.equal(await answer(received, '3/room-1,7'), '3/room-1,7["still here"]');
      assert.equal(await client.timeout(2000).emitWithAck('echo', 'main'), 'main');

      // The bound is on namespaces at once: leaving one makes room for another.
      client.io.engine.send('1/room-2,');
      await until(() => serverSide.client.namespaceCount === 2, 2000, 'room-2 left');
      client.io.engine.send('0/room-3,');
      assert.match(await answer(received, '0/room-3,'), /^0\/room-3,\{"sid":"[^"]+"\}$/);
    } finally {
      await h.close();
    }
  });

  test('a client at the default of 100 has every packet routed without the other 99 sockets being consulted', async () => {
    const { h, rooms, created } = await roomServer();
    try {
      // Reads of `nsp` on each server-side socket: finding a socket by scanning a list reads every other one's.
      const reads = new Map<string, number>();
      rooms.on('connection', (socket: Socket) => {
        const nsp = socket.nsp;
        reads.set(nsp.name, 0);
        Object.defineProperty(socket, 'nsp', {
          get: () => {
            reads.set(nsp.name, reads.get(nsp.name)! + 1);
            return nsp;
          },
        });
      });
      const { client, received, serverSide } = await rawClient(h);
      for (let room = 0; room < 99; room++) client.io.engine.send(`0/room-${room},`);
      await until(() => serverSide.client.namespaceCount === 100 && reads.size === 99, 5000, '99 rooms joined');
      // 50 more are refused, at no cost to the server: no namespace and no socket.
      for (let room = 99; room < 149; room++) client.io.engine.send(`0/room-${room},`);
      await until(() => received.filter((message) => message.endsWith(TOO_MANY)).length === 50, 5000, '50 refusals');
      assert.equal(created.length, 99);
      assert.equal(serverSide.client.namespaceCount, 100);

      for (let id = 0; id < 20; id++) client.io.engine.send(`2/room-0,${id}["echo",${id}]`);
      await answer(received, '3/room-0,19');
      const others = [...reads].filter(([name]) => name !== '/room-0');
      assert.equal(others.length, 98);
      assert.deepEqual(
        others.filter(([, count]) => count > 0),
        [],
        'joining 99 namespaces and 20 packets for one of them never look at another socket',
      );
    } finally {
      await h.close();
    }
  });

  test('is validated at construction', () => {
    for (const value of [0, -1, 2.5, Number.NaN]) {
      assert.throws(
        () => new Server({ maxNamespacesPerClient: value }),
        /^TypeError: maxNamespacesPerClient must be an integer/,
      );
    }
  });
});
