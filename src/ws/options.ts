import {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  checkIntegerOrInfinity,
  checkMaxFragments,
} from '../protocol/index.js';
import { SendBudget, defaultSendBudget } from './send-budget.js';

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
  /**
   * Most frames one message may span, its first frame included; the frame past it closes the
   * connection with 1008 (`ERR_TOO_MANY_FRAGMENTS`). A positive integer, or `Infinity` for no limit.
   * @default 16384
   */
  maxFragments?: number;
  /** How long to wait for the peer's close frame, then for TCP to close, before destroying the socket (ms). @default 30000 */
  closeTimeout?: number;
  /**
   * Bytes waiting to be written above which the `drop` and `close` backpressure policies refuse a
   * send (`wait` keeps it); also the base of `maxBufferedAmount`'s default. @default 16777216 (16 MiB)
   */
  highWaterMark?: number;
  /** What to do with a send that would pass `highWaterMark`. @default 'wait' */
  backpressure?: BackpressurePolicy;
  /**
   * Hard ceiling on the bytes waiting to be written, at least `highWaterMark`. It applies to what
   * is already queued: a send fails with `ERR_BACKPRESSURE` and closes the connection with 1013
   * when the connection already holds more than its socket's own buffer (`writableHighWaterMark`,
   * 16 KiB by default) and the send would take it past the ceiling, so that under `wait` a peer that
   * stops reading cannot grow its queue without bound, while an idle connection can always take
   * one message (up to the peer's `maxPayload`).
   * @default 4 × highWaterMark (67108864, 64 MiB, with the default highWaterMark)
   */
  maxBufferedAmount?: number;
  /**
   * The process-wide budget for bytes queued to slow peers that this connection draws from: once
   * it holds more than its socket's own buffer (`writableHighWaterMark`, 16 KiB by default), all it
   * holds is charged. When a send's charge would pass the budget, the connection holding the most
   * is closed with 1013 (this one only if it would hold the most itself). Give servers their own
   * {@link SendBudget} to keep their peers apart.
   * @default defaultSendBudget (512 MiB, shared by every connection that is given none)
   */
  sendBudget?: SendBudget;
  /** Answer pings with pongs automatically (RFC 6455 §5.5.2 requires an answer). @default true */
  autoPong?: boolean;
  /**
   * Most pings in a row the connection leaves unanswered. While the socket's buffer is full (the
   * peer does not read), the pong for the latest ping waits in one slot and each new ping replaces
   * it (RFC 6455 §5.5.3 lets an endpoint answer only the latest ping); the ping past this many
   * closes the connection with 1008 (`ERR_PING_FLOOD`). The count starts again whenever the waiting
   * pong is written (the socket drains, or another frame is sent) or a message arrives, so a peer
   * busy streaming data while it pings is never counted. An integer ≥ 0, or `Infinity` for no limit.
   * @default 60
   */
  maxUnansweredPings?: number;
  /**
   * `ws`'s name for a bound on pongs a peer that does not read leaves waiting; taken as
   * {@link maxUnansweredPings}, with `ws`'s 0 meaning no limit (`Infinity`). Give one of the two.
   */
  maxPendingAutoPongs?: number;
  /**
   * Deliver text messages and close reasons without checking that they are UTF-8 (RFC 6455 §8.1
   * has the connection fail with 1007 otherwise): for trusted peers, to save the check's time.
   * @default false
   */
  skipUTF8Validation?: boolean;
  /**
   * `ws`'s switch between emitting events synchronously (`true`, its default and our only way)
   * and one event per tick; `false` is refused.
   * @default true
   */
  allowSynchronousEvents?: boolean;
}

/** {@link ConnectionSettings} with every default filled in (and `ws`'s aliases folded into ours). */
export type ResolvedConnectionSettings = Required<
  Omit<ConnectionSettings, 'maxPendingAutoPongs' | 'allowSynchronousEvents'>
>;

/** The names of {@link ConnectionSettings}, for the checks of option names (see {@link checkOptionNames}). */
export const CONNECTION_SETTING_NAMES: readonly string[] = [
  'maxPayload',
  'maxFragments',
  'closeTimeout',
  'highWaterMark',
  'backpressure',
  'maxBufferedAmount',
  'sendBudget',
  'autoPong',
  'maxUnansweredPings',
  'maxPendingAutoPongs',
  'skipUTF8Validation',
  'allowSynchronousEvents',
];

