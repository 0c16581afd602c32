/**
 * How a polling POST is sized against the server's `maxPayload`: UTF-8 bytes counted without
 * encoding (lone surrogates as the U+FFFD they are sent as), binary as `b` and its base64, one byte
 * of record separator between packets, and at least one packet whatever its size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packetsThatFit, utf8Length } from '../../../src/client/engine/payload-size.js';

describe('payload size', () => {
  it('counts UTF-8 bytes as Buffer.byteLength does, lone surrogates included', () => {
    for (const text of ['', 'hello', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800\udc00', 'ß€😀\udfff']) {
      assert.equal(utf8Length(text), Buffer.byteLength(text), JSON.stringify(text));
    }
  });

  it('fits packets under maxPayload with their separators; a packet over it still goes alone', () => {
    // '4abc' is 4 bytes; a separator and 'b' + base64 of 4 bytes (8 characters) 10 more; a separator and '4€' 5 more.
    const packets = ['4abc', new Uint8Array(4), '4€'];
    assert.equal(packetsThatFit(packets, 4), 1);
    assert.equal(packetsThatFit(packets, 13), 1);
    assert.equal(packetsThatFit(packets, 14), 2);
    assert.equal(packetsThatFit(packets, 18), 2);
    assert.equal(packetsThatFit(packets, 19), 3);
    assert.equal(packetsThatFit(['4' + 'x'.repeat(100)], 10), 1);
  });
});
