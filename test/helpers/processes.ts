/**
 * Child processes for tests: spawn one, wait for a line of its output, stop it with a signal
 * and a deadline. Every wait is bounded; `kill()` in an `after` hook makes sure no child
 * outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where the CLI's sources and `package.json` live. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a child ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child with its output so far. */
export interface ChildHandle {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in stdout; rejects after `timeoutMs` or if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit; rejects if the process is still running after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** Kills the process (SIGKILL) if it still runs; for cleanup hooks. */
  kill(): void;
}

/** Spawns `node` with the given arguments in the repository root. */
export function spawnNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildHandle {
  const child = spawn(process.execPath, [...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const outputListeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const listener of outputListeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running = false;
      for (const listener of outputListeners) listener();
      resolve({ code, signal });
    });
  });

  function describe(): string {
    return `\n--- stdout ---\n${out}\n--- stderr ---\n${err}`;
  }

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = out.match(pattern);
          if (match) finish(() => resolve(match));
          else if (!running) finish(() => reject(new Error(`process exited before printing ${pattern}${describe()}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms${describe()}`))),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          outputListeners.delete(check);
          settle();
        };
        outputListeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (running) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`process still running ${timeoutMs} ms after ${signal}${describe()}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (running) child.kill('SIGKILL');
    },
  };
}

/** Runs the `switchboard` command from its TypeScript sources. */
export function spawnCli(args: readonly string[], env?: NodeJS.ProcessEnv): ChildHandle {
  return spawnNode(['--import', 'tsx', 'src/cli/main.ts', ...args], env);
}

/** A `switchboard serve` child listening on a free loopback port. */
export interface ServeProcess extends ChildHandle {
  /** The base URL it printed, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
}

/** Starts `switchboard serve --port 0 --host 127.0.0.1` (plus `args`) and waits for the URL it prints. */
export async function startServe(args: readonly string[] = []): Promise<ServeProcess> {
  const handle = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args]);
  try {
    const [, url] = await handle.waitForOutput(/listening on (http:\/\/\S+)/);
    return { ...handle, url: url! };
  } catch (error) {
    handle.kill();
    throw error;
  }
}
