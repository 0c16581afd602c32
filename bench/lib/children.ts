import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply } from './protocol.js';

/** The repository root, where `--import tsx` resolves. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Path of `taskset` when it is installed, to pin processes to cores. */
export const TASKSET = findExecutable('taskset');

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** How to start a child. */
export interface ChildOptions {
  /** A label for error messages. */
  readonly name: string;
  /** The TypeScript entry point, relative to the repository root (its compiled twin runs when there is one). */
  readonly script: string;
  readonly args?: readonly string[];
  /** The core to pin the process to (when taskset exists). */
  readonly core?: number | undefined;
  readonly env?: Readonly<Record<string, string>>;
  readonly nodeOptions?: readonly string[];
  /** How long the child may take to announce itself. @default 20000 */
  readonly readyTimeoutMs?: number;
}

const live = new Set<BenchChild>();
let compiled: string | undefined;

/**
 * Runs children from JavaScript compiled into `directory` (see compileForBenchmarks) with plain
 * `node`, instead of from the TypeScript sources through tsx.
 */
export function runCompiledFrom(directory: string): void {
  compiled = directory;
}

/**
 * A benchmark child process (server or load generator) reached over IPC: requests go out with an
 * id, replies come back with it. Every child is tracked so the runner can kill them all, by PID,
 * when it finishes or is interrupted.
 */
export class BenchChild {
  private readonly process: ChildProcess;
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  private exitError: Error | undefined;
  /** Resolves with the child's `ready` message. */
  readonly ready: Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;

  constructor(private readonly options: ChildOptions) {
    const entry =
      compiled === undefined
        ? ['--import', 'tsx', options.script]
        : [join(compiled, options.script.replace(/\.ts$/, '.js'))];
    const nodeArgs = [...(options.nodeOptions ?? []), ...entry, ...(options.args ?? [])];
    const [command, args] =
      TASKSET !== undefined && options.core !== undefined
        ? [TASKSET, ['-c', String(options.core), process.execPath, ...nodeArgs]]
        : [process.execPath, nodeArgs];
    this.process = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this);
    let onReady: (message: Record<string, unknown>) => void = () => {};
    let onNotReady: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      onNotReady = reject;
    });
    this.ready.catch(() => {});
    const readyTimer = setTimeout(
      () => onNotReady(new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 20_000} ms`)),
      options.readyTimeoutMs ?? 20_000,
    );
    this.process.on('message', (message: Reply | { type: string }) => {
      if ('id' in message) {
        const waiting = this.pending.get(message.id);
        if (waiting === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.ok) waiting.resolve(message.result);
        else waiting.reject(new Error(`${options.name}: ${message.error}`));
      } else if (message.type === 'ready') {
        clearTimeout(readyTimer);
        onReady(message as Record<string, unknown>);
      }
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        live.delete(this);
        clearTimeout(readyTimer);
        this.exitError = new Error(`${options.name} exited (${signal ?? `code ${code}`})`);
        onNotReady(this.exitError);
        for (const waiting of this.pending.values()) {
          clearTimeout(waiting.timer);
          waiting.reject(this.exitError);
        }
        this.pending.clear();
        resolve();
      });
    });
    this.process.on('error', (error) => onNotReady(error));
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitError === undefined;
  }

  /** Sends a request and waits for its reply, at most `timeoutMs`. */
  request<T>(body: { readonly type: string } & Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
    if (this.exitError !== undefined) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.options.name}: no reply to ${body.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.process.send({ ...body, id });
    });
  }

  /** Kills the process (SIGKILL, by its PID) and waits for it to exit. */
  async kill(): Promise<void> {
    this.killNow();
    await this.exited;
  }

  /** Sends SIGKILL to the process, by its PID, without waiting. */
  killNow(): void {
    if (this.alive) this.process.kill('SIGKILL');
  }
}

/** Kills every child still running; used on exit, error and interruption. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.kill()));
}

/** Synchronous last resort for the `exit` event, where nothing can be awaited. */
export function killAllChildrenNow(): void {
  for (const child of live) child.killNow();
}

/**
 * Runs a command's `main` so that the child processes it starts are stopped however it ends: when
 * it returns or throws (the exit code is then 1), on SIGINT or SIGTERM (130), and, as a last
 * resort, at exit. `what` names them in the message an interruption prints.
 */
export async function runStoppingChildren(main: () => Promise<void>, what: string): Promise<void> {
  process.on('exit', killAllChildrenNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the ${what}`);
      void killAllChildren().finally(() => process.exit(130));
    });
  }
  try {
    await main();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await killAllChildren();
  }
}
