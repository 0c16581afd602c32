/** Checks a count option: a whole number of at least `min`; otherwise a `TypeError` naming it. */
export function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** Checks a limit that may be turned off: an integer of at least `min`, or `Infinity` for no limit. */
export function checkIntegerOrInfinity(name: string, value: number, min: number): number {
  if (value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= min)) return value;
  throw new TypeError(`${name} must be an integer ≥ ${min} or Infinity, got ${value}`);
}
