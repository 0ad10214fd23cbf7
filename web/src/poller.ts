// Runs a refresh again and again while its view is shown: one at a time
// (never piling requests on a slow member), paused while the tab is hidden.

export class Poller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private active = false;

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly intervalMs: number,
  ) {
    document.addEventListener('visibilitychange', () => {
      if (this.active && !document.hidden) this.now();
    });
  }

  start(): void {
    this.active = true;
    this.now();
  }

  stop(): void {
    this.active = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Refreshes at once (unless one is under way), then keeps the rhythm. */
  now(): void {
    if (!this.active || this.running) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.running = true;
    void this.refresh().finally(() => {
      this.running = false;
      if (this.active && !document.hidden) this.timer = setTimeout(() => this.now(), this.intervalMs);
    });
  }
}
