import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  MaskKeySource,
  Opcode,
  applyMask,
  encodeFrame,
  frameHeaderSize,
  writeFrameHeader,
} from '../../src/protocol/index.js';
import { toBase64 } from '../../src/protocol/base64.js';
import { copyMasked } from '../../src/protocol/mask.js';
import { sha1 } from '../../src/protocol/sha1.js';
import { EXAMPLE_MASK_KEY, frame, frameHeader } from '../helpers/frames.js';

/** Byte-at-a-time masking straight from RFC 6455 §5.3, as the reference. */
function referenceMask(data: Uint8Array, key: Uint8Array, phase = 0): Uint8Array {
  return data.map((byte, i) => byte ^ key[(phase + i) & 3]!);
}

describe('§5.3 client-to-server masking', () => {
  test('masks the RFC 6455 §5.7 "Hello" example', () => {
    const data = Buffer.from('Hello');
    applyMask(data, EXAMPLE_MASK_KEY);
    assert.deepEqual(data, Buffer.of(0x7f, 0x9f, 0x4d, 0x51, 0x58));
  });

  test('matches the reference for every length up to 100 and around the word-loop sizes, every phase and alignment', () => {
    const key = Uint8Array.of(0x12, 0x9a, 0xfe, 0x01);
    const backing = new Uint8Array(1100).map((_, i) => (i * 37 + 11) & 0xff);
    const lengths = [
      ...Array.from({ length: 101 }, (_, i) => i),
      127,
      128,
      129,
      252,
      253,
      254,
      255,
      256,
      257,
      258,
      259,
      260,
      261,
      263,
      264,
      272,
      300,
      1024,
      1027,
    ];
    for (let offset = 0; offset < 8; offset++) {
      for (const length of lengths) {
        for (let phase = 0; phase < 4; phase++) {
          const copy = backing.slice();
          const view = copy.subarray(offset, offset + length);
          const expected = referenceMask(view, key, phase);
          applyMask(view, key, phase);
          assert.deepEqual(view, expected, `offset ${offset}, length ${length}, phase ${phase}`);
          // Bytes outside the view are left alone.
          assert.deepEqual(copy.subarray(0, offset), backing.subarray(0, offset));
          assert.deepEqual(copy.subarray(offset + length), backing.subarray(offset + length));
        }
      }
    }
  });

  test('unmasking in pieces with the running phase equals unmasking at once', () => {
    const data = new Uint8Array(1000).map((_, i) => i & 0xff);
    const whole = referenceMask(data, EXAMPLE_MASK_KEY);
    const pieces = data.slice();
    let position = 0;
    for (const size of [1, 2, 3, 5, 40, 33, 100, 816]) {
      applyMask(pieces.subarray(position, position + size), EXAMPLE_MASK_KEY, position & 3);
      position += size;
    }
    assert.equal(position, 1000);
    assert.deepEqual(pieces, whole);
  });

  test('copyMasked masks into the target and leaves the source alone', () => {
    const source = Buffer.from('a payload longer than the word loop threshold, to use it');
    const target = new Uint8Array(source.length + 3);
    copyMasked(source, target, 3, EXAMPLE_MASK_KEY);
    assert.equal(source.toString(), 'a payload longer than the word loop threshold, to use it');
    assert.deepEqual(Buffer.from(target.subarray(3)), Buffer.from(referenceMask(source, EXAMPLE_MASK_KEY)));
  });

  test('MaskKeySource hands out distinct 4-byte keys that stay valid across pool refills', () => {
    const source = new MaskKeySource();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) keys.push(source.next());
    const snapshot = keys.map((key) => Buffer.from(key).toString('hex'));
    for (let i = 0; i < 3000; i++) source.next();
    assert.deepEqual(
      keys.map((key) => Buffer.from(key).toString('hex')),
      snapshot,
      'keys handed out are never rewritten',
    );
    assert.ok(keys.every((key) => key.length === 4));
    // 3000 random 32-bit keys: a handful of collisions at most, never a constant stream.
    assert.ok(new Set(snapshot).size > 2990);
  });
});

