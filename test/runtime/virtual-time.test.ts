import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom, sleep, VirtualTime } from '../../lib/runtime/index.js';

describe('virtual time', () => {
  it('runs callbacks in the order they come due, and those due at the same instant in the order they were scheduled', () => {
    const time = new VirtualTime();
    const ran: string[] = [];
    time.after(20, () => ran.push('b'));
    time.after(10, () => ran.push('a'));
    time.soon(() => ran.push('now-1'));
    time.after(20, () => ran.push('c'));
    time.soon(() => ran.push('now-2'));
    time.advance(100);
    assert.deepEqual(ran, ['now-1', 'now-2', 'a', 'b', 'c']);
  });

  it('moves the clock to each callback as it runs, and to the end of an advance', () => {
    const time = new VirtualTime(1_000_000);
    const seen: number[] = [];
    time.after(15, () => seen.push(time.monotonic()));
    time.advance(40);
    assert.deepEqual(seen, [15]);
    assert.equal(time.monotonic(), 40);
    assert.equal(time.now(), 1_000_040);
  });

  it('leaves a callback due later than the advance waiting', () => {
    const time = new VirtualTime();
    let ran = false;
    time.after(50, () => (ran = true));
    time.advance(49);
    assert.equal(ran, false);
    time.advance(1);
    assert.equal(ran, true);
  });

  it('never runs a cancelled callback', () => {
    const time = new VirtualTime();
    let ran = false;
    time.after(5, () => (ran = true)).cancel();
    time.advance(10);
    assert.equal(ran, false);
    assert.equal(time.nextDue(), null);
  });

  it('repeats a periodic callback until it is cancelled', () => {
    const time = new VirtualTime();
    const at: number[] = [];
    const timer = time.every(10, () => at.push(time.monotonic()));
    time.advance(35);
    timer.cancel();
    time.advance(100);
    assert.deepEqual(at, [10, 20, 30]);
  });

  it('resolves sleep() only when the virtual clock gets there', async () => {
    const time = new VirtualTime();
    let woke = false;
    const slept = sleep(time, 30).then(() => (woke = true));
    time.advance(29);
    await Promise.resolve();
    assert.equal(woke, false);
    time.advance(1);
    await slept;
    assert.equal(woke, true);
  });
});

describe('seeded randomness', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const seq = (r: SeededRandom) => Array.from({ length: 5 }, () => r.next());
    const first = seq(a);
    assert.deepEqual(seq(b), first);
    assert.notDeepEqual(seq(c), first);
    for (const x of first) assert.ok(x >= 0 && x < 1);
  });
});
