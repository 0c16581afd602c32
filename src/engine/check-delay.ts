/** The longest delay a Node timer honours (2³¹ − 1 ms, about 24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Checks a delay option: whole milliseconds from 1 to what a timer can wait; otherwise a `TypeError` naming it. */
export function checkDelay(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMER_DELAY) {
    throw new TypeError(`${name} must be a whole number of milliseconds from 1 to ${MAX_TIMER_DELAY}, got ${value}`);
  }
  return value;
}
