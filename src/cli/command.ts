/** Where a command writes its output. */
export interface TextSink {
  write(text: string): unknown;
}

/** What a command gets besides its arguments. */
export interface CommandContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM); long-running commands shut down cleanly then. */
  readonly signal: AbortSignal;
}

/**
 * One `switchboard` subcommand. Each lives in its own file under `commands/` and is listed once
 * in `commands/index.ts`; the dispatcher needs nothing else to offer it, print its help and run it.
 */
export interface Command {
  /** The word that selects the command: `switchboard <name>`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs the command and resolves with the process exit code. Throws {@link UsageError} for bad arguments. */
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

/** Exit codes of the `switchboard` command. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and failed (a port in use, say). */
  Failure: 1,
  /** The command line was wrong. */
  Usage: 2,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command line the command cannot make sense of; the dispatcher prints it with a pointer to `--help`. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
