/**
 * Helpers for the permessage-deflate tests: compressible sample payloads and a measure of how much
 * buffer memory a piece of work allocates.
 */
import { Buffer } from 'node:buffer';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const WORDS = ['switchboard', 'message', 'room', 'deflate', 'window', 'frame', 'socket', 'payload', 'event', '{"id":', '"data":', '},'];

/**
 * `size` bytes of JSON-ish text made of a small vocabulary: compressible like real traffic, and
 * different for each `seed`, so repeats across messages are partial.
 */
export function textLike(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let state = (seed * 2654435761 + 1) >>> 0;
  let filled = 0;
  while (filled < size) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const word = WORDS[(state >>> 16) % WORDS.length]!;
    const piece = (state & 7) === 0 ? `${word}${state % 1000} ` : `${word} `;
    filled += out.write(piece, filled, 'latin1');
  }
  return out;
}

let collect: (() => void) | undefined;

/** A full garbage collection; the flag is turned on at runtime so tests need no command-line switch. */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/**
 * How many bytes of `ArrayBuffer` memory (Buffers included) `work` leaves allocated when it ends,
 * measured before any garbage collection can free them: an upper bound on the buffers it made.
 * Collects garbage first so earlier tests do not blur the figure.
 */
export async function measureArrayBuffers(work: () => Promise<unknown>): Promise<number> {
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  await work();
  return process.memoryUsage().arrayBuffers - before;
}
