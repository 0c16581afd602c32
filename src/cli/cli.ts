import { ExitCode, UsageError, type Command, type CommandContext } from './command.js';
import { commands as allCommands } from './commands/index.js';
import { packageVersion } from './commands/version.js';

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `Usage: switchboard <command> [options]

Real-time messaging for Node.js: the demo apps, a terminal client, a load generator and a sensor simulator.

Commands:
${list}

Run "switchboard <command> --help" for a command's options.
Options: -h, --help (this text), -v, --version (the version).
`;
}

/** Whether the arguments ask for help: `--help` or `-h` anywhere before a `--` terminator. */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

function isParseError(error: unknown): error is Error {
  return error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS');
}

/**
 * Runs the `switchboard` command line: picks the subcommand, answers `--help` and `--version`,
 * turns bad arguments into a message and exit code 2, and resolves with the exit code.
 *
 * @example
 * const controller = new AbortController();
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
 */
export async function runCli(
  args: readonly string[],
  context: CommandContext,
  commands: readonly Command[] = allCommands,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    (name === undefined ? context.stderr : context.stdout).write(overview(commands));
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    context.stdout.write(`${await packageVersion()}\n`);
    return ExitCode.Ok;
  }
  if (name === 'help') {
    const topic = commands.find((command) => command.name === rest[0]);
    context.stdout.write(topic?.help ?? overview(commands));
    return rest.length === 0 || topic !== undefined ? ExitCode.Ok : ExitCode.Usage;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    context.stderr.write(`switchboard: unknown command "${name}"\n\n${overview(commands)}`);
    return ExitCode.Usage;
  }
  if (wantsHelp(rest)) {
    context.stdout.write(command.help);
    return ExitCode.Ok;
  }
  try {
    return await command.run(rest, context);
  } catch (error) {
    if (error instanceof UsageError || isParseError(error)) {
      context.stderr.write(
        `switchboard ${command.name}: ${error.message}\nRun "switchboard ${command.name} --help" for usage.\n`,
      );
      return ExitCode.Usage;
    }
    throw error;
  }
}
