/**
 * A small typed event emitter for the client (the browser has no `node:events`). Listeners are
 * called in the order they were added, with the emitter as `this` (as socket.io-client's emitter
 * does); one that throws does not stop the others, and the error is rethrown from a microtask so
 * it reaches the page's or the process's error handler instead of breaking the client's own state.
 */
import { callSafely } from './call-safely.js';

export type EventsMap = Record<string, unknown[]>;

type Listener<Args extends unknown[]> = (...args: Args) => void;
// Stored without their argument types; `on` and `emitEvent` pair them up by event name.
type AnyListener = ((...args: never[]) => void) & { listener?: unknown };

export class Emitter<Events extends EventsMap> {
  /**
   * Each event with listeners, followed by its listeners: `[event, listeners, event, listeners…]`.
   * Made on the first `on`: most objects of a client never get a listener. A client's objects have
   * a handful of events each, and scanning so short an array is as quick as a Map lookup for a
   * fraction of a Map's memory (every idle client holds several). An event's only listener is kept
   * as is (most events have one, and an array each would cost more than the listener); several are
   * kept in an array that is replaced, never changed, so a listener may add or remove listeners
   * while an event is delivered.
   */
  #listeners: (keyof Events | AnyListener | AnyListener[])[] | undefined;

  /** Adds `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const listeners = this.#listeners;
    const index = this.#indexOf(event);
    // A new array of the exact size: `push` would reserve room for more than a dozen entries.
    if (index === -1) this.#listeners = (listeners ?? []).concat([event, listener as never]);
    else listeners![index + 1] = [listeners![index + 1] as AnyListener, listener as never].flat();
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const once = (...args: Events[E]): void => {
      this.off(event, once);
      listener.apply(this, args);
    };
    once.listener = listener;
    return this.on(event, once);
  }

  /**
   * Removes `listener` from `event` (a listener added with `once` too); with no listener, every
   * listener of `event`; with no arguments, every listener.
   */
  off<E extends keyof Events>(event?: E, listener?: Listener<Events[E]>): this {
    const listeners = this.#listeners;
    const at = this.#indexOf(event!);
    if (event === undefined) this.#listeners = undefined;
    else if (at !== -1) {
      // What stays: a new array (the stored one is never changed), or none without a listener.
      const list = listener === undefined ? [] : [listeners![at + 1] as AnyListener | AnyListener[]].flat();
      const index = list.findIndex(
        (candidate) => candidate === (listener as unknown) || candidate.listener === listener,
      );
      if (index !== -1) list.splice(index, 1);
      if (list.length === 0) listeners!.splice(at, 2);
      else listeners![at + 1] = list.length === 1 ? list[0]! : list;
    }
    return this;
  }

  /** The listeners of `event`, in call order (a copy). */
  listeners<E extends keyof Events>(event: E): Listener<Events[E]>[] {
    return this.#list(event) as unknown as Listener<Events[E]>[];
  }

  /** Whether `event` has a listener. */
  hasListeners(event: keyof Events): boolean {
    return this.#indexOf(event) !== -1;
  }

  /** Calls every listener of `event` with `args`. */
  protected emitEvent<E extends keyof Events>(event: E, ...args: Events[E]): void {
    // The stored array is never changed (see #listeners): no copy needed to deliver safely.
    const stored = this.#stored(event);
    if (typeof stored === 'function') callSafely(stored, this, args);
    else if (stored !== undefined) for (const listener of stored) callSafely(listener, this, args);
  }

  /** The listeners of `event`, as a new array. */
  #list(event: keyof Events): AnyListener[] {
    return [this.#stored(event) ?? []].flat();
  }

  /** What is kept for `event`: its only listener, or an array of them. */
  #stored(event: keyof Events): AnyListener | AnyListener[] | undefined {
    const index = this.#indexOf(event);
    return index === -1 ? undefined : (this.#listeners![index + 1] as AnyListener | AnyListener[]);
  }

  /** Where `event` is in {@link #listeners}, -1 if it has no listener. */
  #indexOf(event: keyof Events): number {
    const listeners = this.#listeners;
    if (listeners !== undefined) for (let i = 0; i < listeners.length; i += 2) if (listeners[i] === event) return i;
    return -1;
  }
}
