// Parsers for one raw setting each. Every value arrives as the text its source
// spelled (flag, environment, YAML literal), so numbers and booleans are read
// the same way wherever they come from.
import { isIP, isIPv6 } from 'node:net';
import { present } from '../assert.js';
import { invalid, type RawValue } from './source.js';
import type { ClusterMember, KvdUrl } from './types.js';

const BOOL_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['t', true],
  ['1', true],
  ['yes', true],
  ['on', true],
  ['false', false],
  ['f', false],
  ['0', false],
  ['no', false],
  ['off', false],
]);

/** Go's strconv.ParseBool words (any case) plus YAML 1.1's yes/no/on/off. */
export function isBoolWord(text: string): boolean {
  return BOOL_WORDS.has(text.toLowerCase());
}

export function parseBool(key: string, raw: RawValue): boolean {
  const value = BOOL_WORDS.get(raw.text.trim().toLowerCase());
  if (value === undefined) throw invalid('INVALID_BOOL', key, raw, 'is not a boolean', 'use true or false');
  return value;
}

export function parseUint(key: string, raw: RawValue, min: number, max: number, unit = ''): number {
  const text = raw.text.trim();
  const range = `a whole number${unit} from ${min} to ${max}`;
  if (!/^\d+$/.test(text)) throw invalid('INVALID_NUMBER', key, raw, 'is not a whole decimal number', `use ${range}`);
  if (text.length > 1 && text.startsWith('0')) {
    throw invalid(
      'INVALID_NUMBER',
      key,
      raw,
      'has a leading zero (etcd reads that as octal)',
      `use ${range} without leading zeros`,
    );
  }
  const value = Number(text);
  if (value < min || value > max) throw invalid('INVALID_NUMBER', key, raw, 'is out of range', `use ${range}`);
  return value;
}

export function parseEnum<T extends string>(key: string, raw: RawValue, values: readonly T[]): T {
  const found = values.find((v) => v === raw.text.trim());
  if (found === undefined) {
    throw invalid('INVALID_ENUM', key, raw, 'is not an accepted value', `use one of: ${values.join(', ')}`);
  }
  return found;
}

/** Comma-separated items; empty items are refused. */
export function parseList(key: string, raw: RawValue): string[] {
  const items = raw.text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) {
    throw invalid('INVALID_VALUE', key, raw, 'has an empty item', 'separate non-empty items with single commas');
  }
  return items;
}

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;

export interface UrlRules {
  /** A URL to listen on: its host must be an IP address or localhost, and port 0 (any) is allowed. */
  readonly bind: boolean;
}

/** One URL under etcd's rules (`scheme://host:port`, no path), limited to http and https. */
export function parseUrl(key: string, raw: RawValue, text: string, rules: UrlRules): KvdUrl {
  const example = `e.g. http://127.0.0.1:2379`;
  const bad = (problem: string, fix: string) =>
    invalid('INVALID_URL', key, raw, `has URL ${JSON.stringify(text)} ${problem}`, fix);
  const m = URL_SHAPE.exec(text);
  if (!m) throw bad('that is not a URL', `write scheme://host:port, ${example}`);
  const schemeText = present(m[1], 'URL_SHAPE always captures a scheme');
  const authority = present(m[2], 'URL_SHAPE always captures an authority, maybe empty');
  const rest = present(m[3], 'URL_SHAPE always captures the rest, maybe empty');
  const scheme = schemeText.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw bad(`with scheme "${schemeText}"`, 'kvd serves only http:// and https:// URLs');
  }
  if (rest !== '' && rest !== '/')
    throw bad('with a path, query or fragment', `give only scheme://host:port, ${example}`);
  if (authority.includes('@')) throw bad('with user credentials', 'remove the user:password@ part');
  const hp = /^\[([^\]]*)\](?::(.*))?$/.exec(authority) ?? /^([^:[\]]*)(?::(.*))?$/.exec(authority);
  if (!hp) throw bad('with a malformed host', 'write IPv6 addresses in brackets, e.g. http://[::1]:2379');
  const bracketed = authority.startsWith('[');
  const host = present(hp[1], 'both host patterns always capture a host, maybe empty');
  const portText = hp[2];
  if (host === '') throw bad('without a host', `name a host, ${example}`);
  if (bracketed ? !isIPv6(host) : !(isIP(host) === 4 || DNS_NAME.test(host))) {
    throw bad('with an invalid host', `use an IP address or a DNS name, ${example}`);
  }
  if (portText === undefined || portText === '') {
    throw bad('without a port', `etcd URLs need an explicit port: scheme://host:port, ${example}`);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= (rules.bind ? 0 : 1) && port <= 65535)) {
    throw bad('with an invalid port', `use a port from ${rules.bind ? 0 : 1} to 65535`);
  }
  if (rules.bind && host.toLowerCase() !== 'localhost' && isIP(host) === 0) {
    throw bad(
      'to listen on that names a host, not an IP (expected IP in URL for binding)',
      'listen on an IP address such as 127.0.0.1 or 0.0.0.0, or localhost',
    );
  }
  // WHATWG URL lower-cases names and canonicalizes IP spellings; the port is
  // taken from the text because URL drops a scheme's default port.
  const hostname = canonicalHostname(scheme, authority);
  if (hostname === undefined) throw bad('with an invalid host', `use an IP address or a DNS name, ${example}`);
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return { href: `${scheme}://${hostname}:${port}`, scheme, host: bare, port };
}

