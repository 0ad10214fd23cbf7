// Help written for an operator with a broken member and no manual at hand.

export const GLOBAL_HELP = `segdump: inspect a kvd member's write-ahead log and snapshots (read-only)

Usage:
  segdump ls DATA_DIR                 segments and snapshot files, one line each
  segdump dump DATA_DIR [options]     every record, decoded
  segdump verify DATA_DIR             check every CRC, the chain and the index order
  segdump snapshot FILE|DATA_DIR      a snapshot's metadata (and keys)
  segdump history DATA_DIR --key PATH every change to a key the log records

DATA_DIR is the member's --data-dir (the directory holding member/wal and
member/snap); member/, member/wal or member/snap themselves work too.

Examples:
  segdump verify /var/lib/kvd                 # after "refusing to start": where is the damage?
  segdump ls /var/lib/kvd                     # how big is the log, which snapshots exist
  segdump dump /var/lib/kvd --from 5000 --to 5010
  segdump dump /var/lib/kvd --prefix /config/ --json | jq .
  segdump snapshot /var/lib/kvd --keys        # newest snapshot, with its keys
  segdump history /var/lib/kvd --key /config/db   # who changed it, when

Exit status: 0 all good, 1 damage found, 2 usage error.
Run "segdump COMMAND --help" for a command's options.
`;

export const COMMAND_HELP: Record<string, string> = {
  ls: `Usage: segdump ls DATA_DIR

Lists the WAL segments (file, first and last log index, size on disk and
bytes used, record counts by kind, status) and the snapshot files (index,
term, size, whether the CRC checks). Exit 1 if any segment is corrupt or any
snapshot file is invalid. A torn write at the tail of the last segment is
reported but is not a failure: the member truncates it when it starts.

Example:
  segdump ls /var/lib/kvd
`,
  dump: `Usage: segdump dump DATA_DIR [options]

Prints every record of every segment: byte offset, kind (header, entry,
hardState, snapshotMarker), log index, term, entry type, and for entries the
request they carry (time, method, path, value, ttl, prev* conditions) when
kvd's entry describer is available, otherwise the data's size and first bytes.

Options:
  --json            one JSON object per line instead of aligned text
  --from N          only records with a log index >= N
  --to N            only records with a log index <= N
                    (with --from/--to, hard states and headers are left out
                    unless --type asks for them)
  --type KINDS      only these kinds, comma-separated:
                    entry, hardState, snapshotMarker, header
  --prefix PATH     only entries whose key path starts with PATH
  --full            do not shorten long values and data

Examples:
  segdump dump /var/lib/kvd --from 120 --to 130
  segdump dump /var/lib/kvd --type hardState
  segdump dump /var/lib/kvd --prefix /services/web --full
  segdump dump /var/lib/kvd --json | jq 'select(.method == "DELETE")'
`,
  verify: `Usage: segdump verify DATA_DIR

Checks what a restarting member checks, and more: every record's CRC and the
CRC chain through all segments, the segment sequence, that headers agree with
file names and belong to one member and cluster, that log indexes follow each
other, that every snapshot file checks, and that the WAL reaches back to the
newest valid snapshot. Never writes anything.

Exit 0 with a summary (segments, records, entries, index range, hard state).
Exit 1 printing the first bad file and byte offset.

Example:
  segdump verify /var/lib/kvd
`,
  history: `Usage: segdump history DATA_DIR --key PATH [options]

Prints every change to a key that the committed log records, one line each:
the store index (what X-Etcd-Index and waitIndex count), the raft index of
the entry, the time stamped on it, etcd's action (set, create, update,
compareAndSwap, delete, compareAndDelete, expire; a TTL refresh shows as
update(refresh)), the key, and its value, expiration and previous value. The
log is replayed the way the member applied it, so the lines are the events a
watcher of the key saw, including the deletion or expiry of a directory
above it. Entries not yet committed are left out.

Where the log starts after index 1 (older segments released), the oldest
snapshot kept is the starting point: its state of the key comes first, with
the action "snapshot" (a state, not a change) and the snapshot's raft index.

Options:
  --key PATH        the key (required)
  --recursive       also every key below PATH (hidden ones included)
  --json            one JSON object per line: index, raftIndex, time, action,
                    key, value or dir, expiration, prevNode (the "snapshot"
                    lines carry the snapshot file and its store index,
                    snapshotStoreIndex, instead of a time)

Exit 0 once the end of the committed log is reached; 1 when a damaged or
missing stretch of the log stops the replay (the changes before it are
printed); 2 on a usage error.

Examples:
  segdump history /var/lib/kvd --key /config/db
  segdump history /var/lib/kvd --key /services --recursive --json | jq 'select(.action == "expire")'
`,
  snapshot: `Usage: segdump snapshot FILE|DATA_DIR [options]

Shows a snapshot file's index, term, voters, data size and whether its CRC
checks; given a data directory, its newest snapshot file. With kvd's snapshot
describer available, also the number of keys.

Options:
  --keys            list every key in the snapshot
  --json            JSON output

Examples:
  segdump snapshot /var/lib/kvd/member/snap/0000000000000002-0000000000002710.snap
  segdump snapshot /var/lib/kvd --keys
`,
};
