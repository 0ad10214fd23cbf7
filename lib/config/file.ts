// etcd's YAML configuration file, read as YAML 1.1 (`yes` is true) like etcd does.
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from './errors.js';
import { IGNORED_ETCD_KEYS, OPTIONS, SECURITY_SECTIONS, UNSUPPORTED_ETCD_KEYS } from './options.js';
import { describeSource, type RawValue, type RawValues } from './source.js';

interface FileKey {
  readonly flag: string;
  /** Numbers, booleans and strings are taken as their literal text, except booleans for boolean keys. */
  readonly boolean: boolean;
}

// A YAML path's parts joined by a newline, which no key can contain unnoticed.
const pathKey = (parts: readonly string[]) => parts.join('\n');

/** YAML path → the flag it sets. */
const KEYS: ReadonlyMap<string, FileKey> = new Map([
  ...OPTIONS.map((o) => [pathKey(o.yamlPath), { flag: o.flag, boolean: o.kind === 'bool' }] as const),
  ...[...IGNORED_ETCD_KEYS, ...UNSUPPORTED_ETCD_KEYS].map(
    (k) => [k.flag, { flag: k.flag, boolean: k.boolean }] as const,
  ),
]);

/** Reads the file named by `ref` (the config-file setting). */
export function readConfigFile(ref: RawValue): RawValues {
  const path = ref.text;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'FILE_UNREADABLE',
      'config-file',
      `config-file ${JSON.stringify(path)} (from ${describeSource(ref.source)}) cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); give the path of a readable YAML file`,
    );
  }
  const doc = parseDocument(text, { version: '1.1' });
  const [e] = doc.errors;
  if (e !== undefined) {
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(
      'FILE_INVALID',
      'config-file',
      `config-file ${JSON.stringify(path)} is not valid YAML${where}: ${e.message.split('\n')[0]}; fix the file`,
    );
  }
  const values: RawValues = new Map();
  const root = resolve(doc, doc.contents);
  if (root === null) return values;
  if (!isMap(root)) {
    throw new ConfigError(
      'FILE_INVALID',
      'config-file',
      `config-file ${JSON.stringify(path)} is not a YAML mapping of etcd keys; write one "key: value" per line`,
    );
  }
  for (const [key, node] of entries(doc, path, root, '')) {
    if (SECURITY_SECTIONS.includes(key)) {
      if (node === null) continue;
      if (!isMap(node)) throw notAMapping(path, key);
      for (const [sub, subNode] of entries(doc, path, node, `${key}.`)) readKey(doc, path, [key, sub], subNode, values);
    } else {
      readKey(doc, path, [key], node, values);
    }
  }
  return values;
}

function readKey(doc: Document, path: string, parts: readonly string[], node: Node | null, values: RawValues): void {
  const key = parts.join('.');
  const spec = KEYS.get(pathKey(parts));
  if (spec === undefined) {
    throw new ConfigError(
      'UNKNOWN_KEY',
      key,
      `unknown key ${JSON.stringify(key)} in config-file ${JSON.stringify(path)}; kvd reads etcd's keys (see kvd --help): remove it or fix its spelling`,
    );
  }
  const text = scalarText(doc, path, key, node, spec.boolean);
  if (text !== undefined) values.set(spec.flag, { text, source: { kind: 'file', path, key } });
}

/** The literal text of a scalar (or of a list's items, comma-joined); undefined for null. */
function scalarText(doc: Document, path: string, key: string, node: Node | null, boolean: boolean): string | undefined {
  if (node === null) return undefined;
  if (isScalar(node)) {
    if (node.value === null) return undefined;
    if (typeof node.value === 'string') return node.value;
    if (boolean && typeof node.value === 'boolean') return String(node.value);
    return node.source !== undefined && node.source !== '' ? String(node.source) : String(node.value);
  }
  if (isSeq(node)) {
    return node.items
      .map((item) => {
        const text = scalarText(doc, path, key, resolve(doc, item as Node | null), boolean);
        if (text === undefined || text.includes(',')) throw notAScalar(path, key);
        return text;
      })
      .join(',');
  }
  throw notAScalar(path, key);
}

function* entries(doc: Document, path: string, map: Node, prefix: string): Generator<[string, Node | null]> {
  if (!isMap(map)) return;
  for (const pair of map.items) {
    const key = resolve(doc, pair.key as Node | null);
    if (!isScalar(key) || typeof key.value !== 'string') {
      throw new ConfigError(
        'FILE_INVALID',
        `${prefix}${String(isScalar(key) ? key.value : key)}`,
        `config-file ${JSON.stringify(path)} has a key that is not a plain name under ${JSON.stringify(prefix || 'the top level')}; use etcd's key names`,
      );
    }
    yield [key.value, resolve(doc, pair.value as Node | null)];
  }
}

function resolve(doc: Document, node: Node | null | undefined): Node | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return node;
}

function notAMapping(path: string, key: string): ConfigError {
  return new ConfigError(
    'FILE_INVALID',
    key,
    `${key} in config-file ${JSON.stringify(path)} is not a mapping; write its settings indented below it (e.g. "  cert-file: server.pem")`,
  );
}

function notAScalar(path: string, key: string): ConfigError {
  return new ConfigError(
    'FILE_INVALID',
    key,
    `${key} in config-file ${JSON.stringify(path)} is not a single value or a list of values; give a value such as "${key}: ..."`,
  );
}
