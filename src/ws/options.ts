import { DEFAULT_MAX_PAYLOAD } from '../protocol/index.js';

/** What `send` does when the bytes waiting to be written would pass `highWaterMark`. */
export const BackpressurePolicy = {
  /** Keep the message; the send callback fires once it is written, so awaiting senders slow down. */
  Wait: 'wait',
  /** Discard the message and pass an `ERR_BACKPRESSURE` error to its callback. */
  Drop: 'drop',
  /** Close the connection with 1013 (Try Again Later): the peer reads too slowly. */
  Close: 'close',
} as const;

/** One of the backpressure policies. */
export type BackpressurePolicy = (typeof BackpressurePolicy)[keyof typeof BackpressurePolicy];

/** Per-connection settings shared by the client and the connections a server accepts. */
export interface ConnectionSettings {
  /** Largest message accepted, in bytes, summed over fragments (and counted after inflation); larger closes with 1009. @default 104857600 (100 MiB) */
  maxPayload?: number;
  /** How long to wait for the peer's close frame, then for TCP to close, before destroying the socket (ms). @default 30000 */
  closeTimeout?: number;
  /**
   * Bytes waiting to be written above which the `backpressure` policy applies; pongs the peer asks
   * for past it stop reading until the buffer drains. @default 16777216 (16 MiB)
   */
  highWaterMark?: number;
  /** What to do with a send that would pass `highWaterMark`. @default 'wait' */
  backpressure?: BackpressurePolicy;
  /** Answer pings with pongs automatically (RFC 6455 §5.5.2 requires an answer). @default true */
  autoPong?: boolean;
}

/** {@link ConnectionSettings} with every default filled in. */
export type ResolvedConnectionSettings = Required<ConnectionSettings>;

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new TypeError(`${name} must be a number ≥ 0, got ${value}`);
  return value;
}

/** Fills in defaults and rejects values that make no sense, once, at construction. */
export function resolveConnectionSettings(settings: ConnectionSettings = {}): ResolvedConnectionSettings {
  const backpressure = settings.backpressure ?? BackpressurePolicy.Wait;
  if (!Object.values(BackpressurePolicy).includes(backpressure)) {
    throw new TypeError(`backpressure must be one of ${Object.values(BackpressurePolicy).join(', ')}`);
  }
  return {
    maxPayload: nonNegative('maxPayload', settings.maxPayload ?? DEFAULT_MAX_PAYLOAD),
    closeTimeout: nonNegative('closeTimeout', settings.closeTimeout ?? 30_000),
    highWaterMark: nonNegative('highWaterMark', settings.highWaterMark ?? 16 * 1024 * 1024),
    backpressure,
    autoPong: settings.autoPong ?? true,
  };
}
