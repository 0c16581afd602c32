#!/usr/bin/env node
/**
 * The `switchboard` executable: runs the command line with the process's arguments and streams,
 * and turns the first SIGINT or SIGTERM into a clean shutdown (a second one exits at once).
 */
import { runCli } from './cli.js';

// A reader that went away (`switchboard serve | head -1`) must not crash a server that is still
// serving: later writes to the closed pipe are dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) {
      process.stderr.write(`switchboard: second ${signal}, exiting without waiting\n`);
      // 128 + the signal number, as shells report a process killed by a signal.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    controller.abort();
  });
}

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  });
} catch (error) {
  process.stderr.write(`switchboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
