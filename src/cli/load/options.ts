import { UsageError } from '../command.js';
import { parseDuration } from '../connect/duration.js';
import { PAYLOAD_HEADER_LENGTH } from './payload.js';
import type { Pattern } from './plan.js';

/** Longest run allowed: every run is bounded, and an hour is more than a load test should need. */
export const MAX_DURATION_MS = 3_600_000;
/** Most connections: the ephemeral ports one local address has towards one server address. */
export const MAX_CONNECTIONS = 60_000;
/** Largest message: past a few megabytes a load test measures bandwidth, not messaging. */
export const MAX_SIZE = 16 * 1024 * 1024;

/** Parses `--connections`: a whole number from 1 to {@link MAX_CONNECTIONS}. */
export function parseConnections(text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > MAX_CONNECTIONS) {
    throw new UsageError(`--connections must be a whole number from 1 to ${MAX_CONNECTIONS}, got "${text}"`);
  }
  return Number(text);
}

/** Parses a rate (`--rate`, `--total-rate`, `--ramp`): a number above 0, fractions allowed (0.5 is one every 2 s). */
export function parseRate(option: string, text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0) || value > 1e7)
    throw new UsageError(`${option} must be a number above 0 (per second), got "${text}"`);
  return value;
}

/** Parses `--size`: bytes, from the payload's header length to {@link MAX_SIZE}; `k` and `m` suffixes count 1024s. */
export function parseSize(text: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text);
  const size =
    match === null
      ? NaN
      : Number(match[1]) * (match[2] === '' ? 1 : match[2]!.toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  if (!(size >= PAYLOAD_HEADER_LENGTH && size <= MAX_SIZE)) {
    throw new UsageError(
      `--size must be from ${PAYLOAD_HEADER_LENGTH} bytes (the send time every message carries) to 16m, got "${text}"`,
    );
  }
  return size;
}

/** Parses `--duration` (a bare number is seconds), up to {@link MAX_DURATION_MS}. */
export function parseRunDuration(text: string): number {
  const ms = parseDuration('--duration', text, 's');
  if (ms < 100 || ms > MAX_DURATION_MS) throw new UsageError(`--duration must be from 100ms to 1h, got "${text}"`);
  return ms;
}

/** Parses `--pattern`. */
export function parsePattern(text: string): Pattern {
  if (text !== 'echo' && text !== 'broadcast')
    throw new UsageError(`--pattern must be echo or broadcast, got "${text}"`);
  return text;
}
