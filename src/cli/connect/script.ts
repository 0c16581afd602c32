import { readFile } from 'node:fs/promises';
import { ExitCode, UsageError, type TextSink } from '../command.js';
import type { Endpoint, Incoming } from './endpoint.js';
import { parseStep, type Mode, type Step } from './steps.js';
import type { Transcript } from './transcript.js';

/** A step and where it was written, for messages. */
export interface ScriptStep {
  readonly step: Step;
  /** `line 3` of a script file, or the `--execute` argument. */
  readonly where: string;
}

/**
 * Parses the script of `--execute` commands (one per argument) or of a `--script` file (one per
 * line; blank lines and lines starting with `#` are skipped), before anything is sent.
 *
 * @throws UsageError naming the line or argument at fault.
 */
export async function loadScript(
  commands: readonly string[],
  file: string | undefined,
  mode: Mode,
  expectTimeoutMs: number,
): Promise<ScriptStep[]> {
  if (file !== undefined && commands.length > 0) throw new UsageError('give --execute or --script, not both');
  const lines =
    file === undefined
      ? commands.map((text) => ({ text, where: `--execute "${text}"` }))
      : (await readScript(file)).map((text, index) => ({ text, where: `${file} line ${index + 1}` }));
  const steps: ScriptStep[] = [];
  for (const { text, where } of lines) {
    if (file !== undefined && (text.trim() === '' || text.trimStart().startsWith('#'))) continue;
    try {
      steps.push({ step: parseStep(text, mode, expectTimeoutMs), where });
    } catch (error) {
      throw error instanceof UsageError ? new UsageError(`${where}: ${error.message}`) : error;
    }
  }
  return steps;
}

async function readScript(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new UsageError(`--script: cannot read "${file}": ${(error as Error).message}`);
  });
  return text.split(/\r?\n/);
}

/**
 * What arrived and was not yet matched by an `expect`, and who waits for the next arrival. An
 * `expect` takes the first unmatched line that matches, with every line before it, so a reply that
 * came while the script was still sending is not missed.
 */
class Inbox {
  private readonly lines: Incoming[] = [];
  private wake: (() => void) | undefined;
  closed = false;

  push(incoming: Incoming): void {
    this.lines.push(incoming);
    this.wake?.();
  }

  end(): void {
    this.closed = true;
    this.wake?.();
  }

  take(pattern: RegExp): boolean {
    const index = this.lines.findIndex((incoming) => pattern.test(incoming.text));
    if (index !== -1) this.lines.splice(0, index + 1);
    return index !== -1;
  }

  /** Resolves at the next arrival or close, after `ms`, or when `signal` aborts. */
  next(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}

/** What a script run needs besides its steps. */
export interface ScriptRun {
  readonly endpoint: Endpoint;
  readonly transcript: Transcript;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly signal: AbortSignal;
}

/**
 * Runs `steps` against an open endpoint and resolves with the exit code: 0 when every step ran and
 * every `expect` matched, 1 when one did not match in time or the connection failed. The
 * connection is closed at the end if the script did not close it.
 */
export async function runScript(steps: readonly ScriptStep[], run: ScriptRun): Promise<number> {
  const { endpoint, transcript, stderr, signal } = run;
  const inbox = new Inbox();
  endpoint.listen((incoming) => {
    transcript.incoming(incoming);
    inbox.push(incoming);
  });
  void endpoint.closed.then(() => inbox.end());
  const fail = (message: string): number => {
    stderr.write(`switchboard connect: ${message}\n`);
    return ExitCode.Failure;
  };
  let code: number = ExitCode.Ok;
  for (const { step, where } of steps) {
    if (signal.aborted) {
      code = fail('interrupted');
      break;
    }
    if (step.kind === 'wait') {
      await sleep(step.ms, signal);
    } else if (step.kind === 'print') {
      run.stdout.write(`${step.text}\n`);
    } else if (step.kind === 'expect') {
      if (!(await expect(inbox, step.pattern, step.timeoutMs, signal))) {
        const why = inbox.closed ? 'the connection closed first' : `nothing matched within ${step.timeoutMs} ms`;
        code = fail(`${where}: expected ${String(step.pattern)}, but ${why}`);
        break;
      }
    } else if (inbox.closed) {
      code = fail(`${where}: the connection is already closed`);
      break;
    } else {
      transcript.sent(endpoint.perform(step));
    }
  }
  if (!inbox.closed) endpoint.close();
  const closed = await endpoint.closed;
  transcript.note(closed.description);
  return code === ExitCode.Ok && !closed.clean ? ExitCode.Failure : code;
}

async function expect(inbox: Inbox, pattern: RegExp, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!inbox.take(pattern)) {
    const left = deadline - Date.now();
    if (left <= 0 || inbox.closed || signal.aborted) return false;
    await inbox.next(left, signal);
  }
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
