import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZlibLimiter, defaultZlibLimiter } from '../../src/ws/zlib-limiter.js';

describe('ZlibLimiter', () => {
  it('never runs more jobs than its concurrency, and runs them in queue order', async () => {
    const limiter = new ZlibLimiter(3);
    const started: number[] = [];
    let peak = 0;
    await new Promise<void>((resolve) => {
      let finished = 0;
      for (let i = 0; i < 40; i++) {
        limiter.run((done) => {
          started.push(i);
          peak = Math.max(peak, limiter.active);
          // Finish after a varying number of turns so slots free up out of order.
          setTimeout(() => {
            done();
            if (++finished === 40) resolve();
          }, i % 5);
        });
      }
      assert.equal(limiter.active, 3);
      assert.equal(limiter.pending, 37);
    });
    assert.equal(peak, 3);
    assert.deepEqual(
      started,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.equal(limiter.active, 0);
    assert.equal(limiter.pending, 0);
  });

  it('handles jobs that finish synchronously without recursing', () => {
    const limiter = new ZlibLimiter(1);
    let count = 0;
    for (let i = 0; i < 100_000; i++) {
      limiter.run((done) => {
        count++;
        done();
      });
    }
    assert.equal(count, 100_000);
    assert.equal(limiter.active, 0);
  });

  it('ignores a second call of done', async () => {
    const limiter = new ZlibLimiter(1);
    const order: string[] = [];
    let release: () => void = () => {};
    limiter.run((done) => {
      order.push('a');
      done();
      done();
    });
    limiter.run((done) => {
      order.push('b');
      release = done;
    });
    limiter.run((done) => {
      order.push('c');
      done();
    });
    // A double `done` from job a must not have freed a slot for c while b runs.
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(limiter.active, 1);
    release();
    assert.deepEqual(order, ['a', 'b', 'c']);
  });

  it('frees the slot of a job that throws', () => {
    const limiter = new ZlibLimiter(1);
    assert.throws(() =>
      limiter.run(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(limiter.active, 0);
    let ran = false;
    limiter.run((done) => {
      ran = true;
      done();
    });
    assert.ok(ran);
  });

  it('starts queued jobs when concurrency is raised', () => {
    const limiter = new ZlibLimiter(1);
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i++) limiter.run((done) => releases.push(done));
    assert.equal(releases.length, 1);
    limiter.concurrency = 4;
    assert.equal(releases.length, 4);
    for (const release of releases.splice(0)) release();
    assert.equal(limiter.active, 1);
    releases[0]!();
    assert.equal(limiter.active, 0);
  });

  it('rejects a concurrency that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new ZlibLimiter(bad), TypeError);
      assert.throws(() => {
        defaultZlibLimiter.concurrency = bad;
      }, TypeError);
    }
    assert.equal(defaultZlibLimiter.concurrency, 10);
  });
});
