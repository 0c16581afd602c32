/**
 * The fuzz loop: mutates a target's valid inputs and checks each mutant for a given time. Not
 * coverage-guided; a mutant joins the corpus now and then, so that mutations can build on each other.
 */
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { MAX_INPUT, mutate } from './mutate.js';
import { Random } from './random.js';
import type { FuzzTarget } from './target.js';

/** An input that broke an invariant, and how. */
export interface Finding {
  readonly input: Uint8Array;
  readonly message: string;
}

/** What a run of one target did. */
export interface FuzzStats {
  readonly iterations: number;
  readonly seconds: number;
  readonly findings: readonly Finding[];
}

export interface FuzzOptions {
  readonly durationMs: number;
  readonly seed: number;
  /** Inputs checked first and mutated like the seeds: earlier findings, replayed. */
  readonly replay?: readonly Uint8Array[];
  /** Distinct findings after which the run of this target stops. @default 10 */
  readonly maxFindings?: number;
}

/**
 * Work allowed per input: 250 ms plus 50 ms per kilobyte (about 0.66 s at `MAX_INPUT`), far above
 * what a linear parser takes even on a loaded machine, so what it catches is a blow-up; an input over
 * it is timed once more before it counts (a GC pause is not a hang). It is measured once the check
 * returns: a parse that never returns is not caught here, the run hangs on it (the smoke test then
 * fails on its timeout).
 */
function budgetMs(bytes: number): number {
  return 250 + bytes / 20;
}

const CORPUS_LIMIT = 2000;
const REPLAY_ROUNDS = 50;

/** Checks `input`, answering why it failed, or `undefined`. */
function failureOf(target: FuzzTarget, input: Uint8Array, random: Random): string | undefined {
  const timed = (): number => {
    const start = performance.now();
    target.check(input, random);
    return performance.now() - start;
  };
  try {
    if (timed() > budgetMs(input.length)) {
      const again = timed();
      if (again > budgetMs(input.length)) return `took ${again.toFixed(0)} ms for ${input.length} bytes`;
    }
    return undefined;
  } catch (error) {
    return error instanceof Error && error.name === 'FuzzFailure' ? error.message : inspect(error);
  }
}

/** Fuzzes `target` for `options.durationMs`, deterministically for a given seed (timing aside). */
export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzStats {
  const random = new Random(options.seed);
  const maxFindings = options.maxFindings ?? 10;
  // Plain copies: a target must never change the corpus (and a Buffer's `slice` would share it).
  const copy = (input: Uint8Array): Uint8Array => Uint8Array.from(input.subarray(0, MAX_INPUT));
  const replay = (options.replay ?? []).map(copy);
  const corpus = [...replay, ...target.seeds(options.seed).map(copy)];
  const findings = new Map<string, Finding>();
  const start = performance.now();
  const deadline = start + options.durationMs;
  const record = (input: Uint8Array, message: string | undefined): void => {
    // One finding per distinct first line: the same bug found a thousand times is one bug.
    const key = message?.startsWith('took ') ? 'too slow' : message?.split('\n')[0];
    if (message !== undefined && key !== undefined && !findings.has(key)) findings.set(key, { input, message });
  };
  let iterations = 0;
  // Earlier findings are checked under many splits: a finding may show only under some of them.
  for (const [index, input] of corpus.entries()) {
    for (let round = index < replay.length ? REPLAY_ROUNDS : 1; round > 0; round--) {
      record(input, failureOf(target, input, random));
      iterations++;
    }
  }
  while (performance.now() < deadline && findings.size < maxFindings) {
    const input = mutate(random.pick(corpus), random, random.pick(corpus));
    record(input, failureOf(target, input, random));
    iterations++;
    if (random.below(64) === 0) {
      if (corpus.length < CORPUS_LIMIT) corpus.push(input);
      else corpus[random.below(CORPUS_LIMIT)] = input;
    }
  }
  return { iterations, seconds: (performance.now() - start) / 1000, findings: [...findings.values()] };
}
