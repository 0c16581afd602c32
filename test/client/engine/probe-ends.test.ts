/**
 * How an upgrade probe ends when it does not complete: answered while the poll never ends (it gives
 * up after `timeout`), never answered at all, or cut short by the application closing the connection
 * during the probe or the pause. Each time polling goes on (or the session ends) with nothing lost,
 * and no timer or WebSocket of the probe is left behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Manager } from '../../../src/client-node/index.js';
import type { WebSocket } from '../../../src/ws/index.js';
import { sleep, until, waitFor } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { openSession, sessionOptions } from './helpers.js';
import { HANDSHAKE, rawEngine, type RawEngine } from './raw-engine.js';

/** The session's `timeout`, which bounds a probe: short, to keep the tests quick. */
const PROBE_TIMEOUT = 2000;

/** The record separator between the packets of a polling payload. */
const SEPARATOR = '\x1e';

/** The packets the POSTs carried, in order, whatever payloads they came in. */
const packetsOf = (posts: readonly string[]): string[] => posts.flatMap((post) => post.split(SEPARATOR));

/** The timers the client started and has neither cleared nor seen fire. */
interface ClientTimers {
  /** How many are pending; only those started from a function of `source` (e.g. `polling-transport`), when given. */
  pending(source?: string): number;
  restore(): void;
}

/**
 * Spies on `setTimeout` and `clearTimeout` for the timers code under `src/client` starts (told by the
 * caller's stack frame): a count that depends on no garbage collection, unlike the process's handles.
 */
