/**
 * The services the ecosystem tests talk to (Redis, PostgreSQL) and how a test skips when one is
 * absent: with a message, except under `CI=true`, where an absent service fails the test.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { until, waitFor } from '../helpers/wait.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const POSTGRES = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' } as const;

/** Whether something accepts TCP connections on 127.0.0.1:`port` (within a second). */
function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The `skip` option of a test needing `service` on `port`: a message when absent, `false` when present or under CI. */
export async function skipUnlessReachable(service: string, port: number): Promise<string | false> {
  if (process.env['CI'] === 'true' || (await reachable(port))) return false;
  return `${service} is not reachable on 127.0.0.1:${port} (set CI=true to make this a failure)`;
}

/** The major version of the `redis-server` on the PATH (0 when there is none). */
export function redisMajorVersion(): number {
  try {
    const version = /v=(\d+)\./.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }));
    return Number(version?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A name no other test run uses, for Redis keys, channels and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Resolves once `count()` reaches `expected` (nodes of a cluster finding each other); rejects after `timeout` ms. */
export async function untilCount(count: () => Promise<number>, expected: number, timeout = 5000): Promise<void> {
  let last: number | undefined;
  await until(
    async () => (last = await count()) === expected,
    timeout,
    () => `${expected}, still ${last}`,
  );
}

/** Connects an official client (no reconnection) and resolves once it is connected. */
export async function connectedClient(url: string, clients: ClientSocket[]): Promise<ClientSocket> {
  const socket = connectClient(url, { forceNew: true, reconnection: false, transports: ['websocket'], timeout: 3000 });
  clients.push(socket);
  await waitFor(socket, 'connect');
  return socket;
}

/** Resolves with the arguments of the next `event` of every socket, each within `ms`. */
export function nextOnEach(sockets: readonly ClientSocket[], event: string, ms = 3000): Promise<unknown[][]> {
  return Promise.all(sockets.map((socket) => waitFor(socket, event, ms)));
}
