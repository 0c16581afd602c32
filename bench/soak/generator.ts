/**
 * A client process of the soak run: `generator.ts <ws|io> <port> <local address>`. On `open` it
 * opens its idle connections, then starts every other role of its plan (see `roles.ts`); `sample`
 * reports its healthy clients' latency since the previous sample, `finish` stops every loop, drops
 * every connection and reports what each role got.
 */
import { announce, serveRequests } from '../lib/child-ipc.js';
import { LatencyHistogram } from '../lib/histogram.js';
import type { SoakPeer } from './peer.js';
import {
  Role,
  type GeneratorRequest,
  type GeneratorResult,
  type GeneratorSample,
  type RoleOutcome,
  type RolePlan,
  type SoakServerKind,
} from './protocol.js';
import { ROLES, openIdle, type RoleContext } from './roles.js';

/** Handshakes in flight at once while the idle connections open. */
const OPEN_CONCURRENCY = 64;
/** How long `finish` waits for the loops to notice the end before answering anyway. */
const FINISH_TIMEOUT_MS = 5000;

const [kind, port, localAddress] = process.argv.slice(2) as [SoakServerKind, string, string];
if ((kind !== 'ws' && kind !== 'io') || !(Number(port) > 0) || localAddress === undefined) {
  throw new Error('usage: generator.ts <ws|io> <port> <local address>');
}

let stopping = false;
let stop: () => void = () => undefined;
const stopped = new Promise<void>((resolve) => (stop = resolve));
/** Pauses in progress, ended early when the run stops. */
const pauses = new Set<() => void>();
const peers = new Set<SoakPeer>();
const latency = { interval: new LatencyHistogram(), total: new LatencyHistogram(), lost: 0 };
let lostReported = 0;
const context: RoleContext = {
  kind,
  port: Number(port),
  localAddress,
  stopping: () => stopping,
  stopped,
  pause: (ms) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const end = (): void => {
        clearTimeout(timer);
        pauses.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      pauses.add(end);
    }),
  latency,
  peers,
};
const outcomes = new Map<Role, RoleOutcome>();
const loops: Promise<void>[] = [];

function outcomeOf(role: Role): RoleOutcome {
  let outcome = outcomes.get(role);
  if (outcome === undefined) outcomes.set(role, (outcome = { attempts: 0, outcomes: {} }));
  return outcome;
}

async function open(plan: RolePlan): Promise<{ opened: number }> {
  loops.push(...(await openIdle(context, outcomeOf(Role.Idle), plan[Role.Idle] ?? 0, OPEN_CONCURRENCY)));
  const others = (Object.entries(plan) as [Role, number][]).filter(([role]) => role !== Role.Idle);
  for (const [role, count] of others) {
    for (let i = 0; i < count; i++) loops.push(ROLES[role](context, outcomeOf(role)));
  }
  return { opened: peers.size };
}

async function finish(): Promise<GeneratorResult> {
  stopping = true;
  stop();
  for (const end of [...pauses]) end();
  for (const peer of peers) peer.destroy();
  await Promise.race([Promise.allSettled(loops), new Promise((resolve) => setTimeout(resolve, FINISH_TIMEOUT_MS))]);
  return { roles: Object.fromEntries(outcomes), latency: latency.total.summary(), lost: latency.lost };
}

serveRequests<GeneratorRequest>((request) => {
  switch (request.type) {
    case 'open':
      return open(request.plan);
    case 'sample': {
      const sample: GeneratorSample = {
        latency: latency.interval.summary(),
        lost: latency.lost - lostReported,
        open: peers.size,
      };
      latency.interval.reset();
      lostReported = latency.lost;
      return sample;
    }
    case 'finish':
      return finish();
  }
});
announce({ type: 'ready' });
