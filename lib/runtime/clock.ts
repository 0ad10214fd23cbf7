// Time as the member sees it, behind an interface so a simulation can run
// whole members on a virtual clock.

export interface Clock {
  /** Wall-clock milliseconds since the epoch (entry stamps, TTLs, stats). */
  now(): number;
  /** Milliseconds on a clock that never steps back, with sub-millisecond precision (latencies, durations). */
  monotonic(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