function spyOnClientTimers(): ClientTimers {
  const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = globalThis;
  // Each pending timer, with the stack frames that started it.
  const pending = new Map<unknown, string>();
  const spy = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown => {
    // Line 0 is `Error`, line 1 this spy, line 2 the caller.
    const frames = (new Error().stack ?? '').split('\n').slice(2, 5);
    if (!/\/src\/client/.test(frames[0] ?? '')) return realSetTimeout(callback, ms, ...args);
    const timer = realSetTimeout(() => {
      pending.delete(timer);
      callback(...args);
    }, ms);
    pending.set(timer, frames.join('\n'));
    return timer;
  };
  globalThis.setTimeout = spy as typeof setTimeout;
  globalThis.clearTimeout = ((timer?: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(timer);
    realClearTimeout(timer);
  }) as typeof clearTimeout;
  return {
    pending: (source = '') => [...pending.values()].filter((frames) => frames.includes(source)).length,
    restore: () => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}

/**
 * A raw engine whose WebSockets record the probes they receive (answered with `3probe` when
 * `answer`) and count how many closed.
 */
async function probedEngine(answer: boolean): Promise<{
  server: RawEngine;
  probes: WebSocket[];
  closedProbes: () => number;
}> {
  const probes: WebSocket[] = [];
  let closed = 0;
  const server = await rawEngine({ ...HANDSHAKE, maxPayload: 100_000 }, (socket) => {
    socket.on('close', () => closed++);
    socket.on('message', (data) => {
      if (String(data) !== '2probe') return;
      probes.push(socket);
      if (answer) socket.send('3probe');
    });
  });
  return { server, probes, closedProbes: () => closed };
}

type ProbedEngine = Awaited<ReturnType<typeof probedEngine>>;

/** Runs `body` against a {@link probedEngine} with the client's timers watched; stops both afterwards. */
async function withProbedEngine(
  answer: boolean,
  body: (engine: ProbedEngine, timers: ClientTimers) => Promise<void>,
): Promise<void> {
  const engine = await probedEngine(answer);
  const timers = spyOnClientTimers();
  try {
    await withServer(
      () => engine.server,
      () => body(engine, timers),
    );
  } finally {
    timers.restore();
  }
}

/**
 * Runs `body` with a polling-first session open to `server`, whose `timeout` (and so the probe's)
 * is {@link PROBE_TIMEOUT}; closes it afterwards.
 */
async function withProbingSession(
  server: RawEngine,
  body: (opened: Awaited<ReturnType<typeof openSession>>) => Promise<void>,
): Promise<void> {
  const opened = await openSession(
    sessionOptions(server.origin, { transports: ['polling', 'websocket'], timeout: PROBE_TIMEOUT }),
  );
  try {
    await body(opened);
  } finally {
    opened.session.close();
  }
}

describe('an upgrade probe that does not complete', () => {
  it('answered while the poll never ends: after timeout polling resumes and sends what waited, in order', async () => {
    await withProbedEngine(true, ({ server, closedProbes }) =>
      withProbingSession(server, async ({ session, upgrades, closes }) => {
        // Nothing was sent: not writable means pausing, behind the poll the server holds.
        await until(() => !session.writable, PROBE_TIMEOUT, 'the session pausing for the upgrade');
        session.send('first');
        session.send('second');
        await sleep(PROBE_TIMEOUT / 2);
        assert.deepEqual(server.posts, [], 'nothing written while pausing');
        await until(() => server.posts.length > 0, PROBE_TIMEOUT + 2000, 'the POST once the probe timed out');
        assert.deepEqual(packetsOf(server.posts), ['4first', '4second']);
        await until(() => closedProbes() === 1, 1000, 'the probe WebSocket closed by the client');
        // The poll held all along is still the one in flight: answered, it is followed by another.
        assert.equal(server.gets.length, 1);
        server.gets.shift()!.end('6');
        await until(() => server.gets.length === 1, 2000, 'a new poll after the held one ended');
        session.send('third');
        await until(() => packetsOf(server.posts).length === 3, 2000, 'the POST after the failed upgrade');
        assert.deepEqual(packetsOf(server.posts), ['4first', '4second', '4third']);
        assert.equal(session.transport.name, 'polling');
        assert.deepEqual(upgrades, []);
        assert.deepEqual(closes, []);
      }),
    );
  });

  it('never answered: it gives up after timeout, polling goes on throughout, nothing lost or left behind', async () => {
    await withProbedEngine(false, ({ server, probes, closedProbes }, timers) =>
      withProbingSession(server, async ({ session, upgrades, closes }) => {
        await until(() => probes.length === 1, PROBE_TIMEOUT, 'the probe');
        const probed = Date.now();
        session.send('during the probe');
        // Well before the probe's deadline: an unanswered probe does not pause polling.
        await until(() => server.posts.length === 1, PROBE_TIMEOUT / 2, 'the POST while the probe waits');
        assert.equal(timers.pending('polling-transport'), 1, "the probe's deadline");
        await until(() => closedProbes() === 1, PROBE_TIMEOUT + 1000, 'the probe WebSocket closed by the client');
        assert.ok(Date.now() - probed < PROBE_TIMEOUT + 1000, 'given up within its timeout');
        assert.equal(timers.pending('polling-transport'), 0, 'no probe timer left');
        session.send('after the probe');
        await until(() => server.posts.length === 2, 2000, 'the POST after the probe');
        assert.deepEqual(packetsOf(server.posts), ['4during the probe', '4after the probe']);
        assert.equal(probes.length, 1, 'polling first: no second probe');
        assert.equal(session.transport.name, 'polling');
        assert.deepEqual(upgrades, []);
        assert.deepEqual(closes, []);
      }),
    );
  });
});

/** How the application closes the connection: the Manager itself, or its only socket leaving. */
const CLOSES = [
  { name: 'manager._close()', close: (manager: Manager) => manager._close(), packets: ['40', '1'] },
  {
    name: 'socket.disconnect()',
    close: (manager: Manager) => manager.socket('/').disconnect(),
    packets: ['40', '41', '1'],
  },
];

describe('the connection closed by the application while upgrading', () => {
  for (const { name, close, packets } of CLOSES) {
    for (const moment of ['probe', 'pause'] as const) {
      it(`${name} during the ${moment}: no client timer left, the probe WebSocket closed, the session ended`, async () => {
        await withProbedEngine(false, async ({ server, probes, closedProbes }, timers) => {
          const manager = new Manager(server.origin, { transports: ['polling', 'websocket'], reconnection: false });
          const socket = manager.socket('/');
          try {
            // The namespace's CONNECT, answered on the poll the server holds.
            await until(
              () => server.posts.length === 1 && server.gets.length === 1,
              3000,
              'the CONNECT packet and the poll',
            );
            const connected = waitFor(socket, 'connect', 3000);
            server.gets.shift()!.end('40{"sid":"sio-sid"}');
            await connected;
            await until(() => probes.length === 1 && server.gets.length === 1, 3000, 'the probe and the next poll');
            if (moment === 'pause') {
              probes[0]!.send('3probe');
              await until(() => !manager.engine.writable, 3000, 'the session pausing for the upgrade');
            }
            assert.equal(timers.pending('polling-transport'), 1, "the probe's deadline, before the close");
            let pollEnded = false;
            server.gets[0]!.once('close', () => (pollEnded = true));
            close(manager);
            assert.equal(timers.pending(), 0, 'no client timer pending once closed');
            await until(
              () => packetsOf(server.posts).at(-1) === '1',
              2000,
              () => `the close packet, got POSTs ${JSON.stringify(server.posts)}`,
            );
            assert.deepEqual(packetsOf(server.posts), packets);
            await until(
              () => closedProbes() === 1 && pollEnded,
              1000,
              () => `the probe WebSocket (${closedProbes()} closed) and the poll (ended: ${pollEnded}) closed`,
            );
            assert.equal(timers.pending(), 0, 'no client timer started since');
            assert.equal(probes.length, 1, 'no probe after the close');
          } finally {
            manager._close();
          }
        });
      });
    }
  }
});
