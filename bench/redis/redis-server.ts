import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/** The private Redis of a cluster benchmark, and what it reports about its own work. */
export interface BenchRedis {
  readonly url: string;
  /** Calls per command since Redis started (`INFO commandstats`), by command name. */
  commandCalls(): Promise<Map<string, number>>;
  /** CPU time Redis has used since it started (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start redis-server (is it installed?): ${error.message}`));
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited:\n${output}`));
    });
  });
}

/** The `field:value` lines of an INFO reply, by field. */
function infoFields(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Starts a `redis-server` of the benchmark's own on a free loopback port, without persistence:
 * its command counts and CPU time then belong to the cluster under test alone, which a shared
 * Redis (other programs, other test runs) would not guarantee.
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const killNow = (): void => void child.kill('SIGKILL');
  process.once('exit', killNow);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitUntilReady(child);
  } catch (error) {
    killNow();
    throw error;
  }
  const url = `redis://127.0.0.1:${port}`;
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    url,
    async commandCalls() {
      const calls = new Map<string, number>();
      for (const [field, value] of infoFields(await client.info('commandstats'))) {
        const count = /(?:^|,)calls=(\d+)/.exec(value);
        if (field.startsWith('cmdstat_') && count !== null) calls.set(field.slice(8), Number(count[1]));
      }
      return calls;
    },
    async cpuMicros() {
      const fields = infoFields(await client.info('cpu'));
      return (Number(fields.get('used_cpu_user')) + Number(fields.get('used_cpu_sys'))) * 1e6;
    },
    async close() {
      client.destroy();
      process.off('exit', killNow);
      killNow();
      await exited;
    },
  };
}
