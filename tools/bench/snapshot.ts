// node --expose-gc --max-old-space-size=8000 --import tsx tools/bench/snapshot.ts [keys]
//
// Builds a key tree of N keys with 256-byte values (default 1,000,000), then
// measures what a member's snapshot costs: encoding it in one go (the whole
// time is a pause), encoding it in pieces as a member does (the longest time
// the event loop is held, and the total), the snapshot's size, the time to
// restore it, and RSS per key.

import { StateMachine } from '../../lib/state/index.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
const sm = new StateMachine();
const filler = 'v'.repeat(250);
gc?.();
const rss0 = process.memoryUsage().rss;
for (let i = 0; i < keys; i++) {
  // A flat string per key, as values decoded from the log are (not a rope sharing one filler).
  const value = Buffer.from(filler + String(i).padStart(6, '0')).toString('latin1');
  sm.store.apply({ op: 'put', path: `/app/d${i % 1000}/key${i}`, value, dir: false, ttl: null, refresh: false }, 0);
}
gc?.();
const rss1 = process.memoryUsage().rss;
// The first snapshot of a process encodes twice (it learns the size); later ones once.
const f0 = performance.now();
sm.snapshotData();
const f1 = performance.now();
const t0 = performance.now();
const data = sm.snapshotData();
const t1 = performance.now();
const restored = StateMachine.fromSnapshotData(data);
const t2 = performance.now();
// Each hold in wall time and in CPU time (this process's, all threads: a busy machine stretches the first, not the second).
const holds: Array<{ ms: number; cpuMs: number }> = [];
let last = performance.now();
let lastCpu = process.cpuUsage();
const hold = () => {
  const cpu = process.cpuUsage(lastCpu);
  holds.push({ ms: performance.now() - last, cpuMs: (cpu.user + cpu.system) / 1000 });
};
const p0 = last;
const pieces = await sm.snapshotDataInPieces(async () => {
  hold();
  await new Promise((resolve) => setImmediate(resolve));
  last = performance.now();
  lastCpu = process.cpuUsage();
});
hold();
const longestHoldMs = Math.max(...holds.map((h) => h.ms));
// The first hold collects the columns (a point-in-time copy of the tree); the rest encode.
const encodeHolds = holds
  .slice(1)
  .map((h) => h.cpuMs)
  .sort((a, b) => a - b);
const p1 = performance.now();
const fromPieces = StateMachine.fromSnapshotData(pieces);
if (fromPieces.store.nodeCount !== restored.store.nodeCount || fromPieces.store.index !== restored.store.index) {
  throw new Error('the snapshot encoded in pieces does not restore to the same store');
}
console.log(
  JSON.stringify({
    keys: restored.store.nodeCount,
    rssBytesPerKey: Math.round((rss1 - rss0) / keys),
    oneGoFirstPauseMs: Math.round(f1 - f0),
    oneGoPauseMs: Math.round(t1 - t0),
    inPiecesLongestHoldMs: Math.round(longestHoldMs),
    inPiecesHolds: holds.length,
    inPiecesFirstHoldCpuMs: Math.round(holds[0]!.cpuMs),
    inPiecesLaterHoldsCpuMsP50: +(encodeHolds[Math.floor(encodeHolds.length / 2)] ?? 0).toFixed(2),
    inPiecesLaterHoldsCpuMsMax: +(encodeHolds[encodeHolds.length - 1] ?? 0).toFixed(2),
    inPiecesTotalMs: Math.round(p1 - p0),
    snapshotMB: +(data.length / 1e6).toFixed(1),
    restoreMs: Math.round(t2 - t1),
  }),
);
