import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Figures } from '../../tools/bench/figures.js';
import { formatCompare, formatFloor, formatRatios, parameterDifferences } from '../../tools/bench/report.js';
import { medianOfRounds, readResult, RESULT_FORMAT, writeResult, type BenchResult } from '../../tools/bench/result.js';

const figures = (rate: number, p99: number): Figures => ({
  requests: rate * 8,
  seconds: 8,
  rate,
  latencyMs: { p50: 1, p90: 2, p99, p999: p99 * 2, max: p99 * 3, mean: 1 },
  errors: 0,
  cpuPer1000: 0.5,
});

function result(commit: string, kvd: Figures, etcd: Figures, members = 3): BenchResult {
  return {
    format: RESULT_FORMAT,
    commit,
    dirty: false,
    date: '2026-01-01T00:00:00.000Z',
    machine: { cores: 2, cpu: 'cpu', kernel: 'k', node: 'v20', fs: 'ext2/ext3', wrk: 'wrk', h2load: 'h2load' },
    parameters: {
      members,
      seconds: 8,
      rounds: 1,
      warmupSeconds: 2,
      floorSeconds: 2,
      valueBytes: 256,
      readKeys: 1000,
      wrkThreads: 2,
      loads: [{ id: 'put-c16', label: 'PUT c=16', kind: 'put', connections: 16, streams: 1 }],
    },
    floor: null,
    floorRounds: [],
    systems: {
      kvd: { version: '0.1.0', median: { 'put-c16': kvd }, rounds: [{ 'put-c16': kvd }] },
      etcd: { version: '3.4.23', median: { 'put-c16': etcd }, rounds: [{ 'put-c16': etcd }] },
    },
  };
}

const rowOf = (lines: string[], start: RegExp) =>
  lines.find((l) => start.test(l)) ?? assert.fail(`no line ${start} in:\n${lines.join('\n')}`);

describe('formatCompare', () => {
  it('calls a higher rate better and a higher p99 worse, for kvd and for etcd', () => {
    const lines = formatCompare(
      result('a'.repeat(40), figures(1000, 40), figures(2000, 10)),
      result('b'.repeat(40), figures(1200, 20), figures(1900, 12)),
    );
    assert.match(
      rowOf(lines, /^PUT c=16\s+req\/s/),
      /1000\s+1200\s+\+20\.0% better\s+2000\s+1900\s+-5\.0% worse\s+0\.50\s+0\.63$/,
    );
    assert.match(
      rowOf(lines, /^\s+p99 ms/),
      /40\.00\s+20\.00\s+-50\.0% better\s+10\.00\s+12\.00\s+\+20\.0% worse\s+4\.00\s+1\.67$/,
    );
  });

  it("names both commits and warns when the runs' parameters differ", () => {
    const lines = formatCompare(
      result('a'.repeat(40), figures(1, 1), figures(1, 1), 3),
      result('b'.repeat(40), figures(1, 1), figures(1, 1), 1),
    );
    assert.match(lines[0]!, /^old: aaaaaaaaaa /);
    assert.match(lines[1]!, /^new: bbbbbbbbbb /);
    assert.match(lines[2]!, /warning: not the same parameters.*members: 3 vs 1/);
  });

  it('shows a load only one of the runs has, with dashes for the other', () => {
    const b = result('b', figures(1, 1), figures(1, 1));
    const withExtra: BenchResult = {
      ...b,
      parameters: {
        ...b.parameters,
        loads: [
          ...b.parameters.loads,
          { id: 'get-c64', label: 'local GET c=64', kind: 'get', connections: 64, streams: 1 },
        ],
      },
      systems: {
        ...b.systems,
        kvd: { ...b.systems.kvd!, median: { ...b.systems.kvd!.median, 'get-c64': figures(5000, 3) } },
      },
    };
    assert.match(
      rowOf(formatCompare(result('a', figures(1, 1), figures(1, 1)), withExtra), /^local GET c=64/),
      /req\/s\s+-\s+5000\s+-\s+-\s+-/,
    );
  });
});

