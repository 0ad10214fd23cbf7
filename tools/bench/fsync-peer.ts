// A second disk writer for the floor measurement (floor.ts): runs the same
// write-and-fdatasync loop as the measuring process, in the directory and
// for the seconds given on its command line, so that the measured fsyncs
// share the disk as the followers' of one PUT do.

import { fsyncLatencies } from './floor.js';

const [dir, seconds] = process.argv.slice(2);
if (dir === undefined || seconds === undefined) throw new Error('usage: fsync-peer <dir> <seconds>');
fsyncLatencies(dir, Number(seconds));