describe('§5.2 frame encoding', () => {
  test('frameHeaderSize uses the minimal length encoding', () => {
    const cases: [number, boolean, number][] = [
      [0, false, 2],
      [125, false, 2],
      [126, false, 4],
      [65535, false, 4],
      [65536, false, 10],
      [2 ** 40, false, 10],
      [0, true, 6],
      [126, true, 8],
      [65536, true, 14],
    ];
    for (const [length, masked, size] of cases)
      assert.equal(frameHeaderSize(length, masked), size, `${length} ${masked}`);
  });

  for (const length of [0, 1, 125, 126, 127, 65535, 65536, 100000]) {
    test(`encodeFrame matches a hand-built frame for ${length} bytes, masked and not`, () => {
      const payload = new Uint8Array(length).map((_, i) => (i * 13) & 0xff);
      const original = payload.slice();
      assert.deepEqual(Buffer.from(encodeFrame(Opcode.Binary, payload)), frame(Opcode.Binary, payload));
      assert.deepEqual(
        Buffer.from(encodeFrame(Opcode.Binary, payload, { maskKey: EXAMPLE_MASK_KEY })),
        frame(Opcode.Binary, payload, { mask: true }),
      );
      assert.deepEqual(payload, original, 'the payload is never masked in place');
    });
  }

  test('encodeFrame writes FIN, RSV bits and the opcode in the first byte', () => {
    assert.equal(encodeFrame(Opcode.Text, new Uint8Array(0))[0], 0x81);
    assert.equal(encodeFrame(Opcode.Text, new Uint8Array(0), { fin: false })[0], 0x01);
    assert.equal(encodeFrame(Opcode.Continuation, new Uint8Array(0), { fin: true })[0], 0x80);
    assert.equal(encodeFrame(Opcode.Binary, new Uint8Array(0), { rsv: 0x40 })[0], 0xc2);
    assert.equal(encodeFrame(Opcode.Ping, new Uint8Array(0))[0], 0x89);
  });

  test('encodeFrame uses the given allocator', () => {
    let asked = -1;
    const frameBytes = encodeFrame(Opcode.Text, Buffer.from('abc'), undefined, (size) => {
      asked = size;
      return Buffer.alloc(size);
    });
    assert.equal(asked, 5);
    assert.ok(Buffer.isBuffer(frameBytes));
  });

  test('writeFrameHeader writes at an offset and answers where the payload starts', () => {
    const target = new Uint8Array(20).fill(0xee);
    const start = writeFrameHeader(target, 3, Opcode.Binary, 300, true, 0, EXAMPLE_MASK_KEY);
    assert.equal(start, 3 + 8);
    assert.deepEqual(Buffer.from(target.subarray(3, start)), frameHeader(Opcode.Binary, 300, { mask: true }));
    assert.deepEqual(target.subarray(0, 3), Uint8Array.of(0xee, 0xee, 0xee));
    assert.deepEqual(target.subarray(start), new Uint8Array(20 - start).fill(0xee));
  });

  test('writeFrameHeader writes FIN and RSV as given', () => {
    const target = new Uint8Array(2);
    writeFrameHeader(target, 0, Opcode.Text, 5, false, 0x40);
    assert.deepEqual(target, Uint8Array.of(0x41, 5));
  });

  test('writeFrameHeader writes 64-bit lengths beyond 2^32 exactly', () => {
    for (const length of [2 ** 32, 2 ** 32 + 5, 2 ** 40 + 0x01020304, Number.MAX_SAFE_INTEGER]) {
      const target = new Uint8Array(10);
      assert.equal(writeFrameHeader(target, 0, Opcode.Binary, length), 10);
      assert.deepEqual(Buffer.from(target), frameHeader(Opcode.Binary, length), String(length));
    }
  });
});

describe('§4.2.2 SHA-1 and base64 for the accept key', () => {
  test('sha1 matches node:crypto on every length from 0 to 300 (all padding boundaries)', () => {
    for (let length = 0; length <= 300; length++) {
      const input = new Uint8Array(length).map((_, i) => (i * 151 + length) & 0xff);
      const expected = createHash('sha1').update(input).digest();
      assert.deepEqual(Buffer.from(sha1(input)), expected, `length ${length}`);
    }
  });

  test('sha1 matches the FIPS 180-2 examples', () => {
    const hex = (text: string) => Buffer.from(sha1(Buffer.from(text))).toString('hex');
    assert.equal(hex('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(
      hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    assert.equal(hex(''), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  test('toBase64 matches Buffer on every length from 0 to 64 and every byte value', () => {
    for (let length = 0; length <= 64; length++) {
      const input = new Uint8Array(length).map((_, i) => (i * 97 + 200) & 0xff);
      assert.equal(toBase64(input), Buffer.from(input).toString('base64'));
    }
    const all = new Uint8Array(256).map((_, i) => i);
    assert.equal(toBase64(all), Buffer.from(all).toString('base64'));
  });
});
