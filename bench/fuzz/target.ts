/** What a fuzz target is, and the checks every target shares. */
import { isDeepStrictEqual, inspect } from 'node:util';
import type { Random } from './random.js';

/**
 * One parser under fuzzing. `check` feeds it one input and throws a {@link FuzzFailure} when an
 * invariant breaks; a throw of anything else is a failure too (the parser leaked an exception).
 */
export interface FuzzTarget {
  readonly name: string;
  /** What the target checks, for `--help` and the run's output. */
  readonly description: string;
  /** Valid inputs to mutate: hand-written ones and fast-check samples drawn with `seed`. */
  seeds(seed: number): Uint8Array[];
  check(input: Uint8Array, random: Random): void;
}

/** An invariant that did not hold. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

/**
 * Runs `parse` and answers what it threw, or `undefined`; anything thrown that `isOwnError`
 * does not accept is a failure: a parser may refuse input only with its own error type.
 */
export function ownErrorOrNothing(parse: () => void, isOwnError: (error: unknown) => boolean): unknown {
  try {
    parse();
    return undefined;
  } catch (error) {
    if (isOwnError(error)) return error;
    throw new FuzzFailure(`threw something other than its own error: ${inspect(error)}`);
  }
}

/** Fails unless `actual` and `expected` are deeply equal; `what` says which invariant. */
export function expectSame(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    const show = (value: unknown): string => inspect(value, { depth: 6 });
    throw new FuzzFailure(`${what}:\n  got      ${show(actual)}\n  expected ${show(expected)}`);
  }
}

/**
 * Splits `bytes` at `cuts` (sorted), copying each piece: a parser may take ownership of what it is
 * given (the frame parser unmasks in place). `Uint8Array.from`, since a Buffer's `slice` is a view.
 */
export function piecesAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(Uint8Array.from(bytes.subarray(start, cut)));
    start = cut;
  }
  return pieces;
}

const encoder = new TextEncoder();

/** The UTF-8 bytes of `text`, for targets whose seeds are written as text. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
