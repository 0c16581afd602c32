/**
 * The one set of waits every test uses: each is bounded in time and, when it gives up, names what
 * it was waiting for, so a broken test fails with a message instead of hanging the run.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `predicate` holds (it may be async), checking every few ms; rejects after `timeout` ms
 * with a message naming `what` (a function, to say how far things got).
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeout = 3000,
  what: string | (() => string) = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(5);
  }
}

/** Settles as `promise` does, or rejects after `timeout` ms with a message naming `what`. */
export function withTimeout<T>(promise: Promise<T>, what: string, timeout = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

type Listener = (...args: unknown[]) => void;

/** A Node `EventEmitter`, a socket.io-client or engine.io-client socket, a manager, a namespace... */
interface OnceEmitter {
  once(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

/** A DOM-style `EventTarget` (e.g. the global `WebSocket`, an `AbortSignal`). */
interface Target {
  addEventListener(event: string, listener: Listener, options: { once: boolean }): void;
  removeEventListener(event: string, listener: Listener): void;
}

/**
 * Resolves with the arguments of the next `event` of `emitter` (for an `EventTarget`, `[event]`), or
 * rejects after `timeout` ms. Unlike `events.once` it does not reject on `'error'`: sessions and
 * sockets report errors and then close, and tests wait for either. `emitter` is typed loosely because
 * typed emitters (socket.io-client's, Node's `EventEmitter<Events>`) have no common listener type.
 */
export function waitFor<T extends unknown[] = unknown[]>(emitter: object, event: string, timeout = 5000): Promise<T> {
  const subscribe = (listener: Listener): (() => void) => {
    if ('once' in emitter && typeof emitter.once === 'function') {
      const target = emitter as OnceEmitter;
      target.once(event, listener);
      return () => (target.off ?? target.removeListener)?.call(target, event, listener);
    }
    if ('addEventListener' in emitter) {
      const target = emitter as Target;
      target.addEventListener(event, listener, { once: true });
      return () => target.removeEventListener(event, listener);
    }
    throw new TypeError(`waitFor: ${emitter.constructor.name} is neither an event emitter nor an EventTarget`);
  };
  return new Promise((resolve, reject) => {
    const unsubscribe = subscribe((...args) => {
      clearTimeout(timer);
      resolve(args as T);
    });
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeout} ms waiting for '${event}'`));
    }, timeout);
  });
}
