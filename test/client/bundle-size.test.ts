/**
 * The browser bundles stay small: each minified file, gzipped (level 9), within its budget. The
 * WebSocket-only bundle carries no long-polling code (tree-shaking drops what its entry does not
 * offer). Deterministic: the same sources always build the same bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BUNDLE_DIR, buildClientBundle } from '../helpers/client-bundle.js';

/**
 * Bytes each minified bundle may take gzipped: the sizes reached so far plus about 1%, so that
 * growth is noticed. The goal is lower (6 KiB for the whole client, 3 KiB over WebSocket only);
 * lower these numbers as the bundles shrink, never raise them without saying why.
 */
const BUDGETS: Readonly<Record<string, number>> = {
  'socket.io.esm.min.js': 10_196,
  'socket.io.min.js': 10_424,
  'socket.io.websocket.esm.min.js': 8_876,
};

const read = (file: string): Buffer => readFileSync(join(BUNDLE_DIR, file));

before(buildClientBundle);

describe('browser bundle size', () => {
  for (const [file, budget] of Object.entries(BUDGETS)) {
    test(`${file} is at most ${budget} bytes gzipped`, () => {
      const gzipped = gzipSync(read(file), { level: 9 }).length;
      assert.ok(gzipped <= budget, `${file}: ${gzipped} bytes gzipped, over its budget of ${budget}`);
    });
  }

  test('the WebSocket-only bundle holds no long-polling code, the full one does', () => {
    // Only the polling transport asks `fetch` for `same-origin` credentials.
    assert.ok(read('socket.io.esm.min.js').includes('same-origin'));
    assert.ok(!read('socket.io.websocket.esm.min.js').includes('same-origin'));
  });
});
