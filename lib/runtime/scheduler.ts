// Deferred work as the member schedules it, behind an interface so a
// simulation decides when each callback runs.

export interface Timer {
  cancel(): void;
}

export interface Scheduler {
  /** Runs fn once after ms. The timer does not keep the process alive. */
  after(ms: number, fn: () => void): Timer;
  /** Runs fn every ms until cancelled. */
  every(ms: number, fn: () => void): Timer;
  /** Runs fn after the current turn, once pending I/O callbacks had their chance (setImmediate). */
  soon(fn: () => void): void;
}

export const realScheduler: Scheduler = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return { cancel: () => clearInterval(t) };
  },
  soon(fn) {
    setImmediate(fn);
  },
};

/** A promise that resolves after ms on the given scheduler. */
export function sleep(scheduler: Scheduler, ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.after(ms, resolve));
}

/** A promise that resolves on the scheduler's next turn (yields to I/O). */
export function yieldTurn(scheduler: Scheduler): Promise<void> {
  return new Promise((resolve) => scheduler.soon(resolve));
}
