// Text reports: the figures of one run with kvd/etcd ratios and the floor,
// and the differences between two result files.

import type { System } from './cluster.js';
import type { Figures, Latency } from './figures.js';
import type { Load } from './loads.js';
import type { BenchResult } from './result.js';

const SYSTEMS: readonly System[] = ['kvd', 'etcd'];

/** A figure of a load, and which way is better. */
interface Metric {
  readonly name: string;
  readonly pick: (f: Figures) => number | undefined;
  readonly higherIsBetter: boolean;
  readonly digits: number;
}

const lat = (k: keyof Latency, name: string): Metric => ({
  name,
  pick: (f) => f.latencyMs[k],
  higherIsBetter: false,
  digits: 2,
});

const METRICS: readonly Metric[] = [
  { name: 'req/s', pick: (f) => f.rate, higherIsBetter: true, digits: 0 },
  lat('p50', 'p50 ms'),
  lat('p90', 'p90 ms'),
  lat('p99', 'p99 ms'),
  lat('p999', 'p99.9 ms'),
  lat('max', 'max ms'),
  { name: 'CPU s/1k', pick: (f) => f.cpuPer1000, higherIsBetter: false, digits: 3 },
];

function num(x: number | undefined, digits: number): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

/** Rows as aligned columns: `align` has an 'l' (left) or 'r' (right) per column; columns past its end are right-aligned. */
export function table(rows: readonly (readonly string[])[], align: string): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function describeRun(r: BenchResult): string {
  const p = r.parameters;
  const commit = r.commit ? `${r.commit.slice(0, 10)}${r.dirty ? '+changes' : ''}` : 'no git commit';
  return (
    `kvd ${r.systems.kvd?.version ?? '-'} at ${commit}, etcd ${r.systems.etcd?.version ?? '-'}; ${p.members} member${p.members > 1 ? 's' : ''}, ` +
    `loads to the leader; ${p.seconds} s per load, ${p.rounds > 1 ? `medians of ${p.rounds} rounds` : '1 round'}; ` +
    `${p.valueBytes}-byte form values, unique keys; ${r.machine.cores} cores; ${r.date}`
  );
}

/** The figures of one run: per load a row per system and a kvd/etcd row, then the ratios and the floor. */
export function formatRun(r: BenchResult): string[] {
  const systems = SYSTEMS.filter((s) => r.systems[s]);
  const both = systems.length === 2;
  const out = [describeRun(r), ''];
  const rows: string[][] = [['load', '', ...METRICS.map((m) => m.name), 'errors']];
  for (const load of r.parameters.loads) {
    for (const [i, s] of systems.entries()) {
      const f = r.systems[s]!.median[load.id];
      const notes = f ? `${num(f.errors, 0)}${f.termChanged ? ' election' : ''}` : 'not measured';
      rows.push([i === 0 ? load.label : '', s, ...METRICS.map((m) => (f ? num(m.pick(f), m.digits) : '-')), notes]);
    }
    if (both) {
      const [k, e] = [r.systems.kvd!.median[load.id], r.systems.etcd!.median[load.id]];
      rows.push(['', 'kvd/etcd', ...METRICS.map((m) => num(k && e ? ratio(m.pick(k), m.pick(e)) : undefined, 2)), '']);
    }
  }
  out.push(...table(rows, 'll'));
  if (both) out.push('', ...formatRatios(r));
  out.push('', ...formatFloor(r));
  const flagged = r.parameters.loads.flatMap((l) =>
    systems.flatMap((s) => {
      const f = r.systems[s]!.median[l.id];
      return f && (f.errors > 0 || f.termChanged) ? [`${s} ${l.label}`] : [];
    }),
  );
  if (flagged.length > 0)
    out.push('', `warning: errors or an election during: ${flagged.join('; ')} (their figures are suspect)`);
  return out;
}

/** The issue's view: per load, kvd/etcd for the rate and the p99, with which way is better. */
export function formatRatios(r: BenchResult): string[] {
  const rows: string[][] = [['kvd / etcd', 'rate', '', 'p99', '']];
  for (const load of r.parameters.loads) {
    const k = r.systems.kvd?.median[load.id];
    const e = r.systems.etcd?.median[load.id];
    if (!k || !e) continue;
    const rate = ratio(k.rate, e.rate);
    const p99 = ratio(k.latencyMs.p99, e.latencyMs.p99);
    rows.push([
      load.label,
      num(rate, 2),
      rate === undefined ? '' : rate >= 1 ? '(kvd faster)' : '(kvd slower)',
      num(p99, 2),
      p99 === undefined
        ? ''
        : `(${p99 <= 1 ? 'kvd better' : 'kvd worse'}: ${num(k.latencyMs.p99, 1)} vs ${num(e.latencyMs.p99, 1)} ms)`,
    ]);
  }
  return ["rate ratio above 1: kvd serves more; p99 ratio below 1: kvd's tail is shorter", ...table(rows, 'lrlrl')];
}

