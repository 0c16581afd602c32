/**
 * The official `@socket.io/postgres-adapter` (a socket.io-adapter `ClusterAdapterWithHeartbeat`
 * over LISTEN/NOTIFY), unchanged, on two of our servers sharing a real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { Server } from '../../src/server/index.js';
import { startServer, type Harness } from '../server/helpers.js';
import { POSTGRES, connectedClient, nextOnEach, skipUnlessReachable, uniqueName, untilCount } from './services.js';
import { waitFor } from '../helpers/wait.js';

const skip = await skipUnlessReachable('PostgreSQL', POSTGRES.port);

/** One of our servers with the PostgreSQL adapter and its own pool. */
interface PostgresNode {
  harness: Harness;
  io: Server;
  close(): Promise<void>;
}

async function ourNode(channelPrefix: string, tableName: string): Promise<PostgresNode> {
  const pool = new pg.Pool({ ...POSTGRES, max: 4 });
  const harness = await startServer();
  // Every binary packet goes through the attachments table, so that path is exercised too.
  harness.io.adapter(createAdapter(pool, { channelPrefix, tableName, heartbeatInterval: 200, heartbeatTimeout: 2000 }));
  return {
    harness,
    io: harness.io,
    async close() {
      await harness.close();
      await pool.end();
    },
  };
}

describe('@socket.io/postgres-adapter on two of our servers', { skip }, () => {
  const tableName = uniqueName('sb_attachments');
  let admin: pg.Pool;
  let a: PostgresNode;
  let b: PostgresNode;
  let onA: ClientSocket;
  let onB: ClientSocket;

  before(async () => {
    admin = new pg.Pool({ ...POSTGRES, max: 1 });
    await admin.query(
      `CREATE TABLE IF NOT EXISTS ${tableName} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`,
    );
    const channelPrefix = uniqueName('sb');
    a = await ourNode(channelPrefix, tableName);
    b = await ourNode(channelPrefix, tableName);
    await untilCount(() => a.io.sockets.adapter.serverCount(), 2);
    await untilCount(() => b.io.sockets.adapter.serverCount(), 2);
    onA = await connectedClient(a.harness.url, a.harness.clients);
    onB = await connectedClient(b.harness.url, b.harness.clients);
  });

  after(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await admin?.query(`DROP TABLE IF EXISTS ${tableName}`);
    await admin?.end();
  });

  test('a broadcast from one node reaches the clients of both, binary ones included', async () => {
    const received = nextOnEach([onA, onB], 'news');
    a.io.emit('news', 'from A');
    assert.deepEqual(await received, [['from A'], ['from A']]);
    const binary = waitFor<[Buffer]>(onA, 'bytes');
    b.io.emit('bytes', Buffer.from([4, 5, 6]));
    assert.deepEqual([...(await binary)[0]], [4, 5, 6]);
  });

  test('rooms span nodes and fetchSockets() sees both nodes', async () => {
    const [socketOnB] = [...b.io.sockets.sockets.values()];
    await socketOnB!.join('desk');
    socketOnB!.data = { seat: 2 };
    const received = waitFor(onB, 'desk news');
    a.io.to('desk').emit('desk news', 'for the desk');
    assert.deepEqual(await received, ['for the desk']);
    const found = await a.io.fetchSockets();
    assert.deepEqual(found.map((socket) => socket.id).sort(), [onA.id, onB.id].sort());
    const remote = found.find((socket) => socket.id === onB.id)!;
    assert.deepEqual(remote.data, { seat: 2 });
    assert.ok(remote.rooms.has('desk'));
  });

  test('serverSideEmit with an acknowledgement, and a broadcast collecting the acknowledgements of both nodes', async () => {
    b.io.on('count', (answer: (n: number) => void) => answer(b.io.sockets.sockets.size));
    assert.deepEqual(await a.io.serverSideEmitWithAck('count'), [1]);
    onA.on('question', (answer: (reply: string) => void) => answer('A'));
    onB.on('question', (answer: (reply: string) => void) => answer('B'));
    assert.deepEqual((await a.io.timeout(3000).emitWithAck('question')).sort(), ['A', 'B']);
  });

  test('socketsJoin and disconnectSockets act on both nodes', async () => {
    b.io.socketsJoin('all');
    const [socketOnA] = [...a.io.sockets.sockets.values()];
    await untilCount(async () => (socketOnA!.rooms.has('all') ? 1 : 0), 1);
    const gone = nextOnEach([onA, onB], 'disconnect');
    a.io.in('all').disconnectSockets(true);
    assert.deepEqual((await gone).map(([reason]) => reason).sort(), ['io server disconnect', 'io server disconnect']);
  });
});
