/**
 * A small seeded generator (mulberry32): a fuzz run is replayed exactly from its seed, which
 * `Math.random` cannot do.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, `bound`). */
  below(bound: number): number {
    return bound <= 0 ? 0 : this.next() % bound;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** Cut points splitting `length` bytes in up to `most` + 1 pieces, sorted (repeats make empty pieces). */
  cuts(length: number, most: number): number[] {
    const count = 1 + this.below(most);
    return Array.from({ length: count }, () => this.below(length + 1)).sort((a, b) => a - b);
  }
}
