/**
 * The official `@socket.io/cluster-adapter`, unchanged, across the worker processes of a node
 * `cluster` running our server (see fixtures/cluster-node.ts), with official clients on each worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { spawnNode, type ChildHandle } from '../helpers/processes.js';
import { connectedClient, nextOnEach, untilCount } from './services.js';
import { waitFor } from '../helpers/wait.js';

describe('@socket.io/cluster-adapter across two worker processes of our server', () => {
  let primary: ChildHandle;
  const clients: ClientSocket[] = [];
  let onA: ClientSocket;
  let onB: ClientSocket;

  before(async () => {
    primary = spawnNode(['--import', 'tsx', 'test/ecosystem/fixtures/cluster-node.ts']);
    const [, a, b] = await primary.waitForOutput(/ports (\d+) (\d+)/, 30_000);
    onA = await connectedClient(`http://127.0.0.1:${a}`, clients);
    onB = await connectedClient(`http://127.0.0.1:${b}`, clients);
    await untilCount(() => onA.timeout(2000).emitWithAck('server count'), 2, 10_000);
  });

  after(async () => {
    for (const socket of clients) socket.disconnect();
    await primary?.stop('SIGTERM').catch(() => primary.kill());
  });

  test('a broadcast from one worker reaches the clients of both', async () => {
    const received = nextOnEach([onA, onB], 'news');
    onA.emit('broadcast', 'news', 'from worker A', [1, 2]);
    assert.deepEqual(await received, [
      ['from worker A', [1, 2]],
      ['from worker A', [1, 2]],
    ]);
  });

  test('rooms span workers: a room broadcast from A reaches the member on B', async () => {
    await onB.timeout(2000).emitWithAck('join', 'night shift');
    const received = waitFor(onB, 'shift news');
    onA.emit('to room', 'night shift', 'shift news', 'for the night shift');
    assert.deepEqual(await received, ['for the night shift']);
  });

  test('fetchSockets() on one worker sees the sockets of both, with their data', async () => {
    const found = (await onA.timeout(3000).emitWithAck('fetch sockets')) as { id: string; data: { worker: string } }[];
    assert.deepEqual(found.map((socket) => socket.id).sort(), [onA.id, onB.id].sort());
    const workers = new Set(found.map((socket) => socket.data.worker));
    assert.equal(workers.size, 2, 'each socket belongs to its own worker');
  });

  test("serverSideEmit with an acknowledgement gets the other worker's answer", async () => {
    const responses = (await onA.timeout(3000).emitWithAck('ask workers')) as string[];
    assert.equal(responses.length, 1);
    assert.match(responses[0]!, /^worker \d+$/);
  });

  test('a broadcast with acknowledgements collects the answers of the clients of both workers', async () => {
    onA.on('question', (answer: (reply: string) => void) => answer('A'));
    onB.on('question', (answer: (reply: string) => void) => answer('B'));
    const responses = (await onA.timeout(5000).emitWithAck('ask clients')) as string[];
    assert.deepEqual(responses.sort(), ['A', 'B']);
  });

  test('socketsJoin and disconnectSockets from one worker act on both', async () => {
    onB.emit('sockets join', 'all hands');
    const received = nextOnEach([onA, onB], 'all hands news');
    // Sent after the join through the same worker; the join reached A's worker first (one primary relays both in order).
    onB.emit('to room', 'all hands', 'all hands news');
    await received;
    const gone = nextOnEach([onA, onB], 'disconnect');
    onA.emit('disconnect all');
    assert.deepEqual(
      (await gone).map(([reason]) => reason),
      ['io server disconnect', 'io server disconnect'],
    );
  });
});