export function formatFloor(r: BenchResult): string[] {
  const f = r.floor;
  if (!f) return ['floor: not measured'];
  const seq = (s: System) => r.systems[s]?.median['seq-put']?.latencyMs.p50;
  const parts = table(
    [
      [
        'fdatasync of a 512-byte write into a preallocated file',
        `${num(f.fsyncP50Ms, 3)} ms`,
        `${num(f.fsyncP99Ms, 3)} ms`,
      ],
      ...(f.followerFsyncP50Ms !== undefined && f.followerFsyncP99Ms !== undefined && r.parameters.members > 2
        ? [
            [
              `the same while ${r.parameters.members - 2} other process${r.parameters.members > 3 ? 'es' : ''} fsync (the other followers)`,
              `${num(f.followerFsyncP50Ms, 3)} ms`,
              `${num(f.followerFsyncP99Ms, 3)} ms`,
            ],
          ]
        : []),
      ['peer round trip: h2 PING between two node processes', `${num(f.pingP50Ms, 3)} ms`, `${num(f.pingP99Ms, 3)} ms`],
      [
        "(for reference: a 512-byte echo by the peer's JavaScript)",
        `${num(f.echoP50Ms, 3)} ms`,
        `${num(f.echoP99Ms, 3)} ms`,
      ],
    ],
    'l',
  );
  const lines = [
    'floor of a sequential PUT on this machine (p50, p99):',
    ...parts.map((l) => `  ${l}`),
    r.parameters.members > 1
      ? `  floor = max(leader fsync, RTT + follower fsync) = ${num(f.floorMs, 3)} ms`
      : `  floor = the leader's fsync = ${num(f.floorMs, 3)} ms (one member)`,
  ];
  for (const s of SYSTEMS) {
    const p50 = seq(s);
    if (p50 !== undefined)
      lines.push(
        `  ${s} sequential PUT p50 ${num(p50, 3)} ms = ${num(ratio(p50, f.floorMs), 2)}x the floor${s === 'kvd' ? ' (target: within 1.3x)' : ''}`,
      );
  }
  return lines;
}

function change(oldV: number | undefined, newV: number | undefined, higherIsBetter: boolean): string {
  if (oldV === undefined || newV === undefined || oldV === 0) return '-';
  const pct = ((newV - oldV) / oldV) * 100;
  if (Math.abs(pct) < 0.05) return '0%';
  const better = pct > 0 === higherIsBetter;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}% ${better ? 'better' : 'worse'}`;
}

/** The parameters that make two runs not comparable, as "name: old vs new". */
export function parameterDifferences(a: BenchResult, b: BenchResult): string[] {
  const diffs: string[] = [];
  const pa = a.parameters as unknown as Record<string, unknown>;
  const pb = b.parameters as unknown as Record<string, unknown>;
  for (const k of ['members', 'seconds', 'warmupSeconds', 'valueBytes', 'readKeys', 'wrkThreads']) {
    if (pa[k] !== pb[k]) diffs.push(`${k}: ${String(pa[k])} vs ${String(pb[k])}`);
  }
  if (a.machine.cores !== b.machine.cores) diffs.push(`cores: ${a.machine.cores} vs ${b.machine.cores}`);
  if (a.machine.cpu !== b.machine.cpu) diffs.push(`cpu: ${a.machine.cpu} vs ${b.machine.cpu}`);
  return diffs;
}

/** Old against new, per load and figure: kvd, etcd (the control: a change there is the machine), and kvd/etcd. */
export function formatCompare(a: BenchResult, b: BenchResult): string[] {
  const name = (r: BenchResult) =>
    `${r.commit ? r.commit.slice(0, 10) : 'no commit'}${r.dirty ? '+changes' : ''} (${r.date})`;
  const out = [`old: ${name(a)}`, `new: ${name(b)}`];
  const diffs = parameterDifferences(a, b);
  if (diffs.length > 0) out.push(`warning: not the same parameters, compare with care: ${diffs.join('; ')}`);
  const loads = new Map<string, Load>();
  for (const l of [...a.parameters.loads, ...b.parameters.loads]) if (!loads.has(l.id)) loads.set(l.id, l);
  const rows: string[][] = [
    [
      'load',
      'figure',
      'kvd old',
      'kvd new',
      'kvd change',
      'etcd old',
      'etcd new',
      'etcd change',
      'kvd/etcd old',
      'kvd/etcd new',
    ],
  ];
  for (const load of loads.values()) {
    const figs = (r: BenchResult, s: System) => r.systems[s]?.median[load.id];
    const [ka, kb, ea, eb] = [figs(a, 'kvd'), figs(b, 'kvd'), figs(a, 'etcd'), figs(b, 'etcd')];
    if (!ka && !kb && !ea && !eb) continue;
    for (const [i, m] of METRICS.entries()) {
      const v = (f: Figures | undefined) => (f ? m.pick(f) : undefined);
      rows.push([
        i === 0 ? load.label : '',
        m.name,
        num(v(ka), m.digits),
        num(v(kb), m.digits),
        change(v(ka), v(kb), m.higherIsBetter),
        num(v(ea), m.digits),
        num(v(eb), m.digits),
        change(v(ea), v(eb), m.higherIsBetter),
        num(ratio(v(ka), v(ea)), 2),
        num(ratio(v(kb), v(eb)), 2),
      ]);
    }
  }
  out.push(...table(rows, 'll'));
  if (a.floor && b.floor) {
    out.push(
      '',
      `floor: ${num(a.floor.floorMs, 3)} → ${num(b.floor.floorMs, 3)} ms ` +
        `(fsync p50 ${num(a.floor.fsyncP50Ms, 3)} → ${num(b.floor.fsyncP50Ms, 3)}, PING p50 ${num(a.floor.pingP50Ms, 3)} → ${num(b.floor.pingP50Ms, 3)})`,
    );
  }
  return out;
}
