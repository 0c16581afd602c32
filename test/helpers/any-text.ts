/** Fast-check arbitraries for text from an untrusted peer. */
import fc from 'fast-check';

/**
 * Any string of up to `maxLength` code points, lone surrogates and controls included: what a
 * request target or a decoded frame may hold. Built from integers, it is cheap to set up, unlike
 * fast-check's 'binary' string unit.
 */
export function anyText(maxLength: number): fc.Arbitrary<string> {
  return fc
    .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength })
    .map((points) => String.fromCodePoint(...points));
}
