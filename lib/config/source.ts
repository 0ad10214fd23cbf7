import { ConfigError, type ConfigErrorCode } from './errors.js';

/** Where a raw setting came from, so an error can point at it. */
export type Source =
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'file'; readonly path: string; readonly key: string }
  | { readonly kind: 'default' };

/** A setting as its source spelled it, before validation. */
export interface RawValue {
  readonly text: string;
  readonly source: Source;
}

/** Raw settings of one source, keyed by etcd flag name. */
export type RawValues = Map<string, RawValue>;

export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `--${source.flag}`;
    case 'env':
      return source.variable;
    case 'file':
      return `${source.key} in ${source.path}`;
    case 'default':
      return 'default';
  }
}

/** `<key> "<value>" (from <source>) <problem>; <fix>` */
export function invalid(code: ConfigErrorCode, key: string, raw: RawValue, problem: string, fix: string): ConfigError {
  return new ConfigError(
    code,
    key,
    `${key} ${JSON.stringify(raw.text)} (from ${describeSource(raw.source)}) ${problem}; ${fix}`,
  );
}
