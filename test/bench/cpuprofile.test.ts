import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileOf, longTasks, summarize } from '../../tools/bench/cpuprofile.js';

// root → drain (lib/server/member.js) → encode (node_modules/avsc); and (idle), (garbage collector)
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
    { id: 2, callFrame: frame('drain', 'file:///x/dist/lib/server/member.js'), children: [3] },
    { id: 3, callFrame: frame('encode', 'file:///x/node_modules/avsc/lib/types.js'), children: [] },
    { id: 4, callFrame: frame('(idle)', ''), children: [] },
    { id: 5, callFrame: frame('(garbage collector)', ''), children: [] },
  ],
  startTime: 0,
  endTime: 24_000,
  // µs; a sample lasts until the next one (the last one the mean, 2 ms): 1 ms idle, 6 ms in encode
  // (a task), 1 ms idle, 2 ms of GC (a task), then idle with a 9 ms gap before the last sample.
  samples: [4, 3, 3, 3, 3, 3, 3, 4, 5, 5, 4, 4],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 9000],
};

describe('cpuprofile', () => {
  it('names where code lives: kvd files by path, packages by name, V8 pseudo-frames as they are', () => {
    assert.equal(fileOf('file:///x/dist/lib/store/store.js', 'get'), 'lib/store/store.js');
    assert.equal(fileOf('file:///x/node_modules/avsc/lib/types.js', 'encode'), 'npm:avsc');
    assert.equal(fileOf('node:internal/http2/core', 'emit'), 'node:internal/http2');
    assert.equal(fileOf('', '(garbage collector)'), '(garbage collector)');
    assert.equal(fileOf('', 'writev'), '(native)');
  });

  it('adds up self time per function and per file, largest first, with the idle time apart', () => {
    const s = summarize(profile, 10);
    assert.equal(s.totalMs, 24);
    assert.deepEqual(
      s.files.map((f) => [f.name, f.ms]),
      [
        ['(idle)', 13],
        ['npm:avsc', 6],
        ['(garbage collector)', 2],
      ],
    );
    assert.equal(s.idleMs, 13);
    assert.equal(s.functions[1]!.name, 'encode npm:avsc:10');
  });

  it('finds runs of work between idle samples, names the kvd stack they were in, and counts sampler gaps apart', () => {
    const r = longTasks(profile, 2, 10);
    assert.deepEqual(
      r.tasks.map((t) => [t.ms, t.mostly]),
      [
        [6, '100% drain [encode]'],
        [2, '100% (no kvd frame) [(garbage collector)]'],
      ],
    );
    assert.equal(r.descheduledMs, 9);
  });
});
