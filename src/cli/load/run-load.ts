import { performance } from 'node:perf_hooks';
import type { LoadClient, LoadListener } from './load-clients.js';
import { PayloadMaker, nowMicros } from './payload.js';
import { targetRate, type LoadPlan } from './plan.js';
import { LoadStats, percentOfOneCore, type TimelinePoint } from './stats.js';

/** How often the run opens connections and sends what is due. */
const TICK_MS = 10;
/** Handshakes in flight at once when there is no ramp: enough to open thousands in seconds, few enough not to look like a SYN flood. */
const MAX_OPENING = 256;
/** After the last send, how long replies may still come. */
const DRAIN_MS = 2000;
/** With the broadcast pattern, where the replies to expect are not known: the drain ends after this long without one. */
const QUIET_MS = 250;
/** How long connections get to close in good order before they are dropped. */
const CLOSE_MS = 2000;

/** What a run needs besides its plan. */
export interface RunOptions {
  readonly plan: LoadPlan;
  /** Opens one connection, reporting to `listener`. */
  readonly open: (listener: LoadListener) => Promise<LoadClient>;
  readonly signal: AbortSignal;
  /** Called after each second with its timeline point, for the progress line. */
  readonly onSecond: (point: TimelinePoint, stats: LoadStats) => void;
  /** Says why a connection failed, in a few words. */
  readonly describe: (error: Error) => string;
}

/** How a run ended. */
export type RunOutcome =
  | {
      readonly kind: 'done';
      readonly stats: LoadStats;
      /** Wall time of the sending phase, in ms. */
      readonly elapsedMs: number;
      /** Wall time of the whole run, drain and close included, in ms. */
      readonly totalMs: number;
      readonly interrupted: boolean;
      readonly cpu: { readonly userMs: number; readonly systemMs: number; readonly percentOfOneCore: number };
    }
  /** Not one connection opened: the server is not there, or refuses. */
  | { readonly kind: 'unreachable'; readonly reason: string };

function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (predicate() || performance.now() >= deadline) resolve();
      else setTimeout(check, TICK_MS);
    };
    check();
  });
}

/**
 * Runs a load: opens connections (at the ramp's pace), sends stamped payloads at the planned rate,
 * round-robin over the open connections, times every reply, and stops after the duration (or on
 * the abort signal); then waits a bounded time for the last replies and closes every connection.
 * Sends are open-loop: a slow server does not slow the schedule, so its latency shows.
 */
export async function runLoad({ plan, open, signal, onSecond, describe }: RunOptions): Promise<RunOutcome> {
  const stats = new LoadStats();
  const maker = new PayloadMaker(plan.size);
  const clients: LoadClient[] = [];
  let started = 0;
  let opening = 0;
  let stopping = false;
  let closedAfterStop = 0;
  let firstFailure = '';

  const listener: LoadListener = {
    onReply: (sentAt) => stats.reply(sentAt),
    onClose(client, code, failure) {
      if (stopping) {
        closedAfterStop++;
        return;
      }
      clients.splice(clients.indexOf(client), 1);
      stats.closedEarly++;
      stats.error(failure === undefined ? `closed by the server (${code})` : describe(failure));
    },
  };
  const startOpen = (): void => {
    started++;
    opening++;
    open(listener).then(
      (client) => {
        opening--;
        stats.opened++;
        clients.push(client);
        if (stopping) client.close();
      },
      (error: unknown) => {
        opening--;
        stats.failed++;
        const reason = error instanceof Error ? describe(error) : String(error);
        firstFailure ||= reason;
        stats.error(reason);
      },
    );
  };

  const cpuStart = process.cpuUsage();
  const startedAt = performance.now();
  let last = startedAt;
  let credit = 0;
  let turn = 0;
  let nextSecond = 1;
  const seconds = (): number => (performance.now() - startedAt) / 1000;
  const unreachable = (): boolean => stats.opened === 0 && opening === 0 && stats.failed > 0;

  await new Promise<void>((resolve) => {
    const timer = setInterval(tick, TICK_MS);
    function tick(): void {
      const now = performance.now();
      const elapsed = now - startedAt;
      const dt = now - last;
      last = now;
      if (elapsed >= plan.durationMs || signal.aborted || unreachable()) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due =
        plan.rampPerSecond > 0
          ? Math.min(plan.connections, Math.floor((elapsed * plan.rampPerSecond) / 1000) + 1)
          : plan.connections;
      while (started < due && opening < MAX_OPENING) startOpen();
      if (clients.length > 0) {
        const perSecond = targetRate(plan, clients.length);
        // A stalled tick sends at most a second's worth at once rather than a flood.
        credit = Math.min(credit + (perSecond * dt) / 1000, Math.max(1, perSecond));
        for (; credit >= 1; credit--) {
          const client = clients[turn++ % clients.length]!;
          if (client.send(maker.make(nowMicros()))) stats.sent++;
          else stats.throttled++;
        }
      } else {
        credit = 0;
      }
      while (elapsed >= nextSecond * 1000) onSecond(stats.closeInterval(nextSecond++, clients.length), stats);
    }
  });
  const elapsedMs = performance.now() - startedAt;
  stopping = true;
  if (stats.opened === 0) {
    await until(() => opening === 0, plan.timeoutMs);
    if (stats.opened === 0) return { kind: 'unreachable', reason: firstFailure || 'no connection opened in time' };
  }

  await until(
    () =>
      plan.pattern === 'echo' ? stats.received >= stats.sent : nowMicros() - stats.lastReplyMicros > QUIET_MS * 1000,
    DRAIN_MS,
  );
  for (const client of clients) client.close();
  // Connections still opening are closed as they open, and pushed here to be waited for too.
  await until(() => opening === 0 && closedAfterStop >= clients.length, CLOSE_MS);
  for (const client of clients) client.terminate();
  stats.closeInterval(seconds(), 0);
  const cpu = process.cpuUsage(cpuStart);
  const totalMs = performance.now() - startedAt;
  return {
    kind: 'done',
    stats,
    elapsedMs,
    totalMs,
    interrupted: signal.aborted,
    cpu: {
      userMs: Math.round(cpu.user / 1000),
      systemMs: Math.round(cpu.system / 1000),
      percentOfOneCore: percentOfOneCore(cpu, totalMs / 1000),
    },
  };
}
