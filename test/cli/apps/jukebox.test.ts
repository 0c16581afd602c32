import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATALOG } from '../../../src/cli/apps/jukebox/catalog.js';
import type { JukeboxOptions } from '../../../src/cli/apps/jukebox/jukebox-app.js';
import { JukeboxState, type JukeboxSnapshot } from '../../../src/cli/apps/jukebox/jukebox-state.js';
import { startDemoServer, type DemoServer } from '../../../src/cli/demo-server.js';
import { until } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { closeAll, connectApp, type AppClient } from './app-clients.js';

interface Welcome {
  readonly catalog: typeof CATALOG;
  readonly state: JukeboxSnapshot;
  readonly notices: { id: string; text: string }[];
}

function withJukebox(options: JukeboxOptions, body: (server: DemoServer) => Promise<void>): Promise<void> {
  return withServer(() => startDemoServer({ port: 0, apps: { jukebox: options } }), body);
}

async function listen(server: DemoServer, name: string): Promise<AppClient> {
  const client = await connectApp(server, '/jukebox', name);
  await client.until('welcome', () => true);
  return client;
}

/** Runs `body` with listeners connected as each of `names`, and closes them after. */
async function withListeners(server: DemoServer, names: string[], body: (clients: AppClient[]) => Promise<void>) {
  const clients: AppClient[] = [];
  try {
    for (const name of names) clients.push(await listen(server, name));
    await body(clients);
  } finally {
    closeAll(clients);
  }
}

/** The latest state a client was sent (the welcome's, until a `state` comes). */
function latest(client: AppClient): JukeboxSnapshot {
  return client.events<JukeboxSnapshot>('state').at(-1) ?? client.events<Welcome>('welcome')[0]!.state;
}

function noticeTexts(client: AppClient): string[] {
  return client.events<{ text: string }>('notice').map((notice) => notice.text);
}

const [first, second, third, fourth] = CATALOG as [
  (typeof CATALOG)[0],
  (typeof CATALOG)[0],
  (typeof CATALOG)[0],
  (typeof CATALOG)[0],
];

describe('Jukebox app: state', () => {
  test('plays the catalog in order, requested tracks first; position follows the clock', () => {
    let now = 1000;
    const state = new JukeboxState(
      CATALOG,
      { maxQueue: 5, maxRequestsPerListener: 5, trackLength: undefined },
      () => now,
    );
    assert.equal(state.current, first);
    now += 10_000;
    assert.equal(state.position(), 10_000);
    assert.equal(state.remaining(), first.duration - 10_000);
    now += first.duration;
    assert.equal(state.position(), first.duration);
    assert.equal(state.remaining(), 0);
    assert.equal(state.request('Ada', { trackId: fourth.id }).ok, true);
    assert.deepEqual(state.advance(), { track: fourth, requestedBy: 'Ada' });
    assert.deepEqual(state.advance(), { track: second, requestedBy: undefined });
    assert.equal(state.position(), 0);
  });

  test('the skip threshold is half of the listeners, rounded up, and follows them as they come and go', () => {
    const state = new JukeboxState(CATALOG, { maxQueue: 5, maxRequestsPerListener: 5, trackLength: 1000 }, () => 0);
    assert.equal(state.skipNeeded(), 1);
    for (const name of ['Ada', 'Bob', 'Carol']) state.addListener(name);
    assert.equal(state.addListener('Ada'), false);
    assert.equal(state.skipNeeded(), 2);
    state.addListener('Dan');
    assert.equal(state.skipNeeded(), 2);
    state.addListener('Eve');
    assert.equal(state.skipNeeded(), 3);
    assert.equal(state.voteSkip('Dan', { trackId: first.id }).ok, true);
    assert.equal(state.voteSkip('Eve', { trackId: first.id }).ok, true);
    assert.equal(state.shouldSkip(), false);
    // Eve leaves: her vote goes, and so does a place in the threshold (4 listeners: 2 needed).
    state.removeListener('Eve');
    assert.equal(state.skipNeeded(), 2);
    assert.equal(state.shouldSkip(), false);
    state.removeListener('Bob');
    state.removeListener('Carol');
    // Ada (two connections) and Dan: one vote of two listeners is enough.
    assert.equal(state.shouldSkip(), true);
    assert.equal(state.snapshot().nowPlaying.skipVotes.join(), 'Dan');
  });
});

