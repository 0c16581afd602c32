/**
 * Calls an application callback (an acknowledgement, an `onAny` listener). What it throws is
 * rethrown on a later task, as the emitter does for listeners: it reaches the page's or the
 * process's error handler instead of leaving the client half-way through a packet.
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
