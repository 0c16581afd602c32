import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameCounter } from '../../bench/lib/frame-counter.js';
import { LatencyHistogram } from '../../bench/lib/histogram.js';

/** An unmasked server frame (RFC 6455 §5.2) with the given opcode and payload. */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = length;
  else if (length < 0x10000) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeUInt32BE(0, 2);
    header.writeUInt32BE(length, 6);
  }
  return Buffer.concat([header, payload]);
}

function payload(length: number, tag: number): Buffer {
  const bytes = Buffer.alloc(length, 0x61);
  if (length >= 4) bytes.writeUInt32LE(tag, 0);
  return bytes;
}

const SIZES = [0, 1, 4, 125, 126, 127, 65535, 65536, 70000];

/** Every length encoding, with a ping and a pong between data frames. */
function stream(): { bytes: Buffer; dataFrames: number; tags: number[] } {
  const parts: Buffer[] = [];
  const tags: number[] = [];
  SIZES.forEach((size, i) => {
    parts.push(serverFrame(i % 2 === 0 ? 0x2 : 0x1, payload(size, 1000 + i)));
    if (size >= 4) tags.push(1000 + i);
    parts.push(serverFrame(0x9, Buffer.from('ping')), serverFrame(0xa, Buffer.alloc(0)));
  });
  return { bytes: Buffer.concat(parts), dataFrames: SIZES.length, tags };
}

function feed(bytes: Buffer, cuts: number[]): { counter: FrameCounter; completions: number; tags: number[] } {
  const tags: number[] = [];
  const counter = new FrameCounter(4, (prefix) => {
    const tag = Buffer.from(prefix).readUInt32LE(0);
    if (tag >= 1000) tags.push(tag);
  });
  let completions = 0;
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    completions += counter.push(bytes.subarray(at, cut));
    at = cut;
  }
  return { counter, completions, tags };
}

describe('FrameCounter (RFC 6455 §5.2 header walk)', () => {
  it('counts data frames of every length encoding and skips control frames', () => {
    const { bytes, dataFrames, tags } = stream();
    const { counter, completions, tags: seen } = feed(bytes, []);
    assert.equal(counter.frames, dataFrames);
    assert.equal(completions, dataFrames);
    assert.equal(
      counter.payloadBytes,
      SIZES.reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(seen, tags);
  });

  it('gives the same counts and prefixes for any split of the stream', () => {
    const { bytes, dataFrames, tags } = stream();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      const cuts = Array.from({ length: 1 + random(40) }, () => random(bytes.length)).sort((a, b) => a - b);
      const { counter, completions, tags: seen } = feed(bytes, cuts);
      assert.equal(counter.frames, dataFrames, `cuts ${cuts.join(',')}`);
      assert.equal(completions, dataFrames);
      assert.deepEqual(seen, tags);
    }
  });

  it('survives the stream arriving one byte at a time', () => {
    const small = Buffer.concat([
      serverFrame(0x2, payload(300, 1001)),
      serverFrame(0x9, Buffer.alloc(0)),
      serverFrame(0x1, payload(8, 1002)),
    ]);
    const { counter, tags } = feed(
      small,
      Array.from({ length: small.length - 1 }, (_, i) => i + 1),
    );
    assert.equal(counter.frames, 2);
    assert.deepEqual(tags, [1001, 1002]);
  });
});

describe('LatencyHistogram', () => {
  it('reports percentiles within 1% of the exact ones', () => {
    const histogram = new LatencyHistogram();
    const samples = Array.from({ length: 10_000 }, (_, i) => 10 + i * 0.37);
    for (const sample of samples) histogram.record(sample);
    const sorted = [...samples].sort((a, b) => a - b);
    const summary = histogram.summary();
    assert.equal(summary.count, samples.length);
    const exactP50 = sorted[Math.ceil(0.5 * sorted.length) - 1]!;
    const exactP99 = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
    assert.ok(Math.abs(summary.p50 - exactP50) / exactP50 <= 0.01, `p50 ${summary.p50} vs ${exactP50}`);
    assert.ok(Math.abs(summary.p99 - exactP99) / exactP99 <= 0.01, `p99 ${summary.p99} vs ${exactP99}`);
    assert.equal(summary.max, sorted.at(-1));
  });

  it('is empty after a reset', () => {
    const histogram = new LatencyHistogram();
    histogram.record(5);
    histogram.reset();
    assert.deepEqual(histogram.summary(), { count: 0, p50: 0, p99: 0, max: 0 });
  });
});
