/*
 * How an exception raised while serving a client stays with that client. Every place where the
 * server runs application code (listeners, middlewares, acknowledgement callbacks) or an adapter
 * call catches what it throws, and every promise such code returns has its rejection caught: the
 * error goes to the owner of the operation, which reports it and, for a socket, disconnects its
 * client with "server error". Nothing reaches `uncaughtException` or `unhandledRejection`.
 */

/** What an operation runs on behalf of: a socket (whose client answers for a failure) or a namespace. */
export interface ErrorOwner {
  /**
   * @internal Takes an exception raised on this owner's behalf: reports it and, for a socket,
   * disconnects its client with `"server error"`. Never throws.
   */
  contain(err: unknown): void;
}

/**
 * Options of the server's event emitters: the rejection of an async listener comes back to the
 * emitter's `EventEmitter.captureRejectionSymbol` method instead of going unhandled.
 */
export const CAPTURE_REJECTIONS = Object.freeze({ captureRejections: true });

/** Whether `value` is a promise, or anything `await` would treat as one. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Hands the rejection of `result` to `owner`, when `result` is a promise (an async listener's, or
 * a cluster adapter's); anything else is left alone. A synchronous result costs one type check.
 */
export function containRejection(result: unknown, owner: ErrorOwner): void {
  if (isThenable(result)) result.then(undefined, (err: unknown) => owner.contain(err));
}

/** A thrown value as an Error: anything else (a string, a rejection without a reason) becomes the `cause` of one. */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = String(value);
  } catch {
    // An object without a prototype, or whose toString throws.
    text = Object.prototype.toString.call(value);
  }
  return new Error(`non-error thrown: ${text}`, { cause: value });
}

/**
 * Prints a contained error nobody listens to as a process warning (Node writes it to stderr; a
 * `process.on('warning')` listener receives it), its stack as the detail.
 */
export function warnContained(err: unknown, context: string): void {
  const error = asError(err);
  process.emitWarning(`${context}: ${error.message}`, { type: 'ServerError', detail: error.stack ?? '' });
}
