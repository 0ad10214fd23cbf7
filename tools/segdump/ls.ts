import { inspectSnapshotFile, scanWal, type ScanDamage } from '../../lib/storage/index.js';
import { listSnapshotFiles, snapDir, walDir } from '../../lib/storage/index.js';
import { formatBytes, table } from './format.js';
import type { Output } from './output.js';

export function damageText(d: ScanDamage | null): string {
  if (d === null) return 'ok';
  if (d.kind === 'torn') return `torn write at byte ${d.offset} (${d.bytesDropped} bytes dropped at next start)`;
  return `CORRUPT at byte ${d.offset}: ${d.reason}`;
}

/** `segdump ls`: one line per segment and per snapshot file. Exit 1 if anything is corrupt. */
export function ls(dataDir: string, out: Output): number {
  const segments = scanWal(dataDir);
  let bad = 0;
  out.line(`WAL segments in ${walDir(dataDir)}`);
  const first = segments.find((s) => s.header)?.header;
  if (first) out.line(`member ${first.memberId}, cluster ${first.clusterId}`);
  if (segments.length === 0) out.line('  (none)');
  else {
    const rows = segments.map((s) => {
      if (s.damage?.kind === 'corrupt') bad++;
      const hasEntries = s.counts.entry > 0 || s.lastIndex >= s.file.firstIndex;
      return [
        s.file.name,
        String(s.file.firstIndex),
        hasEntries ? String(s.lastIndex) : '-',
        formatBytes(s.size),
        formatBytes(s.used),
        String(s.counts.entry),
        String(s.counts.hardState),
        String(s.counts.snapshotMarker),
        damageText(s.damage),
      ];
    });
    out.text(
      table(
        ['FILE', 'FIRST', 'LAST', 'SIZE', 'USED', 'ENTRIES', 'HARDSTATES', 'MARKERS', 'STATUS'],
        rows,
        new Set([1, 2, 3, 4, 5, 6, 7]),
      ),
    );
  }
  out.line();
  out.line(`Snapshots in ${snapDir(dataDir)}`);
  const snaps = listSnapshotFiles(dataDir).map((f) => inspectSnapshotFile(f.path));
  if (snaps.length === 0) out.line('  (none)');
  else {
    const rows = snaps.map((s) => {
      if (!s.valid) bad++;
      return [
        s.name,
        String(s.index),
        String(s.term),
        formatBytes(s.size),
        s.dataBytes === undefined ? '-' : formatBytes(s.dataBytes),
        s.valid ? 'ok' : `INVALID: ${s.problem}`,
      ];
    });
    out.text(table(['FILE', 'INDEX', 'TERM', 'SIZE', 'DATA', 'STATUS'], rows, new Set([1, 2, 3, 4])));
  }
  return bad > 0 ? 1 : 0;
}
