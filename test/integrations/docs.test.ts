import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/processes.js';

// docs/integrations.md shows each example whole, under a link to its file: what readers copy is
// what the tests run.

const EXAMPLES = join(REPO_ROOT, 'examples', 'integrations');
const doc = readFileSync(join(REPO_ROOT, 'docs', 'integrations.md'), 'utf8');

/** Each `[examples/integrations/<file>](...):` link followed by a js code block, as file → code. */
function shownExamples(): Map<string, string> {
  const shown = new Map<string, string>();
  for (const match of doc.matchAll(/^\[examples\/integrations\/([\w.-]+)\]\([^)]*\):\n\n```js\n([\s\S]*?)```$/gm)) {
    assert.ok(!shown.has(match[1]!), `${match[1]} is shown twice`);
    shown.set(match[1]!, match[2]!);
  }
  return shown;
}

test('docs/integrations.md shows every integration example, each exactly as its file holds it', () => {
  const files = readdirSync(EXAMPLES)
    .filter((name) => name.endsWith('.mjs'))
    .sort();
  const shown = shownExamples();
  assert.deepEqual([...shown.keys()].sort(), files);
  for (const [file, code] of shown)
    assert.equal(code, readFileSync(join(EXAMPLES, file), 'utf8'), `${file} differs from its copy in the doc`);
});
