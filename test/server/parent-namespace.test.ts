/**
 * A parent namespace (`io.of(regex)` / `io.of(matcher)`) has no sockets of its own: every operation
 * on it is fanned out to the child namespaces created so far.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { ParentNamespace, type Socket } from '../../src/server/index.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { startServer, type Harness } from './helpers.js';

/** A parent for `/team-<n>` and one connected client in each of `/team-1` and `/team-2`. */
async function twoTeams(h: Harness): Promise<{ teams: ParentNamespace; one: ClientSocket; two: ClientSocket }> {
  const teams = h.io.of(/^\/team-\d+$/);
  assert.ok(teams instanceof ParentNamespace);
  teams.on('connection', (socket: Socket) => socket.join(`member of ${socket.nsp.name}`));
  const one = h.client('/team-1');
  const two = h.client('/team-2');
  await Promise.all([waitFor(one, 'connect'), waitFor(two, 'connect')]);
  return { teams, one, two };
}

describe('parent namespaces', () => {
  test('emitWithAck on the parent collects the answers of every child', async () => {
    const h = await startServer();
    try {
      const { teams, one, two } = await twoTeams(h);
      one.on('question', (ack: (answer: string) => void) => ack('from team 1'));
      two.on('question', (ack: (answer: string) => void) => ack('from team 2'));
      const answers = await teams.timeout(3000).emitWithAck('question');
      assert.deepEqual([...answers].sort(), ['from team 1', 'from team 2']);
    } finally {
      await h.close();
    }
  });

  test('emitWithAck on a parent with no child yet resolves with no answers', async () => {
    const h = await startServer();
    try {
      const empty = h.io.of(/^\/nobody-yet$/);
      assert.deepEqual(await empty.timeout(1000).emitWithAck('question'), []);
    } finally {
      await h.close();
    }
  });

  test('allSockets, socketsJoin, socketsLeave and disconnectSockets reach the sockets of every child', async () => {
    const h = await startServer();
    try {
      const { teams, one, two } = await twoTeams(h);
      assert.deepEqual([...(await teams.allSockets())].sort(), [one.id, two.id].sort());

      teams.in('member of /team-1').socketsJoin('captains');
      teams.socketsJoin('everyone');
      assert.deepEqual(
        (await teams.in('captains').fetchSockets()).map((s) => s.id),
        [one.id],
      );
      assert.equal((await teams.in('everyone').fetchSockets()).length, 2);

      teams.socketsLeave('everyone');
      assert.deepEqual(await teams.in('everyone').fetchSockets(), []);
      assert.equal((await teams.in('captains').fetchSockets()).length, 1, 'other rooms are kept');

      const gone = Promise.all([waitFor<[string]>(one, 'disconnect'), waitFor<[string]>(two, 'disconnect')]);
      teams.disconnectSockets();
      assert.deepEqual(
        (await gone).map(([reason]) => reason),
        ['io server disconnect', 'io server disconnect'],
      );
      await until(() => [...teams.children].every((child) => child.sockets.size === 0), 3000, 'the children to empty');
    } finally {
      await h.close();
    }
  });

  test("the parent's own adapter holds no socket, room or session (its sockets live in the children)", async () => {
    const h = await startServer();
    try {
      const { teams, one } = await twoTeams(h);
      const adapter = teams.adapter;
      const id = one.id;
      assert.ok(id);
      void adapter.addAll(id, new Set(['ignored']));
      void adapter.del(id, 'ignored');
      adapter.delAll(id);
      assert.equal(adapter.socketRooms(id), undefined);
      assert.equal(adapter.rooms.size, 0);
      void adapter.persistSession({ sid: id, pid: 'pid', rooms: [], data: {} });
      assert.equal(await adapter.restoreSession('pid', ''), null);
      await adapter.close();
      assert.equal((await teams.fetchSockets()).length, 2, 'closing the parent adapter leaves the children alone');
    } finally {
      await h.close();
    }
  });

  test('serverSideEmit on a single node: an ack is answered at once with no responses', async () => {
    const h = await startServer();
    try {
      const { teams } = await twoTeams(h);
      assert.deepEqual(await teams.serverSideEmitWithAck('anyone there'), []);
      const answered = new Promise<unknown[]>((resolve, reject) =>
        teams.serverSideEmit('anyone there', (err: Error | null, answers: unknown[]) =>
          err ? reject(err) : resolve(answers),
        ),
      );
      const responses = await withTimeout(answered, 'the serverSideEmit ack', 2000);
      assert.deepEqual(responses, []);
    } finally {
      await h.close();
    }
  });
});
