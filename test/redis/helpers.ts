/**
 * Helpers of the Redis tests: cluster nodes in child processes (fixtures/redis-node.ts), a private
 * `redis-server` the fault tests may stop, and calls that drive a node through a client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Socket as ClientSocket } from 'socket.io-client';
import { connectedClient, untilCount } from '../ecosystem/services.js';
import { spawnNode, type ChildHandle } from '../helpers/processes.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

/** A node of the cluster under test. */
export interface NodeProcess extends ChildHandle {
  /** Its base URL. */
  readonly url: string;
}

/** Starts a node (see the fixture for the settings `env` takes) and waits until it listens. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const handle = spawnNode(['--import', 'tsx', 'test/redis/fixtures/redis-node.ts'], env);
  try {
    const [, port] = await handle.waitForOutput(/listening (\d+)/, 20_000);
    return { ...handle, url: `http://127.0.0.1:${port}` };
  } catch (err) {
    handle.kill();
    throw err;
  }
}

/** Nodes of one cluster under test, a client on each, and every client the test opened. */
export interface Cluster {
  readonly nodes: readonly NodeProcess[];
  /** One connected client per node, in the order of `nodes`. */
  readonly on: readonly ClientSocket[];
  /** Every client to disconnect at the end: those of `on`, and those the test adds. */
  readonly clients: ClientSocket[];
  /** Disconnects the clients and stops the nodes (SIGKILL for one SIGTERM does not stop). */
  stop(): Promise<void>;
}

/** The settings of the usual pair: node A on node-redis, node B on ioredis. */
export const TWO_NODES = [
  { NAME: 'A', CLIENT: 'node-redis' },
  { NAME: 'B', CLIENT: 'ioredis' },
] as const;

/**
 * Starts one node per entry of `settings` (each with `shared` added), connects a client to each,
 * and resolves once every node counts them all; a node that started is stopped if the rest fails.
 */
export async function startCluster(
  shared: Readonly<Record<string, string>>,
  settings: readonly Readonly<Record<string, string>>[],
): Promise<Cluster> {
  const clients: ClientSocket[] = [];
  const started = await Promise.allSettled(settings.map((node) => startNode({ ...shared, ...node })));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    for (const socket of clients) socket.disconnect();
    await Promise.allSettled(nodes.map((node) => node.stop('SIGTERM').catch(() => node.kill())));
  };
  try {
    const failure = started.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const on = await Promise.all(nodes.map((node) => connectedClient(node.url, clients)));
    for (const socket of on) await untilCount(() => call<number>(socket, 'server count'), nodes.length, 10_000);
    return { nodes, on, clients, stop };
  } catch (err) {
    await stop();
    // What the nodes printed says why they did not meet: their adapters' Redis errors (stdout), a failed start (stderr).
    const printed = started.map((result, i) => {
      if (result.status === 'rejected') return '';
      const node = result.value;
      return `\n--- node ${settings[i]!['NAME'] ?? i}: stdout ---\n${node.stdout()}--- stderr ---\n${node.stderr()}`;
    });
    throw new Error(`${err instanceof Error ? err.message : String(err)}${printed.join('')}`, { cause: err });
  }
}

/** Runs the fixture's `event` on the node `socket` is connected to and returns its result; rejects with its error. */
export async function call<T = unknown>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  const result = (await socket.timeout(8000).emitWithAck(event, ...args)) as { ok?: T; error?: string };
  if (result.error !== undefined) throw new Error(result.error);
  return result.ok as T;
}

/** A free loopback TCP port (free when this resolves; nothing holds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A `redis-server` this test owns: no persistence, on its own port. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Stops it with SIGKILL (as a crash would) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after {@link kill}). */
  restart(): Promise<void>;
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', () => reject(new Error(`redis-server exited:\n${out}`)));
    }),
    'redis-server to start',
    10_000,
  );
  return child;
}

/** Starts a private `redis-server` on a free port. */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined = await spawnRedis(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = waitFor(running, 'exit', 10_000);
      running.kill('SIGKILL');
      await exited;
    },
    async restart() {
      child = await spawnRedis(port);
    },
  };
}

/** A cluster on a Redis of its own, which the test may stop and restart. */
export interface ClusterOnPrivateRedis extends Cluster {
  readonly redis: PrivateRedis;
}

/**
 * Starts a private `redis-server` and {@link TWO_NODES} on it (with `env` added); `stop` stops the
 * nodes, then Redis.
 */
export async function startPairOnPrivateRedis(env: Readonly<Record<string, string>>): Promise<ClusterOnPrivateRedis> {
  const redis = await startRedis();
  let cluster: Cluster;
  try {
    cluster = await startCluster({ ...env, REDIS_URL: redis.url }, TWO_NODES);
  } catch (err) {
    await redis.kill();
    throw err;
  }
  return {
    ...cluster,
    redis,
    async stop() {
      await cluster.stop();
      await redis.kill();
    },
  };
}
