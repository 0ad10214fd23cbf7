import { present } from '../../../lib/assert.js';

/** Events ordered by virtual time, ties broken by scheduling order so runs are reproducible. */
interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(this.slot(i), this.slot(p))) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(this.slot(l), this.slot(m))) m = l;
        if (r < h.length && before(this.slot(r), this.slot(m))) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private slot(i: number): Event {
    return present(this.heap[i], 'a heap index is below the heap size');
  }

  private swap(i: number, j: number): void {
    const a = this.slot(i);
    this.heap[i] = this.slot(j);
    this.heap[j] = a;
  }
}

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
