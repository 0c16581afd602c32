import { performance } from 'node:perf_hooks';

/**
 * Every load message starts with a marker and its send time, so a reply is timed from its own
 * bytes, whichever connection it comes back on: `~sb~` + 13 digits of microseconds + `~`, then
 * padding up to the message size. The digits are microseconds since the process started, read
 * from the monotonic clock; all connections of a run share the process, hence the clock.
 */
const MARKER = '~sb~';
const MARKER_BYTES = Buffer.from(MARKER);
const DIGITS = 13;

/** The smallest message: the marker, the time and the closing `~`. */
export const PAYLOAD_HEADER_LENGTH = MARKER.length + DIGITS + 1;

/** Microseconds on the monotonic clock, as the payload carries them. */
export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

/** Builds payloads of one size: the fixed padding is made once per run. */
export class PayloadMaker {
  private readonly padding: string;

  constructor(size: number) {
    this.padding = 'x'.repeat(Math.max(0, size - PAYLOAD_HEADER_LENGTH));
  }

  /** A payload stamped with `micros`. */
  make(micros: number): string {
    return `${MARKER}${String(micros).padStart(DIGITS, '0')}~${this.padding}`;
  }
}

/**
 * The send time a message carries, in microseconds, or -1 when it carries none. Works on the raw
 * bytes of a WebSocket message and of a Socket.IO packet alike (the payload is a JSON string that
 * needs no escaping), so replies are never decoded.
 */
export function sentMicros(data: Buffer): number {
  const at = data.indexOf(MARKER_BYTES);
  if (at === -1 || at + PAYLOAD_HEADER_LENGTH > data.length) return -1;
  let micros = 0;
  for (let i = at + MARKER.length, end = i + DIGITS; i < end; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    micros = micros * 10 + digit;
  }
  return micros;
}
