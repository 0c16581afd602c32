/**
 * What the process-wide budgets ({@link SendBudget}, {@link InflateBudget}) share: a limit in bytes
 * that the application may change at any time, and a count of the connections closed for it.
 */
export abstract class ProcessBudget {
  private max: number;
  private closed = 0;

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
   * Connections closed since the budget was created because they would have taken it past
   * {@link limit}: WebSockets with 1013, Engine.IO polling sessions with "transport error".
   */
  get closedConnections(): number {
    return this.closed;
  }

  /** @internal A connection was closed for passing the limit. */
  countClosed(): void {
    this.closed++;
  }

  private check(limit: number): number {
    if (typeof limit !== 'number' || !(limit >= 0)) throw new TypeError(`${this.optionName} limit must be a number ≥ 0, got ${limit}`);
    return limit;
  }
}
