// Numbers as an operator reads them: always with a unit, a steady number of
// significant digits, and a dash for "no value" (never a blank that reflows).

export const NONE = '–';

/** A latency: "0.42 ms", "4.21 ms", "42.1 ms", "421 ms", "4.21 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A rate per second: "0 /s", "3.5 /s", "1,234 /s". */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return NONE;
  if (perSecond === 0) return '0 /s';
  if (perSecond < 10) return `${perSecond.toFixed(1)} /s`;
  return `${Math.round(perSecond).toLocaleString('en-US')} /s`;
}

/** A count with thousands separators. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE;
  return Math.round(n).toLocaleString('en-US');
}

/** A span of time: "0.4 s", "12 s", "3 min 05 s", "2 h 04 min", "3 d 02 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NONE;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(Math.floor(s % 60))} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${pad(h % 24)} h`;
}

/** A wall-clock time of day in the browser's zone, to the second: "02:14:07". */
export function formatClock(msSinceEpoch: number): string {
  const d = new Date(msSinceEpoch);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A member as people call it: its name, or its id when it has not published a name yet. */
export function memberLabel(id: string, names: Readonly<Record<string, string>>): string {
  const name = names[id];
  return name ? name : `${id} (not started)`;
}
