import { UsageError } from '../command.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * Parses a time such as `500ms`, `2s` or `1.5m` into milliseconds; a bare number is in `bareUnit`.
 * `what` names the option or command in the error message.
 */
export function parseDuration(what: string, text: string, bareUnit: 'ms' | 's'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (match === null) throw new UsageError(`${what} takes a time such as 500ms, 2s or 1m, got "${text}"`);
  const unit = (match[2] ?? bareUnit) as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** Formats milliseconds for a message: `750 ms`, `2 s`, `1.5 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1000} s`;
  return `${ms / 60_000} min`;
}
