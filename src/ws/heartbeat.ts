/** Something a {@link Heartbeat} can check: it pings, and reports whether the peer showed life since the last check. */
export interface HeartbeatTarget {
  /** Called once per interval; answers `false` when the peer stayed silent and was terminated. */
  checkAlive(): boolean;
}

/**
 * One timer that keeps watch over many connections: each interval, every connection that showed
 * no sign of life (no data, no pong) since the previous one is terminated, and the rest are pinged.
 * One shared interval instead of a timer per connection keeps 100,000 idle sockets cheap.
 */
export class Heartbeat {
  private readonly targets = new Set<HeartbeatTarget>();
  private timer: NodeJS.Timeout | undefined;

  /** `intervalMs` of 0 turns the heartbeat off. */
  constructor(private readonly intervalMs: number) {}

  /** Starts watching `target`. */
  add(target: HeartbeatTarget): void {
    if (this.intervalMs <= 0) return;
    this.targets.add(target);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops watching `target`. */
  delete(target: HeartbeatTarget): void {
    this.targets.delete(target);
    if (this.targets.size === 0) this.stop();
  }

  /** Stops the timer and forgets every target. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.targets.clear();
  }

  private tick(): void {
    for (const target of this.targets) {
      if (!target.checkAlive()) this.targets.delete(target);
    }
  }
}
