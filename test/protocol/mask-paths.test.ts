import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyMask } from '../../src/protocol/index.js';

/** RFC 6455 §5.3 as written: octet i XOR octet (i mod 4) of the key, here from key position `phase`. */
function referenceMask(data: Uint8Array, key: Uint8Array, phase: number): Uint8Array {
  return data.map((byte, i) => byte ^ key[(phase + i) & 3]!);
}

describe('§5.3 masking, on every path (portable loop, 32-bit words, WebAssembly slices)', () => {
  it('matches the definition for lengths around every threshold, any phase and byte offset', () => {
    const lengths = [0, 1, 3, 4, 15, 16, 17, 255, 256, 257, 511, 512, 513, 4095, 65535, 65536, 65537, 65536 * 3 + 21];
    fc.assert(
      fc.property(
        fc.constantFrom(...lengths),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (length, offset, phase, key) => {
          const backing = new Uint8Array(length + offset);
          for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + 7) & 0xff;
          const data = backing.subarray(offset);
          const expected = referenceMask(data, key, phase);
          applyMask(data, key, phase);
          assert.deepEqual(data, expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
