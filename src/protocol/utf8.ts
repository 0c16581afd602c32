/**
 * UTF-8 validation for text messages and close reasons (RFC 6455 §8.1, RFC 3629).
 *
 * Whole buffers go to a bulk validator (the host may supply a native one, such as Node's
 * `buffer.isUtf8`); a message that arrives in pieces goes through {@link Utf8Validator}, which
 * checks the bytes at piece boundaries itself and hands the bulk in between to the bulk validator,
 * so an invalid byte is caught in the piece that carries it, not at the end of the message.
 */

/** A function that tells whether a whole buffer is valid UTF-8. */
export type Utf8Check = (bytes: Uint8Array) => boolean;

const ACCEPT = 0;
const REJECT = 8;

/**
 * One step of the validating automaton. States 1–3 wait for that many continuation bytes;
 * states 4–7 wait for the second byte of a sequence whose range is narrower than 80..BF
 * (Unicode 15, table 3-7: after E0 comes A0..BF, after ED 80..9F, after F0 90..BF, after F4 80..8F),
 * which is what excludes overlong forms, surrogates and code points above U+10FFFF.
 */
function step(state: number, byte: number): number {
  switch (state) {
    case ACCEPT:
      if (byte < 0x80) return ACCEPT;
      if (byte < 0xc2) return REJECT;
      if (byte < 0xe0) return 1;
      if (byte === 0xe0) return 4;
      if (byte === 0xed) return 5;
      if (byte < 0xf0) return 2;
      if (byte === 0xf0) return 6;
      if (byte < 0xf4) return 3;
      if (byte === 0xf4) return 7;
      return REJECT;
    case 1:
      return (byte & 0xc0) === 0x80 ? ACCEPT : REJECT;
    case 2:
      return (byte & 0xc0) === 0x80 ? 1 : REJECT;
    case 3:
      return (byte & 0xc0) === 0x80 ? 2 : REJECT;
    case 4:
      return byte >= 0xa0 && byte <= 0xbf ? 1 : REJECT;
    case 5:
      return byte >= 0x80 && byte <= 0x9f ? 1 : REJECT;
    case 6:
      return byte >= 0x90 && byte <= 0xbf ? 2 : REJECT;
    case 7:
      return byte >= 0x80 && byte <= 0x8f ? 2 : REJECT;
    default:
      return REJECT;
  }
}

/** Whether `bytes` is valid UTF-8, in portable code (no host help). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  let state = ACCEPT;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    if (state === ACCEPT && byte < 0x80) continue;
    state = step(state, byte);
    if (state === REJECT) return false;
  }
  return state === ACCEPT;
}

/** Where the last, possibly incomplete, sequence of `bytes[from..]` starts; `bytes.length` if it is complete. */
function incompleteTailStart(bytes: Uint8Array, from: number): number {
  const end = bytes.length;
  const stop = Math.max(from, end - 4);
  let lead = end - 1;
  while (lead >= stop && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < stop) return end; // four continuation bytes in a row: invalid, the bulk check says so
  const byte = bytes[lead]!;
  const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return lead + needed > end ? lead : end;
}

/**
 * Validates UTF-8 that arrives in pieces. `push` answers `false` as soon as a piece holds a byte
 * that cannot begin, continue or end a valid sequence; `finish` answers whether the text ended
 * on a sequence boundary.
 *
 * @example
 * const validator = new Utf8Validator();
 * validator.push(Uint8Array.of(0xe2, 0x82)); // true: a valid prefix of "€"
 * validator.push(Uint8Array.of(0xac));       // true
 * validator.finish();                        // true
 */
export class Utf8Validator {
  private state = ACCEPT;

  constructor(private readonly bulkCheck: Utf8Check = isValidUtf8) {}

  /** Checks the next piece; `false` means the text is already invalid. */
  push(bytes: Uint8Array): boolean {
    const length = bytes.length;
    let i = 0;
    let state = this.state;
    // Finish a sequence left open by the previous piece.
    while (state !== ACCEPT && i < length) {
      state = step(state, bytes[i++]!);
      if (state === REJECT) return this.reject();
    }
    if (i < length) {
      const tail = incompleteTailStart(bytes, i);
      if (tail > i && !this.bulkCheck(i === 0 && tail === length ? bytes : bytes.subarray(i, tail))) {
        return this.reject();
      }
      for (let k = tail; k < length; k++) {
        state = step(state, bytes[k]!);
        if (state === REJECT) return this.reject();
      }
    }
    this.state = state;
    return true;
  }

  /** Whether the text pushed so far ends on a sequence boundary; resets the validator. */
  finish(): boolean {
    const complete = this.state === ACCEPT;
    this.state = ACCEPT;
    return complete;
  }

  private reject(): false {
    this.state = ACCEPT;
    return false;
  }
}