describe('parameterDifferences', () => {
  it('is empty for runs of the same shape on the same machine', () => {
    assert.deepEqual(
      parameterDifferences(result('a', figures(1, 1), figures(1, 1)), result('b', figures(9, 9), figures(9, 9))),
      [],
    );
  });
});

describe('formatRatios', () => {
  it('says which way each kvd/etcd ratio is better', () => {
    const line = rowOf(formatRatios(result('a', figures(1190, 67), figures(1000, 14))), /^PUT c=16/);
    assert.match(line, /1\.19\s+\(kvd faster\)\s+4\.79\s+\(kvd worse: 67\.0 vs 14\.0 ms\)/);
  });
});

describe('formatFloor', () => {
  const floor = {
    fsyncP50Ms: 0.2,
    fsyncP99Ms: 1,
    pingP50Ms: 0.05,
    pingP99Ms: 0.1,
    echoP50Ms: 0.08,
    echoP99Ms: 0.2,
    floorMs: 0.25,
  };

  it("gives each system's sequential PUT p50 as a multiple of the floor", () => {
    const r = result('a', figures(1, 1), figures(1, 1));
    const withSeq: BenchResult = {
      ...r,
      floor,
      systems: {
        kvd: {
          ...r.systems.kvd!,
          median: { 'seq-put': { ...figures(400, 9), latencyMs: { ...figures(400, 9).latencyMs, p50: 0.5 } } },
        },
        etcd: {
          ...r.systems.etcd!,
          median: { 'seq-put': { ...figures(400, 9), latencyMs: { ...figures(400, 9).latencyMs, p50: 0.3 } } },
        },
      },
    };
    const lines = formatFloor(withSeq);
    assert.match(rowOf(lines, /floor =/), /max\(leader fsync, RTT \+ follower fsync\) = 0\.250 ms/);
    assert.match(rowOf(lines, /kvd sequential/), /p50 0\.500 ms = 2\.00x the floor/);
    assert.match(rowOf(lines, /etcd sequential/), /p50 0\.300 ms = 1\.20x the floor/);
  });

  it("shows the follower's fsync measured while the other followers fsync, on 3 members", () => {
    const r = result('a', figures(1, 1), figures(1, 1));
    const lines = formatFloor({ ...r, floor: { ...floor, followerFsyncP50Ms: 0.35, followerFsyncP99Ms: 0.8 } });
    assert.match(
      rowOf(lines, /other process fsync/),
      /while 1 other process fsync \(the other followers\)\s+0\.350 ms\s+0\.800 ms/,
    );
  });

  it('says so when the floor was not measured', () => {
    assert.deepEqual(formatFloor(result('a', figures(1, 1), figures(1, 1))), ['floor: not measured']);
  });
});

describe('result files', () => {
  const dir = (t: TestContext) => {
    const d = mkdtempSync(join(tmpdir(), 'kvd-bench-test-'));
    t.after(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };

  it('read back what was written', (t) => {
    const path = join(dir(t), 'r.json');
    const r = result('c'.repeat(40), figures(1, 2), figures(3, 4));
    writeResult(path, r);
    assert.deepEqual(readResult(path), r);
  });

  it('refuses a JSON file that is not a benchmark result, naming it', (t) => {
    const path = join(dir(t), 'other.json');
    writeFileSync(path, '{"name":"kvd"}');
    assert.throws(
      () => readResult(path),
      (err: Error) => err.message.startsWith(`${path}: not a ${RESULT_FORMAT} result file`),
    );
  });

  it('hold the median of every load over the rounds', () => {
    const m = medianOfRounds([{ a: figures(1, 1) }, { a: figures(3, 3), b: figures(7, 7) }, { a: figures(2, 2) }]);
    assert.equal(m.a!.rate, 2);
    assert.equal(m.b!.rate, 7);
  });
});
