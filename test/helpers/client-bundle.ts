import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes.js';

/** Where `scripts/build-client.mjs` writes the browser bundles, and where the server reads them. */
export const BUNDLE_DIR = join(REPO_ROOT, 'bundle') + '/';

let building: Promise<void> | undefined;

/**
 * Builds the client's browser bundles from the sources under test, once per test process (`npm
 * test` builds them before any file runs; this covers a file run alone).
 */
export function buildClientBundle(): Promise<void> {
  building ??= promisify(execFile)(process.execPath, [join(REPO_ROOT, 'scripts', 'build-client.mjs')], {
    timeout: 60_000,
  }).then(() => undefined);
  return building;
}
