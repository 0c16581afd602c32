import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** Where `scripts/build-client.mjs` writes the browser bundles, and where the server reads them. */
export const BUNDLE_DIR = resolve('bundle') + '/';

let building: Promise<void> | undefined;

/**
 * Builds the client's browser bundles from the sources under test, once per test process (`npm
 * test` builds them before any file runs; this covers a file run alone).
 */
export function buildClientBundle(): Promise<void> {
  building ??= promisify(execFile)(process.execPath, [join('scripts', 'build-client.mjs')], { timeout: 60_000 }).then(
    () => undefined,
  );
  return building;
}
