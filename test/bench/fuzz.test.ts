// The fuzz smoke run: every parser target for about a second, so that `npm run fuzz` cannot rot
// unnoticed and the findings saved by earlier runs stay fixed (they are replayed first).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzz } from '../../bench/fuzz/engine.js';
import { savedFindings } from '../../bench/fuzz/run.js';
import { TARGETS } from '../../bench/fuzz/targets/index.js';

describe('fuzz smoke run', () => {
  test('covers every parser the fuzz run promises', () => {
    const names = TARGETS.map((target) => target.name);
    const parsers = [
      'frames-from-client',
      'frames-from-server',
      'request-head',
      'extensions',
      'engine-io',
      'socket-io',
    ];
    for (const name of parsers) assert.ok(names.includes(name), `missing fuzz target ${name}`);
  });

  for (const target of TARGETS) {
    test(`${target.name}: a second of mutated inputs breaks no invariant`, () => {
      const stats = fuzz(target, { durationMs: 1000, seed: 12, replay: savedFindings(target.name), maxFindings: 1 });
      // Well over the seeds alone, or the loop stopped early.
      assert.ok(stats.iterations > 200, `only ${stats.iterations} inputs in ${stats.seconds.toFixed(1)} s`);
      const [finding] = stats.findings;
      const replay = `npm run fuzz -- --target=${target.name}`;
      assert.equal(
        finding,
        undefined,
        finding && `${finding.message}\ninput: ${Buffer.from(finding.input).toString('hex')} (${replay})`,
      );
    });
  }
});
