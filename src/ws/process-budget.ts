/** Something charged to a {@link ProcessBudget}: a connection's queued bytes, a message's inflated output. */
export interface BudgetHolder {
  /**
   * The budget took back all this holder's bytes to make room for a smaller one: let them go. It
   * runs in the middle of another holder's charge (a send, a broadcast, a chunk of output), so it
   * must not run application code before that returns.
   */
  evicted(): void;
}

/**
 * What the process-wide budgets ({@link SendBudget}, {@link InflateBudget}) share: a limit in bytes
 * that the application may change at any time, the bytes each holder is charged, and who pays when
 * they do not fit: the holder charged the most. A small holder is never refused while a larger one
 * holds bytes, so one peer (a bomb, a reader that stopped) cannot get the others closed.
 */
export abstract class ProcessBudget<Holder extends BudgetHolder> {
  private max: number;
  private closed = 0;
  private total = 0;
  /** Bytes charged to each holder, none of them 0; as many entries as holders charged now. */
  private readonly holders = new Map<Holder, number>();

  /** @throws TypeError when `limit` is not a number ≥ 0 (`Infinity` turns the budget off). */
  protected constructor(
    private readonly optionName: string,
    limit: number,
  ) {
    this.max = this.check(limit);
  }

  /** Most bytes the budget allows. Lowering it refuses only from then on. */
  get limit(): number {
    return this.max;
  }

  set limit(value: number) {
    this.max = this.check(value);
  }

  /**
   * Connections closed since the budget was created because they held the most when it had no
   * room left: WebSockets with 1013, Engine.IO polling sessions with "transport error".
   */
  get closedConnections(): number {
    return this.closed;
  }

  /** @internal Gives back all `holder`'s bytes: it holds none now, or it closed. */
  release(holder: Holder): void {
    const held = this.holders.get(holder);
    if (held === undefined) return;
    this.holders.delete(holder);
    this.total -= held;
  }

  /** Bytes charged to all holders now. */
  protected get heldBytes(): number {
    return this.total;
  }

  /** Holders charged now. */
  protected get holderCount(): number {
    return this.holders.size;
  }

  /** Bytes charged to `holder` now. */
  protected heldBy(holder: Holder): number {
    return this.holders.get(holder) ?? 0;
  }

  /**
   * Charges `holder` with `bytes` in all (more than 0; {@link release} for none). While a growing
   * charge does not fit under {@link limit}, the holder charged the most pays: another is given
   * back all its bytes, then told so (`evicted` runs before this returns, once the totals are
   * right). Answers `false`, charging nothing, when `holder` would be the largest itself, unless
   * `force`: it is then charged past the limit. Every holder evicted or refused counts in
   * {@link closedConnections}. Finding the largest scans every holder, but only while the budget is full.
   */
  protected hold(holder: Holder, bytes: number, force = false): boolean {
    const before = this.holders.get(holder) ?? 0;
    while (bytes > before && this.total - before + bytes > this.max) {
      const largest = this.largestAbove(bytes);
      if (largest === undefined) {
        if (force) break;
        this.closed++;
        return false;
      }
      this.closed++;
      this.release(largest);
      largest.evicted();
    }
    this.holders.set(holder, bytes);
    this.total += bytes - before;
    return true;
  }

  /**
   * The holder charged the most, if more than `bytes`: a tie spares the others. The holder asking
   * for `bytes` is never it, being charged less until it gets them.
   */
  private largestAbove(bytes: number): Holder | undefined {
    let largest: Holder | undefined;
    let largestBytes = bytes;
    for (const [other, otherBytes] of this.holders) {
      if (otherBytes > largestBytes) {
        largest = other;
        largestBytes = otherBytes;
      }
    }
    return largest;
  }

  private check(limit: number): number {
    if (typeof limit !== 'number' || !(limit >= 0))
      throw new TypeError(`${this.optionName} limit must be a number ≥ 0, got ${limit}`);
    return limit;
  }
}
