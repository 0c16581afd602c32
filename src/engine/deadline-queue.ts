import { performance } from 'node:perf_hooks';

/** The links and deadline a {@link DeadlineQueue} keeps on each of its entries. */
export interface DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined;
  deadlineNext: DeadlineEntry | undefined;
  /** When the entry is due, in whole milliseconds of the monotonic clock. */
  deadlineAt: number;
  deadlineQueue: DeadlineQueue<DeadlineEntry> | undefined;
}

/** Whole milliseconds of the monotonic clock: small integers, which V8 keeps unboxed. */
function now(): number {
  return Math.floor(performance.now());
}

/**
 * Deadlines for many entries that all wait the same delay, such as every session's next ping:
 * one Node timer per queue instead of one timer object per session. Since each entry is due
 * `delay` after it joined, joining at the tail keeps the queue in deadline order, so joining,
 * leaving and restarting a wait are O(1) and the timer only ever watches the head.
 *
 * @example
 * const pings = new DeadlineQueue<Session>(25_000, (session) => session.ping());
 * pings.add(session);    // due in 25 s; adding again restarts the wait
 * pings.remove(session); // no longer due
 */
export class DeadlineQueue<T extends DeadlineEntry> {
  private head: T | undefined;
  private tail: T | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** How long every entry waits, in milliseconds (> 0). */
    readonly delay: number,
    private readonly onDue: (entry: T) => void,
  ) {}

  /** Starts `entry`'s wait, or restarts it: due `delay` ms from now. Leaves any other queue first. */
  add(entry: T): void {
    entry.deadlineQueue?.remove(entry);
    entry.deadlineAt = now() + this.delay;
    entry.deadlinePrev = this.tail;
    entry.deadlineNext = undefined;
    entry.deadlineQueue = this as unknown as DeadlineQueue<DeadlineEntry>;
    if (this.tail === undefined) this.head = entry;
    else this.tail.deadlineNext = entry;
    this.tail = entry;
    if (this.timer === undefined) this.arm();
  }

  /** Takes `entry` out of the queue; nothing if it is not in this one. */
  remove(entry: T): void {
    if (entry.deadlineQueue !== (this as unknown as DeadlineQueue<DeadlineEntry>)) return;
    const previous = entry.deadlinePrev as T | undefined;
    const next = entry.deadlineNext as T | undefined;
    if (previous === undefined) this.head = next;
    else previous.deadlineNext = next;
    if (next === undefined) this.tail = previous;
    else next.deadlinePrev = previous;
    entry.deadlinePrev = undefined;
    entry.deadlineNext = undefined;
    entry.deadlineQueue = undefined;
    if (this.head === undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Whether `entry` is waiting in this queue. */
  has(entry: T): boolean {
    return entry.deadlineQueue === (this as unknown as DeadlineQueue<DeadlineEntry>);
  }

  private arm(): void {
    const head = this.head;
    if (head === undefined) return;
    this.timer = setTimeout(() => this.fire(), Math.max(1, head.deadlineAt - now()));
  }

  private fire(): void {
    this.timer = undefined;
    const time = now();
    // Every due entry leaves before its handler runs, and whatever the handler adds here is due
    // `delay` (> 0) later, so the loop ends. A handler that throws (through an application's
    // listener) must not leave the queue without a timer: every later deadline would be lost.
    try {
      for (let entry = this.head; entry !== undefined && entry.deadlineAt <= time; entry = this.head) {
        this.remove(entry);
        this.onDue(entry);
      }
    } finally {
      if (this.timer === undefined) this.arm();
    }
  }
}
