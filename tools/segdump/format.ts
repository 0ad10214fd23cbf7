// Text shapes for a terminal at 2 a.m.: aligned columns, sizes a human reads,
// long values cut with a note of how much is hidden.

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** Left-aligned columns (right-aligned where `right` says) separated by two spaces. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const SAFE = /^[\w/.:@+,=-]+$/;

/** One value as shown in a details column: bare when unambiguous, JSON-quoted otherwise. */
export function formatValue(v: unknown, max: number | null): string {
  if (Array.isArray(v)) return v.map((x) => formatValue(x, max)).join(',');
  if (Buffer.isBuffer(v)) return hexPreview(v, max);
  if (typeof v === 'string') {
    const cut = cutString(v, max);
    return v !== '' && SAFE.test(v) && cut === v
      ? v
      : JSON.stringify(cut) + (cut === v ? '' : `…(+${v.length - cut.length} chars)`);
  }
  if (typeof v === 'object' && v !== null) return cutString(JSON.stringify(v), max);
  return String(v);
}

function cutString(s: string, max: number | null): string {
  return max !== null && s.length > max ? s.slice(0, max) : s;
}

/** "<n bytes> 0a1b…" with the first bytes in hex; all of them when max is null. */
export function hexPreview(b: Buffer, max: number | null): string {
  const shown = max === null ? b : b.subarray(0, Math.min(b.length, 16));
  const more = b.length > shown.length ? '…' : '';
  return `<${b.length} bytes>${b.length > 0 ? ' ' + shown.toString('hex') + more : ''}`;
}

const FIRST_FIELDS = ['time', 'method', 'path', 'value', 'ttl'];

/** Describer fields in the order an operator scans them: time, method, path, value, ttl, prev*, the rest. */
export function orderedFields(fields: Record<string, unknown>): Array<[string, unknown]> {
  const present = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== false);
  const rank = (k: string) => {
    const i = FIRST_FIELDS.indexOf(k);
    if (i >= 0) return i;
    return k.startsWith('prev') ? FIRST_FIELDS.length : FIRST_FIELDS.length + 1;
  };
  return present
    .map((kv, i) => ({ kv, i }))
    .sort((a, b) => rank(a.kv[0]) - rank(b.kv[0]) || a.i - b.i)
    .map((x) => x.kv);
}

/** key=value pairs; describer fields (ordered) are ordered for scanning, record fields keep their order. */
export function details(fields: Record<string, unknown>, max: number | null, ordered = true): string {
  const kvs = ordered ? orderedFields(fields) : Object.entries(fields);
  return kvs.map(([k, v]) => `${k}=${formatValue(v, max)}`).join(' ');
}

export const crcHex = (c: number): string => c.toString(16).padStart(8, '0');
