/*
 * How an exception raised while serving a client stays with that client. Every place where the
 * server runs application code (listeners, middlewares, acknowledgement callbacks) or an adapter
 * call catches what it throws, and every promise such code returns has its rejection caught: the
 * error goes to the owner of the operation, which reports it and, for a socket, disconnects its
 * client with "server error". Nothing reaches `uncaughtException` or `unhandledRejection`.
 */
import { asError, isThenable } from '../engine/callback-hook.js';

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

// The engine's, which runs application hooks too: one definition of each.
export { asError, isThenable };

/**
 * Hands the rejection of `result` to `owner`, when `result` is a promise (an async listener's, or
 * a cluster adapter's); anything else is left alone. A synchronous result costs one type check.
 */
export function containRejection(result: unknown, owner: ErrorOwner): void {
  if (isThenable(result)) result.then(undefined, (err: unknown) => owner.contain(err));
}

/**
 * A promise that knows whether anyone handled it: `await`, `then`, `catch` and `finally` all go
 * through `then`. Promises it derives are plain ones.
 */
class WatchedPromise extends Promise<void> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Whether `then` was called (directly, or by `await`, `catch` or `finally`). */
  handled = false;

  override then<Fulfilled = void, Rejected = never>(
    onFulfilled?: ((value: void) => Fulfilled | PromiseLike<Fulfilled>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Fulfilled | Rejected> {
    this.handled = true;
    return super.then(onFulfilled, onRejected);
  }

  /** Marks the rejection handled without counting as a caller's handler. */
  silence(): void {
    super.then(undefined, ignore);
  }
}

function ignore(): void {}

/**
 * Gives the application a promise for an adapter call it asked for (`socket.join`,
 * `socket.leave`) whose rejection is the application's when it handles the promise and the
 * server's when it does not. The promise is handled if the caller awaits it or attaches a handler
 * before the turn in which the adapter rejected has ended (Node's own test for an unhandled
 * rejection): the caller then gets the rejection, and the client stays. Otherwise `owner`
 * contains it (the client is disconnected with `"server error"`, the error reported), and the
 * promise, rejected all the same for a late handler, never counts as an unhandled rejection.
 */
export function rejectionForCaller(result: Promise<void> | void, owner: ErrorOwner): Promise<void> | void {
  if (!isThenable(result)) return result;
  const watched: WatchedPromise = new WatchedPromise((resolve, reject) => {
    result.then(
      () => resolve(),
      (err: unknown) => {
        // `await` calls `then` a microtask after it starts, possibly after this runs: decide once the turn is over.
        setImmediate(() => {
          if (!watched.handled) {
            watched.silence();
            owner.contain(err);
          }
          reject(err);
        });
      },
    );
  });
  return watched;
}

/**
 * Prints a contained error nobody listens to as a process warning (Node writes it to stderr; a
 * `process.on('warning')` listener receives it), its stack as the detail.
 */
export function warnContained(err: unknown, context: string): void {
  const error = asError(err);
  process.emitWarning(`${context}: ${error.message}`, { type: 'ServerError', detail: error.stack ?? '' });
}
