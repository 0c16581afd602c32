/** Timers as both hosts have them; a delay no timer can hold means no timer. */

/** A running timer, or `undefined` for none. */
export type Timer = ReturnType<typeof setTimeout> | undefined;

// Browsers and Node alike fire a timer of a longer delay (more than 2^31 - 1 ms) at once.
const LONGEST_DELAY = 2 ** 31 - 1;

/** Calls `callback` after `ms`; an infinite (or longer than any timer can wait) delay starts no timer. */
export function startTimer(ms: number, callback: () => void): Timer {
  return ms <= LONGEST_DELAY ? setTimeout(callback, ms) : undefined;
}
