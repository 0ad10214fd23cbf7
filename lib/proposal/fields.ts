// Field kinds: one description of a value from which its TypeScript type, its
// Avro schema, its encoding, its decoding and what segdump shows of it all
// follow. A record is a table of named fields; the operations table
// (operations.ts), the auth state and the member list in snapshots are built from them.

import avro from 'avsc';

/** What a kind is made of; the round-trip test generates values from it. */
export type Shape =
  | { readonly kind: 'string' }
  | { readonly kind: 'boolean' }
  /** A non-negative integer avsc's long holds (up to 2^53 - 2). */
  | { readonly kind: 'long' }
  | { readonly kind: 'uint64' }
  | { readonly kind: 'enum'; readonly symbols: readonly string[] }
  | { readonly kind: 'nullable'; readonly of: Kind<unknown> }
  | { readonly kind: 'array'; readonly of: Kind<unknown> }
  | { readonly kind: 'record'; readonly fields: Fields }
  /** The union of the operations table (operations.ts). */
  | { readonly kind: 'operations' };

/** One value's type, schema, wire form and shown form. Methods, so that a Kind<string> is a Kind<unknown>. */
export interface Kind<T> {
  readonly shape: Shape;
  /** An Avro schema or an avsc Type (a named type is built once and used wherever it appears). */
  readonly schema: avro.Schema | avro.Type;
  toWire(v: T): unknown;
  fromWire(w: unknown): T;
  /** What segdump shows of the value (JSON-safe). */
  show(v: T): unknown;
  /** The fields it adds to a description under field `name`; by default `{ [name]: show(v) }`. */
  describe?(v: T, name: string): Record<string, unknown>;
}

/** A field that may be absent: null on the wire, no key in the value. */
export interface Optional<T> {
  readonly optional: Kind<T>;
}

export type Fields = Readonly<Record<string, Kind<unknown> | Optional<unknown>>>;

export type ValueOf<K> = K extends Kind<infer T> ? T : never;

type Flat<T> = { [K in keyof T]: T[K] } & {};

/** The value a table of fields describes: required keys, and optional keys for Optional fields. */
export type RecordValue<F extends Fields> = Flat<
  { readonly [K in keyof F as F[K] extends Optional<unknown> ? never : K]: ValueOf<F[K]> } & {
    readonly [K in keyof F as F[K] extends Optional<unknown> ? K : never]?: F[K] extends Optional<infer T> ? T : never;
  }
>;

export interface RecordKind<F extends Fields> extends Kind<RecordValue<F>> {
  readonly fields: F;
  readonly type: avro.Type;
  /** Each field's description, in order; an absent optional field shows nothing. */
  describeFields(v: RecordValue<F>): Record<string, unknown>;
}

function isOptional(f: Kind<unknown> | Optional<unknown>): f is Optional<unknown> {
  return 'optional' in f;
}

/** ['null', ...] of a schema; a union's branches join it (Avro unions do not nest). */
function orNull(schema: avro.Schema | avro.Type): avro.Schema {
  return (Array.isArray(schema) ? ['null', ...schema] : ['null', schema]) as avro.Schema;
}

export function describeField<T>(kind: Kind<T>, v: T, name: string): Record<string, unknown> {
  return kind.describe ? kind.describe(v, name) : { [name]: kind.show(v) };
}

export const string: Kind<string> = {
  shape: { kind: 'string' },
  schema: 'string',
  toWire: (v) => v,
  fromWire: (w) => w as string,
  show: (v) => v,
};

export const boolean: Kind<boolean> = {
  shape: { kind: 'boolean' },
  schema: 'boolean',
  toWire: (v) => v,
  fromWire: (w) => w as boolean,
  show: (v) => v,
};

export const long: Kind<number> = {
  shape: { kind: 'long' },
  schema: 'long',
  toWire: (v) => v,
  fromWire: (w) => w as number,
  show: (v) => v,
};

/** The largest value avsc's long reads and writes (it refuses 2^53 - 1). */
const AVRO_LONG_MAX = 2n ** 53n - 2n;
const UINT64_FIXED = avro.Type.forSchema({ type: 'fixed', name: 'Uint64', size: 8 });

