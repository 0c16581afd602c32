/**
 * Runs a `switchboard` command line in this process with captured output, so a test sees exactly
 * what a user would (exit code, stdout, stderr) without the start-up cost of a child process.
 */
import { runCli } from '../../src/cli/cli.js';
import type { Command } from '../../src/cli/command.js';

/** What a command line printed and how it ended. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `args` to its end with an abort signal the test controls; `isTTY` makes stderr look like a
 * terminal, for the commands that draw live progress there.
 */
export async function runInProcess(
  args: readonly string[],
  { signal = new AbortController().signal, commands, isTTY = false }: RunOptions = {},
): Promise<CliResult> {
  let out = '';
  let err = '';
  const stdout = { write: (text: string) => (out += text) };
  const stderr = { isTTY, write: (text: string) => (err += text) };
  const code = await runCli(args, { stdout, stderr, signal }, commands);
  return { code, out, err };
}

/** Options of {@link runInProcess}. */
export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly commands?: readonly Command[] | undefined;
  readonly isTTY?: boolean;
}