describe('Jukebox app over the realtime server', () => {
  test('a listener arriving gets the catalog, the state and the recent notifications', async () => {
    await withJukebox({ recentNotices: 2 }, async (server) => {
      await withListeners(server, ['Ada'], async ([ada]) => {
        for (const track of [second, third, fourth]) await ada!.ask('request', { trackId: track.id });
        await ada!.ask('like', { trackId: first.id });
        const bob = await listen(server, 'Bob');
        try {
          const [welcome] = bob.events<Welcome>('welcome');
          assert.deepEqual(welcome!.catalog, CATALOG);
          assert.equal(welcome!.state.nowPlaying.track.id, first.id);
          assert.deepEqual(welcome!.state.nowPlaying.likedBy, ['Ada']);
          assert.deepEqual(
            welcome!.state.queue.map((queued) => [queued.track.id, queued.requestedBy]),
            [second, third, fourth].map((track) => [track.id, 'Ada']),
          );
          assert.deepEqual(welcome!.state.listeners, ['Ada', 'Bob']);
          assert.ok(welcome!.state.nowPlaying.position >= 0);
          assert.equal(welcome!.state.nowPlaying.duration, first.duration);
          // Only the last two notifications are kept.
          assert.deepEqual(
            welcome!.notices.map((notice) => notice.text),
            [`Ada requested “${fourth.title}”`, `Ada liked “${first.title}”`],
          );
          await ada!.until('state', (state: JukeboxSnapshot) => state.listeners.length === 2);
        } finally {
          closeAll([bob]);
        }
        await ada!.until('state', (state: JukeboxSnapshot) => state.listeners.join() === 'Ada');
      });
    });
  });

  test('a like counts once per listener, even from two connections, and only for the track playing', async () => {
    await withJukebox({}, async (server) => {
      await withListeners(server, ['Ada', 'Ada', 'Bob'], async ([ada1, ada2, bob]) => {
        for (const payload of [undefined, first.id, { trackId: 7 }, { trackId: second.id }, { trackId: 'nope' }]) {
          assert.equal((await ada1!.ask('like', payload)).ok, false, JSON.stringify(payload));
        }
        assert.deepEqual(await ada1!.ask('like', { trackId: first.id }), { ok: true, likes: 1 });
        assert.deepEqual(await ada1!.ask('like', { trackId: first.id }), {
          ok: false,
          error: 'you already liked this track',
        });
        assert.equal((await ada2!.ask('like', { trackId: first.id })).ok, false);
        assert.deepEqual(await bob!.ask('like', { trackId: first.id }), { ok: true, likes: 2 });
        await ada1!.until('state', (state: JukeboxSnapshot) => state.nowPlaying.likedBy.length === 2);
        assert.deepEqual(
          noticeTexts(bob!).filter((text) => text.includes('liked')),
          [`Ada liked “${first.title}”`, `Bob liked “${first.title}”`],
        );
      });
    });
  });

  test('requests: a track of the catalog, not playing or queued, within the queue and per-listener limits', async () => {
    await withJukebox({ maxQueue: 3, maxRequestsPerListener: 2 }, async (server) => {
      await withListeners(server, ['Ada', 'Bob'], async ([ada, bob]) => {
        for (const payload of [undefined, { trackId: 'nope' }, { trackId: ['x'] }]) {
          assert.equal((await ada!.ask('request', payload)).ok, false, JSON.stringify(payload));
        }
        assert.deepEqual(await ada!.ask('request', { trackId: first.id }), {
          ok: false,
          error: `“${first.title}” is playing now`,
        });
        assert.deepEqual(await ada!.ask('request', { trackId: second.id }), { ok: true, position: 1 });
        assert.deepEqual(await bob!.ask('request', { trackId: second.id }), {
          ok: false,
          error: `“${second.title}” is already queued`,
        });
        assert.deepEqual(await ada!.ask('request', { trackId: third.id }), { ok: true, position: 2 });
        assert.match(String((await ada!.ask('request', { trackId: fourth.id })).error), /2 tracks queued already/);
        assert.deepEqual(await bob!.ask('request', { trackId: fourth.id }), { ok: true, position: 3 });
        assert.deepEqual(await bob!.ask('request', { trackId: CATALOG[4]!.id }), {
          ok: false,
          error: 'the queue is full (3 tracks)',
        });
        await bob!.until('notice', (notice: { text: string }) => notice.text === `Bob requested “${fourth.title}”`);
        assert.deepEqual(
          noticeTexts(ada!).filter((text) => text.includes('requested')),
          [second, third, fourth].map((track, index) => `${index < 2 ? 'Ada' : 'Bob'} requested “${track.title}”`),
        );
      });
    });
  });

  test('a skip needs half of the listeners, rounded up; then the next requested track plays', async () => {
    await withJukebox({}, async (server) => {
      await withListeners(server, ['Ada', 'Bob', 'Carol'], async ([ada, bob, carol]) => {
        await carol!.ask('request', { trackId: third.id });
        assert.deepEqual(await ada!.ask('skip', { trackId: first.id }), {
          ok: true,
          votes: 1,
          needed: 2,
          skipped: false,
        });
        assert.deepEqual(await ada!.ask('skip', { trackId: first.id }), {
          ok: false,
          error: 'you already voted to skip this track',
        });
        await carol!.until(
          'notice',
          (notice: { text: string }) => notice.text === `Ada voted to skip “${first.title}”: skip 1/2`,
        );
        assert.equal(latest(carol!).nowPlaying.track.id, first.id);
        assert.deepEqual(await bob!.ask('skip', { trackId: first.id }), {
          ok: true,
          votes: 2,
          needed: 2,
          skipped: true,
        });
        await carol!.until('state', (state: JukeboxSnapshot) => state.nowPlaying.track.id === third.id);
        const texts = noticeTexts(carol!);
        assert.deepEqual(texts.slice(-3), [
          `Bob voted to skip “${first.title}”: skip 2/2`,
          `Skipped “${first.title}”`,
          `Now playing “${third.title}”, requested by Carol`,
        ]);
        const now = latest(ada!).nowPlaying;
        assert.deepEqual([now.requestedBy, now.skipVotes, now.likedBy], ['Carol', [], []]);
        // A vote for the track that was skipped is refused.
        assert.equal((await carol!.ask('skip', { trackId: first.id })).ok, false);
      });
    });
  });

  test('a listener leaving can complete a skip: fewer listeners need fewer votes', async () => {
    await withJukebox({}, async (server) => {
      await withListeners(server, ['Ada', 'Bob', 'Carol', 'Dan'], async ([ada, bob, carol, dan]) => {
        await ada!.ask('skip', { trackId: first.id });
        assert.equal(latest(ada!).nowPlaying.skipNeeded, 2);
        await until(() => latest(bob!).nowPlaying.skipVotes.length === 1, 5000, 'the vote to reach Bob');
        // 4 → 2 listeners: one vote of two is enough.
        carol!.socket.close();
        dan!.socket.close();
        await bob!.until('notice', (notice: { text: string }) => notice.text === `Skipped “${first.title}”`);
        await bob!.until('state', (state: JukeboxSnapshot) => state.nowPlaying.track.id === second.id);
      });
    });
  });

  test('tracks advance on the server by themselves, with position ticks between', async () => {
    await withJukebox({ trackLength: 300, tickInterval: 100 }, async (server) => {
      await withListeners(server, ['Ada'], async ([ada]) => {
        await ada!.until(
          'notice',
          (notice: { text: string }) => notice.text === `Now playing “${third.title}” by ${third.artist}`,
        );
        const states = ada!.events<JukeboxSnapshot>('state').map((state) => state.nowPlaying.track.id);
        assert.ok(states.includes(second.id) && states.indexOf(second.id) < states.indexOf(third.id), states.join());
        const ticks = ada!.events<{ trackId: string; position: number }>('tick');
        assert.ok(ticks.length > 0);
        for (const tick of ticks) assert.ok(tick.position >= 0 && tick.position <= 300, JSON.stringify(tick));
      });
    });
  });

  test('options are checked: an unknown one is refused by name, values are bounded', async () => {
    await assert.rejects(
      startDemoServer({ port: 0, apps: { jukebox: { tracklength: 5 } as JukeboxOptions } }),
      /tracklength: unknown jukebox option/,
    );
    await assert.rejects(startDemoServer({ port: 0, apps: { jukebox: { maxQueue: 0 } } }), /maxQueue/);
    await assert.rejects(startDemoServer({ port: 0, apps: { jukebox: { trackLength: -1 } } }), /trackLength/);
    await assert.rejects(
      startDemoServer({ port: 0, apps: { jukbox: {} } as never }),
      /jukbox: unknown demo app option/,
    );
  });
});
