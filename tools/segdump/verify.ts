import { verifyDataDir } from '../../lib/storage/index.js';
import type { Output } from './output.js';

/**
 * `segdump verify`: exit 0 with a summary when a member would start from this
 * data directory, exit 1 naming the first bad file and byte offset when not
 * (or when a snapshot file is damaged).
 */
export function verify(dataDir: string, out: Output): number {
  const r = verifyDataDir(dataDir);
  if (r.problem) {
    out.line(`FAILED: ${r.problem.message}`);
    if (r.problem.file !== undefined) out.line(`  file:   ${r.problem.file}`);
    if (r.problem.offset !== undefined) out.line(`  offset: ${r.problem.offset}`);
    return 1;
  }
  const c = r.counts;
  const records = c.header + c.entry + c.hardState + c.snapshotMarker;
  out.line(
    `ok: ${count(r.segments, 'segment')}, ${count(records, 'record')} (${count(c.entry, 'entry', 'entries')}, ${count(c.hardState, 'hard state')}, ${count(c.snapshotMarker, 'snapshot marker')}, ${count(c.header, 'segment header')})`,
  );
  out.line(`member ${r.memberId}, cluster ${r.clusterId}`);
  const first = r.firstIndex ?? 1;
  out.line(
    r.lastIndex !== null && r.lastIndex >= first
      ? `index range: ${first}..${r.lastIndex}`
      : `index range: no entries (the log ends at ${r.lastIndex ?? 0})`,
  );
  const hs = r.hardState;
  out.line(
    hs
      ? `hard state: term ${hs.term}, vote ${hs.vote === '' ? '(none)' : hs.vote}, commit ${hs.commit}`
      : 'hard state: none',
  );
  const newest = r.snapshots.find((s) => s.valid);
  out.line(
    newest
      ? `snapshots: ${r.snapshots.length} (newest: index ${newest.index}, term ${newest.term})`
      : 'snapshots: none',
  );
  if (r.torn) {
    out.line(
      `warning: torn write at the tail of ${r.torn.file} at byte ${r.torn.offset}: ${r.torn.bytesDropped} bytes will be dropped at the next start`,
    );
  }
  return 0;
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
