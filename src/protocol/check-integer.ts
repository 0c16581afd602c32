/** Checks a count option: a whole number of at least `min`; otherwise a `TypeError` naming it. */
export function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}
