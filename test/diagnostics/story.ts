/** Runs a diagnostics story (a fixture script that prints "done" when over) in a child process. */
import assert from 'node:assert/strict';
import { spawnNode } from '../helpers/processes.js';

/** Runs `test/diagnostics/fixtures/<fixture>` with `DEBUG` set to `debug` (unset when `undefined`) and returns its stderr. */
export async function storyStderr(fixture: string, debug: string | undefined): Promise<string> {
  const child = spawnNode(['--import', 'tsx', `test/diagnostics/fixtures/${fixture}`], { DEBUG: debug });
  try {
    await child.waitForOutput(/done/, 20_000);
    const exit = await child.exited;
    assert.equal(exit.code, 0, child.stderr());
    return child.stderr();
  } finally {
    child.kill();
  }
}
