import { readFile } from 'node:fs/promises';
import { ExitCode, UsageError, type Command } from '../command.js';

/** The package manifest, two levels above `cli/commands/` in `src/` and `dist/` alike. */
const manifestUrl = new URL('../../../package.json', import.meta.url);

/** Reads the version of the installed Switchboard package. */
export async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(manifestUrl, 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no version');
  return manifest.version;
}

/** `switchboard version`: prints the package version and the Node.js version it runs on. */
export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the Switchboard and Node.js versions',
  help: `Usage: switchboard version

Prints the Switchboard version, then the Node.js version, one per line.
`,
  async run(args, { stdout }) {
    if (args.length > 0) throw new UsageError(`version takes no arguments, got ${args.join(' ')}`);
    stdout.write(`switchboard ${await packageVersion()}\nnode ${process.version}\n`);
    return ExitCode.Ok;
  },
};