/**
 * Refuses, with a `TypeError` that names it, every option in `options` that `refused` lists (with
 * what to use instead) and every one that is not in `known`: a misspelt option (`clientTraking`)
 * silently ignored would leave the user believing it works.
 */
export function checkOptionNames(
  owner: string,
  options: object,
  known: ReadonlySet<string>,
  refused: Readonly<Record<string, string>>,
): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(refused, name))
      throw new TypeError(`the ${owner} option "${name}" is not supported: ${refused[name]}`);
    if (!known.has(name)) throw new TypeError(`unknown ${owner} option "${name}"`);
  }
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new TypeError(`${name} must be a number ≥ 0, got ${value}`);
  return value;
}

/**
 * Default `maxUnansweredPings`: far more than a peer that reads ever leaves unanswered (about one per
 * heartbeat while its link is busy), few enough that a flood is stopped after a few kilobytes.
 */
const DEFAULT_MAX_UNANSWERED_PINGS = 60;

/** The settings of every connection given none of its own, resolved once (see {@link resolveConnectionSettings}). */
let defaultSettings: ResolvedConnectionSettings | undefined;

/**
 * Fills in defaults and rejects values that make no sense, once, at construction. Options that set
 * none of the connection settings get one shared, frozen object: a client resolves its settings
 * per connection, and thousands of clients need not hold a copy each.
 */
export function resolveConnectionSettings(settings: ConnectionSettings = {}): ResolvedConnectionSettings {
  if (CONNECTION_SETTING_NAMES.every((name) => settings[name as keyof ConnectionSettings] === undefined))
    return (defaultSettings ??= Object.freeze(resolveGiven({})));
  return resolveGiven(settings);
}

function resolveGiven(settings: ConnectionSettings): ResolvedConnectionSettings {
  const backpressure = settings.backpressure ?? BackpressurePolicy.Wait;
  if (!Object.values(BackpressurePolicy).includes(backpressure)) {
    throw new TypeError(`backpressure must be one of ${Object.values(BackpressurePolicy).join(', ')}`);
  }
  const highWaterMark = nonNegative('highWaterMark', settings.highWaterMark ?? 16 * 1024 * 1024);
  const maxBufferedAmount = settings.maxBufferedAmount ?? 4 * highWaterMark;
  if (typeof maxBufferedAmount !== 'number' || !(maxBufferedAmount >= highWaterMark)) {
    throw new TypeError(
      `maxBufferedAmount must be a number ≥ highWaterMark (${highWaterMark}), got ${maxBufferedAmount}`,
    );
  }
  const sendBudget = settings.sendBudget ?? defaultSendBudget;
  if (!(sendBudget instanceof SendBudget)) throw new TypeError('sendBudget must be a SendBudget');
  if (settings.allowSynchronousEvents === false) {
    throw new TypeError(
      "allowSynchronousEvents: false is not supported: events are always emitted synchronously (ws's default); defer work with setImmediate in the listener instead",
    );
  }
  return {
    maxPayload: nonNegative('maxPayload', settings.maxPayload ?? DEFAULT_MAX_PAYLOAD),
    maxFragments: checkMaxFragments(settings.maxFragments ?? DEFAULT_MAX_FRAGMENTS),
    closeTimeout: nonNegative('closeTimeout', settings.closeTimeout ?? 30_000),
    highWaterMark,
    backpressure,
    maxBufferedAmount,
    sendBudget,
    autoPong: settings.autoPong ?? true,
    maxUnansweredPings: checkIntegerOrInfinity('maxUnansweredPings', resolveMaxUnansweredPings(settings), 0),
    skipUTF8Validation: settings.skipUTF8Validation ?? false,
  };
}

function resolveMaxUnansweredPings({ maxUnansweredPings, maxPendingAutoPongs }: ConnectionSettings): number {
  if (maxPendingAutoPongs === undefined) return maxUnansweredPings ?? DEFAULT_MAX_UNANSWERED_PINGS;
  if (maxUnansweredPings !== undefined)
    throw new TypeError('give maxUnansweredPings or its ws name maxPendingAutoPongs, not both');
  return maxPendingAutoPongs === 0 ? Infinity : maxPendingAutoPongs;
}
