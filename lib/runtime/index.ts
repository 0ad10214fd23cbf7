// What a member takes from its environment: time, randomness and deferred
// work. Production passes realRuntime; tests and the cluster simulation pass
// a VirtualTime and a SeededRandom.

import { realClock, type Clock } from './clock.js';
import { realRandom, type Random } from './random.js';
import { realScheduler, type Scheduler } from './scheduler.js';

export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly scheduler: Scheduler;
}

export const realRuntime: Runtime = { clock: realClock, random: realRandom, scheduler: realScheduler };

export { realClock, type Clock } from './clock.js';
export { realRandom, SeededRandom, type Random } from './random.js';
export { realScheduler, sleep, yieldTurn, type Scheduler, type Timer } from './scheduler.js';
export { VirtualTime } from './virtual-time.js';
