// Command-line flags exactly as etcdctl v2 reads them: Go's flag package
// (-x and --x alike, bool flags take no separate value, parsing stops at the
// first argument that is not a flag) behind urfave/cli v1.22, which first
// moves a command's known flags (and the word after each) in front of its
// other arguments. Values stay the strings typed; each kind is validated here
// with Go's rules, so "0x10" is 16 for --ttl and "0x10" for --swap-with-value.

/** strings: urfave's StringSliceFlag, each use adds one value. */
export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'strings';

export interface FlagSpec {
  /** Long name first, then aliases: ['recursive', 'r']. */
  readonly names: readonly string[];
  readonly kind: FlagKind;
  readonly usage: string;
  /** The value when the flag is absent, as typed on a command line. */
  readonly default?: string;
}

/** A command line etcdctl would refuse; the text is Go's. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | null {
  if (trueWords.has(s)) return true;
  if (falseWords.has(s)) return false;
  return null;
}

function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 0, 64); the reason Go's flag package gives when it is not one. */
export function parseGoInt(s0: string): bigint | 'parse error' | 'value out of range' {
  if (s0 === '') return 'parse error';
  let s = s0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  if (s[0] === '0') {
    if (s.length >= 3 && (s[1] === 'b' || s[1] === 'B')) [base, s] = [2, s.slice(2)];
    else if (s.length >= 3 && (s[1] === 'o' || s[1] === 'O')) [base, s] = [8, s.slice(2)];
    else if (s.length >= 3 && (s[1] === 'x' || s[1] === 'X')) [base, s] = [16, s.slice(2)];
    else [base, s] = [8, s.slice(1)];
  }
  if (s === '' && base !== 8) return 'parse error';
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    if (c === '_') {
      underscores = true;
      continue;
    }
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return 'parse error';
    n = n * BigInt(base) + BigInt(d);
  }
  if (underscores && !underscoreOK(s0)) return 'parse error';
  if (neg) n = -n;
  if (n < int64Min || n > int64Max) return 'value out of range';
  return n;
}

const durationUnits: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, in milliseconds; null when Go would refuse it. */
export function parseGoDuration(s0: string): number | null {
  let s = s0;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let ns = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const whole = m[1]!;
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return null;
    s = s.slice(m[0].length);
    let i = 0;
    while (i < s.length && s[i] !== '.' && !(s[i]! >= '0' && s[i]! <= '9')) i++;
    if (i === 0) return null;
    const unit = durationUnits[s.slice(0, i)];
    if (unit === undefined) return null;
    s = s.slice(i);
    ns += Number(whole === '' ? 0 : whole) * unit + (frac ? Number('0.' + frac) * unit : 0);
    if (ns > 9.223372036854775807e18) return null;
  }
  return (neg ? -ns : ns) / 1e6;
}

export type FlagValue = string | boolean | bigint | number | readonly string[];

/** Parsed flags, looked up by any of a flag's names. */
export class Flags {
  constructor(
    private readonly specs: readonly FlagSpec[],
    private readonly values: ReadonlyMap<FlagSpec, FlagValue>,
  ) {}

  private spec(name: string): FlagSpec {
    const s = this.specs.find((f) => f.names.includes(name));
    if (!s) throw new Error(`no flag named ${name}`);
    return s;
  }

  isSet(name: string): boolean {
    return this.values.has(this.spec(name));
  }

  bool(name: string): boolean {
    return this.values.get(this.spec(name)) === true;
  }

  string(name: string): string {
    const s = this.spec(name);
    const v = this.values.get(s);
    return typeof v === 'string' ? v : (s.default ?? '');
  }

  int(name: string): bigint {
    const s = this.spec(name);
    const v = this.values.get(s);
    if (typeof v === 'bigint') return v;
    const d = parseGoInt(s.default ?? '0');
    return typeof d === 'bigint' ? d : 0n;
  }