/**
 * Any unsigned 64-bit value (etcd's uint64): a long up to the largest one
 * avsc takes, beyond that its 8 big-endian bytes, so that values a long holds
 * read the same as when the field was a long.
 */
export const uint64: Kind<bigint> = {
  shape: { kind: 'uint64' },
  schema: ['long', UINT64_FIXED] as unknown as avro.Schema,
  toWire(v) {
    if (v <= AVRO_LONG_MAX) return Number(v);
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(v);
    return bytes;
  },
  fromWire: (w) => (typeof w === 'number' ? BigInt(w) : (w as Buffer).readBigUInt64BE(0)),
  /** JSON's numbers are exact up to 2^53; past that the decimal text. */
  show: (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)),
};

export function enumOf<const S extends readonly [string, ...string[]]>(name: string, symbols: S): Kind<S[number]> {
  return {
    shape: { kind: 'enum', symbols },
    schema: avro.Type.forSchema({ type: 'enum', name, symbols: [...symbols] }),
    toWire: (v) => v,
    fromWire: (w) => w as S[number],
    show: (v) => v,
  };
}

/** A value or null (both kept: Go tells an absent list from an empty one). */
export function nullable<T>(of: Kind<T>): Kind<T | null> {
  return {
    shape: { kind: 'nullable', of: of as Kind<unknown> },
    schema: orNull(of.schema),
    toWire: (v) => (v === null ? null : of.toWire(v)),
    fromWire: (w) => (w === null ? null : of.fromWire(w)),
    show: (v) => (v === null ? null : of.show(v)),
  };
}

export function arrayOf<T>(of: Kind<T>): Kind<readonly T[]> {
  return {
    shape: { kind: 'array', of: of as Kind<unknown> },
    schema: { type: 'array', items: of.schema as avro.Schema },
    toWire: (v) => v.map((x) => of.toWire(x)),
    fromWire: (w) => (w as unknown[]).map((x) => of.fromWire(x)),
    show: (v) => v.map((x) => of.show(x)),
  };
}

export const strings = arrayOf(string);

/** A field that may be absent. */
export function optional<T>(of: Kind<T>): Optional<T> {
  return { optional: of };
}

/** The kind with its own description: a different name, other shown text, or several fields. */
export function shown<T>(of: Kind<T>, describe: (v: T, name: string) => Record<string, unknown>): Kind<T> {
  return { ...of, describe };
}

/** Shown under another name than its field's. */
export function shownAs<T>(label: string, of: Kind<T>): Kind<T> {
  return shown(of, (v) => ({ [label]: of.show(v) }));
}

/** A named Avro record of the given fields, in this order (the order is the encoding). */
export function record<F extends Fields>(name: string, fields: F): RecordKind<F> {
  const entries = Object.entries(fields);
  const type = avro.Type.forSchema({
    type: 'record',
    name,
    fields: entries.map(([n, f]) => ({
      name: n,
      type: (isOptional(f) ? orNull(f.optional.schema) : f.schema) as avro.Schema,
    })),
  });
  const kind: RecordKind<F> = {
    shape: { kind: 'record', fields },
    schema: type,
    type,
    fields,
    toWire(v) {
      const values = v as Record<string, unknown>;
      const w: Record<string, unknown> = {};
      for (const [n, f] of entries) {
        const x = values[n];
        if (isOptional(f)) w[n] = x === undefined ? null : f.optional.toWire(x);
        else w[n] = f.toWire(x);
      }
      return w;
    },
    fromWire(w) {
      const wire = w as Record<string, unknown>;
      const v: Record<string, unknown> = {};
      for (const [n, f] of entries) {
        const x = wire[n];
        if (!isOptional(f)) v[n] = f.fromWire(x);
        else if (x !== null && x !== undefined) v[n] = f.optional.fromWire(x);
      }
      return v as RecordValue<F>;
    },
    show(v) {
      return kind.describeFields(v);
    },
    describeFields(v) {
      const values = v as Record<string, unknown>;
      const shownFields: Record<string, unknown> = {};
      for (const [n, f] of entries) {
        const x = values[n];
        if (!isOptional(f)) Object.assign(shownFields, describeField(f, x, n));
        else if (x !== undefined) Object.assign(shownFields, describeField(f.optional, x, n));
      }
      return shownFields;
    },
  };
  return kind;
}
