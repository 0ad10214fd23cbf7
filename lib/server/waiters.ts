// Clients waiting for their proposal to be applied, keyed by the proposal's
// sequence number. Each waiter has a deadline so no client hangs forever.

export class ProposalWaiters<T> {
  private readonly pending = new Map<number, { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly timeoutMs: number, private readonly timeoutError: () => Error) {}

  get size(): number {
    return this.pending.size;
  }

  wait(seq: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(this.timeoutError());
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(seq, { resolve, reject, timer });
    });
  }

  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  resolve(seq: number, value: T): void {
    const w = this.pending.get(seq);
    if (!w) return;
    this.pending.delete(seq);
    clearTimeout(w.timer);
    w.resolve(value);
  }

  reject(seq: number, err: Error): void {
    const w = this.pending.get(seq);
    if (!w) return;
    this.pending.delete(seq);
    clearTimeout(w.timer);
    w.reject(err);
  }

  rejectAll(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.reject(seq, err);
  }
}