function canonicalHostname(scheme: string, authority: string): string | undefined {
  try {
    return new URL(`${scheme}://${authority}`).hostname;
  } catch {
    return undefined;
  }
}

export function parseUrlList(key: string, raw: RawValue, rules: UrlRules): KvdUrl[] {
  if (raw.text.trim() === '') {
    throw invalid('INVALID_URL', key, raw, 'lists no URL', 'give at least one URL, e.g. http://127.0.0.1:2379');
  }
  return parseList(key, raw).map((text) => parseUrl(key, raw, text, rules));
}

/**
 * `name=url,name=url,...` as etcd reads it: a name given twice lists more URLs
 * of the same member; a URL given twice is refused.
 */
export function parseInitialCluster(key: string, raw: RawValue): ClusterMember[] {
  const members = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const entry of parseList(key, raw)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      throw invalid(
        'INVALID_CLUSTER',
        key,
        raw,
        `has entry ${JSON.stringify(entry)} that is not name=URL`,
        'list members as name=http://host:port separated by commas',
      );
    }
    const name = entry.slice(0, eq).trim();
    const url = parseUrl(key, raw, entry.slice(eq + 1).trim(), { bind: false });
    if (seen.has(url.href)) {
      throw invalid(
        'INVALID_CLUSTER',
        key,
        raw,
        `has duplicate url ${url.href}`,
        'give every member its own peer URLs',
      );
    }
    seen.add(url.href);
    const urls = members.get(name) ?? [];
    urls.push(url.href);
    members.set(name, urls);
  }
  return [...members].map(([name, peerURLs]) => ({ name, peerURLs }));
}

/**
 * A discovery URL: http(s)://host[:port]/<token path>. Its text (without a
 * trailing slash) is also the token mixed into member ids, as etcd does, so
 * every member must be given the same URL.
 */
export function parseDiscoveryUrl(key: string, raw: RawValue): string {
  const text = raw.text.trim().replace(/\/+$/, '');
  const example = 'e.g. https://discovery.etcd.io/3e86b59982e49066c5d813af1c2e2579cbf573de';
  const bad = (problem: string, fix: string) => invalid('INVALID_URL', key, raw, problem, fix);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a URL', `give the discovery URL with its token, ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`has scheme "${url.protocol.slice(0, -1)}"`, 'use an http:// or https:// discovery URL');
  if (url.username !== '' || url.password !== '') throw bad('has user credentials', 'remove the user:password@ part');
  if (url.search !== '' || url.hash !== '')
    throw bad('has a query or fragment', `give only the URL of the token, ${example}`);
  if (url.pathname === '' || url.pathname === '/')
    throw bad('has no token path', `append the token the discovery service made, ${example}`);
  return text;
}

/** etcd's discovery-proxy: an http(s) URL, or host:port taken as http://host:port. */
export function parseProxyUrl(key: string, raw: RawValue): string {
  const text = raw.text.trim();
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid('INVALID_URL', key, raw, 'is not a proxy address', 'give the proxy as http://host:port');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid('INVALID_URL', key, raw, 'is not an http or https proxy URL', 'give the proxy as http://host:port');
  }
  return url.href.replace(/\/$/, '');
}

export function parseDnsDomain(key: string, raw: RawValue): string {
  const text = raw.text.trim().replace(/\.$/, '');
  if (!DNS_NAME.test(text))
    throw invalid('INVALID_VALUE', key, raw, 'is not a DNS domain name', 'give a domain such as example.com');
  return text;
}

/** DNS servers as node:dns takes them: `ip`, `ip:port` or `[ipv6]:port`. */
export function parseDnsServers(key: string, raw: RawValue): string[] {
  return parseList(key, raw).map((item) => {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(item) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(item);
    const host = m?.[1];
    const port = m?.[2] === undefined ? 53 : Number(m[2]);
    if (host === undefined || isIP(host) === 0 || port < 1 || port > 65535) {
      throw invalid(
        'INVALID_VALUE',
        key,
        raw,
        `has ${JSON.stringify(item)}, which is not a DNS server address`,
        'give ip:port items, e.g. 127.0.0.1:5353 or [::1]:5353',
      );
    }
    return item;
  });
}
