/**
 * A small typed event emitter for the client (the browser has no `node:events`). Listeners are
 * called in the order they were added; one that throws does not stop the others, and the error
 * is rethrown from a microtask so it reaches the page's or the process's error handler instead of
 * breaking the client's own state.
 */
import { callSafely } from './call-safely.js';

export type EventsMap = Record<string, unknown[]>;

type Listener<Args extends unknown[]> = (...args: Args) => void;
// Stored without their argument types; `on` and `emitEvent` pair them up by event name.
type AnyListener = (...args: never[]) => void;

export class Emitter<Events extends EventsMap> {
  #listeners = new Map<keyof Events, AnyListener[]>();

  /** Adds `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener as unknown as AnyListener]);
    else list.push(listener as unknown as AnyListener);
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const once = (...args: Events[E]): void => {
      this.off(event, once);
      listener(...args);
    };
    (once as { listener?: unknown }).listener = listener;
    return this.on(event, once);
  }

  /**
   * Removes `listener` from `event` (a listener added with `once` too); with no listener, every
   * listener of `event`; with no arguments, every listener.
   */
  off<E extends keyof Events>(event?: E, listener?: Listener<Events[E]>): this {
    if (event === undefined) {
      this.#listeners.clear();
      return this;
    }
    const list = this.#listeners.get(event);
    if (list === undefined) return this;
    if (listener === undefined) {
      this.#listeners.delete(event);
      return this;
    }
    const index = list.findIndex(
      (candidate) => candidate === (listener as unknown) || (candidate as { listener?: unknown }).listener === listener,
    );
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** The listeners of `event`, in call order (a copy). */
  listeners<E extends keyof Events>(event: E): Listener<Events[E]>[] {
    return [...(this.#listeners.get(event) ?? [])] as unknown as Listener<Events[E]>[];
  }

  /** Whether `event` has a listener. */
  hasListeners(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.length ?? 0) > 0;
  }

  /** Calls every listener of `event` with `args`. Returns whether there was one. */
  protected emitEvent<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined) return false;
    for (const listener of [...list]) callSafely(listener, undefined, args);
    return true;
  }
}
