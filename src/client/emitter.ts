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
   * Made on the first `on`: most objects of a client never get a listener. An event's only
   * listener is kept as is (most events have one, and an array each would cost more than the
   * listener); several are kept in an array that is replaced, never changed, so a listener may add
   * or remove listeners while an event is delivered.
   */
  #listeners: Map<keyof Events, AnyListener | AnyListener[]> | undefined;

  /** Adds `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const listeners = (this.#listeners ??= new Map<keyof Events, AnyListener | AnyListener[]>());
    const list = listeners.get(event);
    listeners.set(event, list === undefined ? (listener as never) : [list, listener as never].flat());
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
    const list = this.#list(event!);
    const index = list.findIndex((candidate) => candidate === (listener as unknown) || candidate.listener === listener);
    if (event === undefined) listeners?.clear();
    else if (listener === undefined) listeners?.delete(event);
    else if (index !== -1) {
      list.splice(index, 1);
      if (list.length === 0) listeners!.delete(event);
      else listeners!.set(event, list.length === 1 ? list[0]! : list);
    }
    return this;
  }

  /** The listeners of `event`, in call order (a copy). */
  listeners<E extends keyof Events>(event: E): Listener<Events[E]>[] {
    return this.#list(event) as unknown as Listener<Events[E]>[];
  }

  /** Whether `event` has a listener. */
  hasListeners(event: keyof Events): boolean {
    return this.#listeners?.has(event) ?? false;
  }

  /** Calls every listener of `event` with `args`. */
  protected emitEvent<E extends keyof Events>(event: E, ...args: Events[E]): void {
    // The stored array is never changed (see #listeners): no copy needed to deliver safely.
    const stored = this.#listeners?.get(event);
    if (typeof stored === 'function') callSafely(stored, this, args);
    else if (stored !== undefined) for (const listener of stored) callSafely(listener, this, args);
  }

  /** The listeners of `event`, as a new array. */
  #list(event: keyof Events): AnyListener[] {
    return [this.#listeners?.get(event) ?? []].flat();
  }
}