  /** Every value given to a strings flag, in order. */
  strings(name: string): readonly string[] {
    const v = this.values.get(this.spec(name));
    return Array.isArray(v) ? v : [];
  }

  /** Milliseconds. */
  duration(name: string): number {
    const s = this.spec(name);
    const v = this.values.get(s);
    return typeof v === 'number' ? v : (parseGoDuration(s.default ?? '0') ?? 0);
  }
}

function convert(spec: FlagSpec, name: string, raw: string): FlagValue {
  switch (spec.kind) {
    case 'string':
    case 'strings':
      return raw;
    case 'int': {
      const n = parseGoInt(raw);
      if (typeof n !== 'bigint') throw new UsageError(`invalid value ${goQuote(raw)} for flag -${name}: ${n}`);
      return n;
    }
    case 'duration': {
      const d = parseGoDuration(raw);
      if (d === null) throw new UsageError(`invalid value ${goQuote(raw)} for flag -${name}: parse error`);
      return d;
    }
    case 'bool': {
      const b = parseGoBool(raw);
      if (b === null) throw new UsageError(`invalid boolean value ${goQuote(raw)} for -${name}: parse error`);
      return b;
    }
  }
}

/** Go's %q for the strings a command line holds. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/**
 * Go's FlagSet.Parse (ContinueOnError) followed by urfave's normalizeFlags.
 * Returns the flags and the arguments left after them.
 * @throws UsageError with Go's message.
 */
export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[]): { flags: Flags; args: string[] } {
  const args = [...argv];
  const values = new Map<FlagSpec, FlagValue>();
  const seen = new Map<FlagSpec, string[]>();
  for (;;) {
    const s = args[0];
    if (s === undefined || s.length < 2 || s[0] !== '-') break;
    let minuses = 1;
    if (s[1] === '-') {
      minuses = 2;
      if (s.length === 2) {
        args.shift();
        break;
      }
    }
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new UsageError(`bad flag syntax: ${s}`);
    args.shift();
    let value: string | null = null;
    const eq = name.indexOf('=', 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = specs.find((f) => f.names.includes(name));
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      values.set(spec, value === null ? true : convert(spec, name, value));
    } else {
      if (value === null) {
        const next = args.shift();
        if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
        value = next;
      }
      const v = convert(spec, name, value);
      const before = values.get(spec);
      values.set(spec, spec.kind === 'strings' ? [...(Array.isArray(before) ? before : []), v as string] : v);
    }
    const names = seen.get(spec) ?? [];
    if (!names.includes(name)) names.push(name);
    seen.set(spec, names);
  }
  for (const spec of specs) {
    const used = spec.names.filter((n) => seen.get(spec)?.includes(n));
    if (used.length > 1) throw new UsageError(`Cannot use two forms of the same flag: ${used[1]} ${used[0]}`);
  }
  return { flags: new Flags(specs, values), args };
}

function isKnownFlag(specs: readonly FlagSpec[], arg: string): boolean {
  if (arg === '-' || arg === '--' || !arg.startsWith('-')) return false;
  let a = arg;
  if (a.startsWith('--')) a = a.slice(2);
  if (a.startsWith('-')) a = a.slice(1);
  const name = a.split('=')[0]!;
  return specs.some((f) => f.names.includes(name));
}

/** urfave/cli v1.22 reorderArgs: known flags (with the word after a flag lacking "=") first, "--" leads the rest. */
export function reorderArgs(specs: readonly FlagSpec[], args: readonly string[]): string[] {
  const reordered: string[] = [];
  let remaining: string[] = [];
  let mayTakeValue = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (mayTakeValue && !isKnownFlag(specs, arg)) {
      mayTakeValue = false;
      reordered.push(arg);
    } else if (arg === '--') {
      remaining = ['--', ...remaining, ...args.slice(i + 1)];
      break;
    } else if (isKnownFlag(specs, arg)) {
      reordered.push(arg);
      mayTakeValue = !arg.includes('=');
    } else {
      remaining.push(arg);
    }
  }
  return [...reordered, ...remaining];
}
