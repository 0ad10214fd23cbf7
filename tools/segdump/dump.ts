import type { Entry, HardState } from '../../lib/wire/index.js';
import {
  scanWal,
  type RecordKind,
  type SegmentFile,
  type SegmentHeader,
  type SnapshotMarker,
} from '../../lib/storage/index.js';
import { UsageError } from './data-dir.js';
import type { EntryDescriber } from './describers.js';
import { crcHex, details, hexPreview } from './format.js';
import type { Output } from './output.js';

export interface DumpOptions {
  readonly json: boolean;
  readonly from: number | null;
  readonly to: number | null;
  /** Kinds asked for explicitly; null: all (narrowed by from/to and prefix). */
  readonly types: ReadonlySet<RecordKind> | null;
  readonly prefix: string | null;
  /** Show values and data whole. */
  readonly full: boolean;
}

const VALUE_MAX = 60;

/**
 * `segdump dump`: every record, segment by segment, as aligned text or JSON
 * lines. Exit 1 if a segment is corrupt (its records up to the damage are shown).
 */
export function dump(dataDir: string, opts: DumpOptions, describe: EntryDescriber | null, out: Output): number {
  if (opts.prefix !== null && describe === null) {
    throw new UsageError(
      "--prefix filters by the path in each entry, which needs the server's entry describer (lib/server/proposal.ts); it is not available",
    );
  }
  const max = opts.full ? null : VALUE_MAX;
  const ranged = opts.from !== null || opts.to !== null;
  const inRange = (i: number) => (opts.from === null || i >= opts.from) && (opts.to === null || i <= opts.to);
  // A kind is shown when asked for, or (nothing asked) when the range and prefix filters leave it meaningful.
  const wants = (kind: RecordKind) => {
    if (opts.types !== null) return opts.types.has(kind);
    if (opts.prefix !== null) return kind === 'entry';
    return !ranged || kind === 'entry' || kind === 'snapshotMarker';
  };
  const indexOk = (kind: RecordKind, index: number | null) =>
    index === null ? !ranged || opts.types?.has(kind) === true : inRange(index);

  let corrupt = 0;
  // A segment's heading is printed with its first shown record, so a narrow filter prints no empty sections.
  let pendingHeading: SegmentFile | null = null;
  const heading = () => {
    if (pendingHeading === null || opts.json) return;
    const file = pendingHeading;
    pendingHeading = null;
    out.line(`== ${file.name} (seq ${file.seq}, first index ${file.firstIndex})`);
    out.line(
      `${'OFFSET'.padStart(10)}  ${'KIND'.padEnd(14)}  ${'INDEX'.padStart(10)}  ${'TERM'.padStart(6)}  ${'TYPE'.padEnd(10)}  DETAILS`,
    );
  };
  const emit = (
    file: SegmentFile,
    offset: number,
    kind: RecordKind,
    index: number | null,
    term: number | null,
    type: string | null,
    fields: Record<string, unknown>,
  ) => {
    const ordered = kind === 'entry';
    heading();
    if (opts.json) {
      out.line(
        JSON.stringify(
          {
            file: file.name,
            offset,
            kind,
            ...(index !== null && { index }),
            ...(term !== null && { term }),
            ...(type !== null && { type }),
            ...fields,
          },
          jsonValue,
        ),
      );
    } else {
      out.line(
        `${String(offset).padStart(10)}  ${kind.padEnd(14)}  ${(index === null ? '-' : String(index)).padStart(10)}  ${(term === null ? '-' : String(term)).padStart(6)}  ${(type ?? '-').padEnd(10)}  ${details(fields, max, ordered)}`.trimEnd(),
      );
    }
  };

  scanWal(dataDir, {
    segment(file) {
      pendingHeading = file;
    },
    header(h: SegmentHeader, offset, file) {
      if (!wants('header') || !indexOk('header', null)) return;
      emit(file, offset, 'header', null, null, null, {
        member: h.memberId,
        cluster: h.clusterId,
        seq: h.seq,
        firstIndex: h.firstIndex,
        prevCrc: crcHex(h.prevCrc),
        formatVersion: h.formatVersion,
      });
    },
    entry(e: Entry, offset, file) {
      if (!wants('entry') || !inRange(e.index)) return;
      const fields = describeEntry(e, describe, opts);
      if (opts.prefix !== null && !(typeof fields.path === 'string' && fields.path.startsWith(opts.prefix))) return;
      emit(file, offset, 'entry', e.index, e.term, e.type, fields);
    },
    hardState(h: HardState, offset, file) {
      if (!wants('hardState') || !indexOk('hardState', null)) return;
      emit(file, offset, 'hardState', null, h.term, null, {
        vote: h.vote === '' ? '(none)' : h.vote,
        commit: h.commit,
      });
    },
    snapshotMarker(m: SnapshotMarker, offset, file) {
      if (!wants('snapshotMarker') || !inRange(m.index)) return;
      emit(file, offset, 'snapshotMarker', m.index, m.term, null, { resetsLog: m.resetsLog });
    },
    segmentEnd(s) {
      const d = s.damage;
      if (d === null) return;
      if (d.kind === 'corrupt') corrupt++;
      heading();
      if (opts.json) {
        out.line(
          JSON.stringify({
            file: s.file.name,
            offset: d.offset,
            kind: 'damage',
            damage: d.kind,
            reason: d.reason,
            ...(d.kind === 'torn' && { bytesDropped: d.bytesDropped }),
          }),
        );
      } else if (d.kind === 'torn') {
        out.line(`!! torn write at byte ${d.offset}: ${d.reason}; a restart drops these ${d.bytesDropped} bytes`);
      } else {
        out.line(`!! CORRUPT at byte ${d.offset}: ${d.reason}; the records after it cannot be read`);
      }
    },
  });
  return corrupt > 0 ? 1 : 0;
}

/** The describer's fields, or the data's size and first bytes when there is no describer or it fails. */
function describeEntry(e: Entry, describe: EntryDescriber | null, opts: DumpOptions): Record<string, unknown> {
  if (describe !== null && e.data.length > 0) {
    try {
      return { ...describe(e.data, e.type), dataBytes: e.data.length };
    } catch (err) {
      return { undecodable: (err as Error).message, ...raw(e.data, opts) };
    }
  }
  if (e.data.length === 0) return {};
  return raw(e.data, opts);
}

function raw(data: Buffer, opts: DumpOptions): Record<string, unknown> {
  if (opts.json) return { dataBytes: data.length, data: (opts.full ? data : data.subarray(0, 32)).toString('hex') };
  return { data: hexPreview(data, opts.full ? null : 16) };
}

/** JSON.stringify replacer: Buffers as hex rather than {type, data}. */
function jsonValue(this: unknown, _key: string, v: unknown): unknown {
  if (
    v &&
    typeof v === 'object' &&
    (v as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  ) {
    return Buffer.from((v as { data: number[] }).data).toString('hex');
  }
  return v;
}
