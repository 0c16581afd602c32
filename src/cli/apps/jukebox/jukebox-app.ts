import { checkDelay } from '../../../engine/check-delay.js';
import { checkOptionNames } from '../../../engine/options.js';
import { checkInteger } from '../../../protocol/index.js';
import { namedNamespace, serveEvents, type NamedData, type Refusal, type Reply } from '../app-events.js';
import type { DemoApp, DemoAppContext } from '../demo-app.js';
import { CATALOG, type Track } from './catalog.js';
import { JukeboxState } from './jukebox-state.js';

/** Options of the Jukebox app. */
export interface JukeboxOptions {
  /**
   * Plays every track for this many ms instead of its own length (tests and demos that should not
   * wait minutes for the next track). @default each track's own length
   */
  readonly trackLength?: number;
  /** Most requested tracks waiting at once. @default 20 */
  readonly maxQueue?: number;
  /** Most tracks one listener may have waiting. @default 3 */
  readonly maxRequestsPerListener?: number;
  /** How often every page is told where the track playing is, to correct its progress bar (ms). @default 5000 */
  readonly tickInterval?: number;
  /** Notifications kept for listeners who arrive later. @default 20 */
  readonly recentNotices?: number;
  /** The clock of the track positions and rate limits. @default Date.now */
  readonly now?: () => number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'trackLength',
  'maxQueue',
  'maxRequestsPerListener',
  'tickInterval',
  'recentNotices',
  'now',
]);

/** The namespace of the Jukebox app. */
export const JUKEBOX_NAMESPACE = '/jukebox';

/** A notification every listener sees: "Ada liked …". */
export interface JukeboxNotice {
  /** `~<n>`, increasing: a page that gets one twice (after a reconnection) shows it once. */
  readonly id: string;
  readonly text: string;
  readonly at: number;
}

function quoted(track: Track): string {
  return `“${track.title}”`;
}

/**
 * The Jukebox (namespace `/jukebox`): the track playing with its progress, the queue, tracks to
 * request from a built-in catalog, a like per listener and track, and a vote to skip that skips
 * once half of the listeners (rounded up) have voted. Every action is pushed at once to every
 * listener as a notification, and the whole state with it; a page that arrives later gets the
 * state and the recent notifications. Tracks advance on the server, with one timer for the track
 * playing and one for the position ticks.
 *
 * @example
 * const app = createJukeboxApp({ io, shutdownTimeout: 2000 }, { trackLength: 30_000 });
 */
export function createJukeboxApp(context: DemoAppContext, options: JukeboxOptions = {}): DemoApp {
  checkOptionNames(options, OPTION_NAMES, 'jukebox');
  const now = options.now ?? Date.now;
  const state = new JukeboxState(
    CATALOG,
    {
      maxQueue: checkInteger('maxQueue', options.maxQueue ?? 20, 1),
      maxRequestsPerListener: checkInteger('maxRequestsPerListener', options.maxRequestsPerListener ?? 3, 1),
      trackLength: options.trackLength === undefined ? undefined : checkDelay('trackLength', options.trackLength),
    },
    now,
  );
  const tickInterval = checkDelay('tickInterval', options.tickInterval ?? 5000);
  const recentLimit = checkInteger('recentNotices', options.recentNotices ?? 20, 0);
  const recent: JukeboxNotice[] = [];
  let noticeCount = 0;
  const nsp = namedNamespace<NamedData>(context.io, JUKEBOX_NAMESPACE);

  function notify(text: string): void {
    const notice: JukeboxNotice = { id: `~${++noticeCount}`, text, at: now() };
    recent.push(notice);
    if (recent.length > recentLimit) recent.shift();
    // Local: in a cluster (`serve --redis`) every node plays its own jukebox, so what one node
    // plays must not reach the listeners of the others.
    nsp.local.emit('notice', notice);
  }

  function publish(): void {
    nsp.local.emit('state', state.snapshot());
  }

  let trackTimer: NodeJS.Timeout | undefined;
  function schedule(): void {
    clearTimeout(trackTimer);
    trackTimer = setTimeout(() => {
      play();
      publish();
    }, state.remaining());
  }

  /** Starts the next track and tells everyone. */
  function play(): void {
    const { track, requestedBy } = state.advance();
    notify(
      requestedBy === undefined
        ? `Now playing ${quoted(track)} by ${track.artist}`
        : `Now playing ${quoted(track)}, requested by ${requestedBy}`,
    );
    schedule();
  }

  function skipIfVoted(): void {
    if (!state.shouldSkip()) return;
    notify(`Skipped ${quoted(state.current)}`);
    play();
  }

  function act(name: string, event: 'like' | 'skip' | 'request', payload: unknown): Reply | Refusal {
    switch (event) {
      case 'like': {
        const liked = state.like(name, payload);
        if (!liked.ok) return liked;
        notify(`${name} liked ${quoted(liked.track)}`);
        publish();
        return { ok: true, likes: liked.likes };
      }
      case 'skip': {
        const voted = state.voteSkip(name, payload);
        if (!voted.ok) return voted;
        notify(`${name} voted to skip ${quoted(voted.track)}: skip ${voted.votes}/${voted.needed}`);
        skipIfVoted();
        publish();
        return { ok: true, votes: voted.votes, needed: voted.needed, skipped: voted.votes >= voted.needed };
      }
      case 'request': {
        const requested = state.request(name, payload);
        if (!requested.ok) return requested;
        notify(`${name} requested ${quoted(requested.track)}`);
        publish();
        return { ok: true, position: requested.position };
      }
    }
  }

  nsp.on('connection', (socket) => {
    const name = socket.data.name;
    serveEvents(
      socket,
      {
        like: (payload) => act(name, 'like', payload),
        skip: (payload) => act(name, 'skip', payload),
        request: (payload) => act(name, 'request', payload),
      },
      now,
    );
    socket.on('disconnect', () => {
      state.removeListener(name);
      // Fewer listeners need fewer votes: those already cast may now be enough.
      skipIfVoted();
      publish();
    });
    state.addListener(name);
    socket.emit('welcome', { catalog: CATALOG, state: state.snapshot(), notices: recent });
    publish();
  });

  schedule();
  const ticker = setInterval(() => {
    nsp.local.volatile.emit('tick', { trackId: state.current.id, position: state.position() });
  }, tickInterval);

  return {
    name: 'jukebox',
    close() {
      clearTimeout(trackTimer);
      clearInterval(ticker);
      return Promise.resolve();
    },
  };
}
