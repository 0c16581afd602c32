import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { ROOT } from '../lib/children.js';

/** The size of one bundle file, in bytes. */
export interface BundleSize {
  readonly file: string;
  readonly minified: number;
  /** gzip at level 9, as a server compressing static files ahead of time would send it. */
  readonly gzipped: number;
}

/** One of our browser bundles next to the official bundle it replaces. */
export interface BundleComparison {
  readonly id: string;
  readonly label: string;
  readonly ours: BundleSize;
  readonly theirs: BundleSize;
}

/** Which of our bundles stands against which official one; the WebSocket-only build when it exists. */
const PAIRS = [
  { id: 'esm', label: 'ES module, minified', ours: 'socket.io.esm.min.js', theirs: 'socket.io.esm.min.js' },
  {
    id: 'esm-websocket',
    label: 'ES module, minified; ours WebSocket-only',
    ours: 'socket.io.websocket.esm.min.js',
    theirs: 'socket.io.esm.min.js',
  },
  { id: 'global', label: 'global `io` script, minified', ours: 'socket.io.min.js', theirs: 'socket.io.min.js' },
] as const;

/** Where the official client's browser bundles are. */
export const OFFICIAL_BUNDLES = join(ROOT, 'node_modules', 'socket.io-client', 'dist');

function sizeOf(directory: string, file: string): BundleSize {
  const bytes = readFileSync(join(directory, file));
  return {
    file,
    minified: bytes.length,
    gzipped: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length,
  };
}

/**
 * Builds our browser bundles from the working tree (`scripts/build-client.mjs`) into a directory
 * of its own, and sizes each against the official bundle of the same kind. A bundle we do not
 * build is left out.
 */
export function compareBundleSizes(): BundleComparison[] {
  const out = mkdtempSync(join(tmpdir(), 'switchboard-client-size-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-client.mjs'), '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return PAIRS.filter((pair) => existsSync(join(out, pair.ours))).map((pair) => ({
      id: pair.id,
      label: pair.label,
      ours: sizeOf(out, pair.ours),
      theirs: sizeOf(OFFICIAL_BUNDLES, pair.theirs),
    }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
