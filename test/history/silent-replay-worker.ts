// A replay worker module that takes every request and never answers: a
// replay that is still running whenever the test looks.

import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => {});
