/**
 * Calls an application callback (an event listener, an acknowledgement, an `onAny` listener). What
 * it throws is rethrown from a microtask: it reaches the page's or the process's error handler
 * instead of leaving the client half-way through a packet.
 */
export function callSafely(callback: (...args: never[]) => unknown, thisArg: unknown, args: readonly unknown[]): void {
  try {
    Reflect.apply(callback, thisArg, args);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
