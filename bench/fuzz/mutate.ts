/**
 * Mutations of a valid input, as a mutation fuzzer applies them: each keeps most of the input's
 * structure, so the parser gets past its first checks and into the states a random byte string
 * never reaches.
 */
import type { Random } from './random.js';

/** Values at the edges of the fields the parsers read: lengths 125/126/127, sign bits, opcodes, digits. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x0a, 0x0d, 0x1e, 0x22, 0x2c, 0x2d, 0x2f, 0x30, 0x39, 0x3b, 0x3d, 0x5b, 0x5d, 0x7b, 0x7d, 0x7e, 0x7f,
  0x80, 0x81, 0x88, 0x89, 0x8a, 0xc0, 0xed, 0xf4, 0xfe, 0xff,
];
/** Big-endian lengths written over 2 or 8 bytes, as the WebSocket extended length fields hold them (RFC 6455 §5.2). */
const INTERESTING_LENGTHS = [0, 1, 125, 126, 127, 0x7fff, 0x8000, 0xffff, 0x10000, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 63];
/** Most bytes a mutated input may hold: the parsers' limits are set low enough that this reaches them. */
export const MAX_INPUT = 8192;

function replaceRange(input: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length - (end - start) + insert.length);
  out.set(input.subarray(0, start));
  out.set(insert, start);
  out.set(input.subarray(end), start + insert.length);
  return out.length > MAX_INPUT ? out.subarray(0, MAX_INPUT) : out;
}

function writeLength(input: Uint8Array, random: Random): Uint8Array {
  const out = Uint8Array.from(input);
  const size = random.pick([2, 8]);
  if (out.length < size) return out;
  const at = random.below(out.length - size + 1);
  let value = BigInt(random.pick(INTERESTING_LENGTHS)) + BigInt(random.below(3)) - 1n;
  if (value < 0n) value = 0n;
  for (let i = size - 1; i >= 0; i--) {
    out[at + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

type Mutation = (input: Uint8Array, random: Random, other: Uint8Array) => Uint8Array;

const MUTATIONS: readonly Mutation[] = [
  function flipBit(input, random) {
    const out = Uint8Array.from(input);
    if (out.length > 0) out[random.below(out.length)]! ^= 1 << random.below(8);
    return out;
  },
  function setInterestingByte(input, random) {
    const out = Uint8Array.from(input);
    if (out.length > 0) out[random.below(out.length)] = random.pick(INTERESTING_BYTES);
    return out;
  },
  function setRandomByte(input, random) {
    const out = Uint8Array.from(input);
    if (out.length > 0) out[random.below(out.length)] = random.below(256);
    return out;
  },
  function truncate(input, random) {
    return input.slice(0, random.below(input.length + 1));
  },
  function dropRange(input, random) {
    const start = random.below(input.length + 1);
    return replaceRange(input, start, Math.min(input.length, start + 1 + random.below(16)), new Uint8Array(0));
  },
  function duplicateRange(input, random) {
    const start = random.below(input.length + 1);
    const piece = input.slice(start, Math.min(input.length, start + 1 + random.below(64)));
    const at = random.below(input.length + 1);
    return replaceRange(input, at, at, piece);
  },
  function insertRandom(input, random) {
    const piece = Uint8Array.from({ length: 1 + random.below(8) }, () => random.below(256));
    const at = random.below(input.length + 1);
    return replaceRange(input, at, at, piece);
  },
  function spliceOther(input, random, other) {
    // The head of one valid input on the tail of another: frames and packets cut mid-field.
    const tail = other.subarray(random.below(other.length + 1));
    return replaceRange(input, random.below(input.length + 1), input.length, tail);
  },
  writeLength,
];

/** One to four mutations of `input`, drawing a second input from `other` for splicing. */
export function mutate(input: Uint8Array, random: Random, other: Uint8Array): Uint8Array {
  let out = input;
  for (let rounds = 1 + random.below(4); rounds > 0; rounds--) out = random.pick(MUTATIONS)(out, random, other);
  return out;
}
