// Go's net/url, path and mime behaviour, as far as etcd's answers depend on
// them: how a request target is decoded, cleaned and redirected, how a query
// or form body is split into values, and the exact error texts Go produces.
//
// Byte strings: Go works on bytes, JavaScript on UTF-16. Decoded values are
// first built as "byte strings" (one char per byte, as latin1 decodes) so that
// invalid UTF-8 survives until it is deliberately turned into text.

/** A Go error text (net/url, mime) that etcd puts into its answer. */
export class GoError {
  constructor(readonly message: string) {}
}

/** Form values in arrival order per name, as Go's url.Values. */
export type FormValues = Map<string, string[]>;

const HEX = '0123456789ABCDEF';

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function unhex(c: number): number {
  if (c <= 57) return c - 48;
  if (c <= 70) return c - 55;
  return c - 87;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** A byte string as text (UTF-8, invalid sequences become U+FFFD). */
export function bytesToText(bin: string): string {
  return NON_ASCII.test(bin) ? Buffer.from(bin, 'latin1').toString('utf8') : bin;
}

/** Text as a byte string (its UTF-8 bytes). */
export function textToBytes(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/**
 * Go's url unescape on a byte string: `%XX` decoding, and `+` as a space in
 * query mode. Returns a byte string, or Go's EscapeError text.
 */
export function unescape(s: string, query: boolean): string | GoError {
  let percent = -1;
  let plus = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= s.length || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) {
        return new GoError('invalid URL escape ' + goQuote(s.slice(i, i + 3)));
      }
      if (percent < 0) percent = i;
      i += 2;
    } else if (c === 43 && query) {
      plus = true;
    }
  }
  if (percent < 0 && !plus) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      out += s.slice(from, i) + String.fromCharCode((unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2)));
      i += 2;
      from = i + 1;
    } else if (c === 43 && query) {
      out += s.slice(from, i) + ' ';
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

/**
 * Go's url.ParseQuery into `into` (values appended after those already
 * there). Returns the error Go would return: the first bad escape, except that
 * a semicolon error always wins, as in Go 1.17+.
 */
export function parseQuery(s: string, into: FormValues): GoError | null {
  let err: GoError | null = null;
  let start = 0;
  while (start <= s.length) {
    let amp = s.indexOf('&', start);
    if (amp < 0) amp = s.length;
    const part = s.slice(start, amp);
    start = amp + 1;
    if (part.length === 0) continue;
    if (part.includes(';')) {
      err = new GoError('invalid semicolon separator in query');
      continue;
    }
    const eq = part.indexOf('=');
    const key = unescape(eq < 0 ? part : part.slice(0, eq), true);
    if (key instanceof GoError) {
      err ??= key;
      continue;
    }
    const value = unescape(eq < 0 ? '' : part.slice(eq + 1), true);
    if (value instanceof GoError) {
      err ??= value;
      continue;
    }
    const name = bytesToText(key);
    const text = bytesToText(value);
    const list = into.get(name);
    if (list) list.push(text);
    else into.set(name, [text]);
  }
  return err;
}

const UNCLEAN = /\/\/|\/\.\.?(?:\/|$)/;

/** Go's ServeMux cleanPath: path.Clean that keeps a trailing slash. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (p.charCodeAt(0) !== 47) p = '/' + p;
  if (!UNCLEAN.test(p)) return p;
  const stack: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') stack.pop();
    else stack.push(seg);
  }
  let np = '/' + stack.join('/');
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

// Bytes Go's url.PathEscape-for-paths (encodePath mode) leaves alone.
const PATH_SAFE = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@') {
  PATH_SAFE[c.charCodeAt(0)] = 1;
}

/** Go's url escape in path mode, on a byte string. */
export function escapePath(bin: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    if (c < 128 && PATH_SAFE[c] === 1) continue;
    out += bin.slice(from, i) + '%' + HEX[(c >> 4) & 15] + HEX[c & 15];
    from = i + 1;
  }
  return from === 0 ? bin : out + bin.slice(from);
}

/** Go's hexEscapeNonASCII (used on Location headers), on a byte string. */
export function hexEscapeNonAscii(bin: string): string {
  if (!NON_ASCII.test(bin)) return bin;
  let out = '';
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    out += c >= 128 ? '%' + HEX[(c >> 4) & 15] + HEX[c & 15] : bin[i];
  }
  return out;
}

/** Go's html.EscapeString as net/http's Redirect uses it. */
export function htmlEscape(s: string): string {
  return s.replace(/[&'<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === "'" ? '&#39;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#34;',
  );
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.Quote of a byte string (for error texts). */
export function goQuote(bin: string): string {
  let out = '"';
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    if (c < 128) {
      out += quoteAscii(c);
      continue;
    }
    const len = utf8SequenceLength(bin, i);
    if (len === 0) {
      out += '\\x' + (c >> 4).toString(16) + (c & 15).toString(16);
      continue;
    }
    const ch = Buffer.from(bin.slice(i, i + len), 'latin1').toString('utf8');
    const cp = ch.codePointAt(0)!;
    if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
    i += len - 1;
  }
  return out + '"';
}

/** One ASCII byte as Go's strconv.Quote writes it (without the quotes). */
export function quoteAscii(c: number): string {
  switch (c) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 9:
      return '\\t';
    case 10:
      return '\\n';
    case 11:
      return '\\v';
    case 12:
      return '\\f';
    case 13:
      return '\\r';
    case 34:
      return '\\"';
    case 92:
      return '\\\\';
  }
  if (c < 32 || c === 127) return '\\x' + (c >> 4).toString(16) + (c & 15).toString(16);
  return String.fromCharCode(c);
}

/** Length of the valid UTF-8 sequence starting at i of a byte string, or 0. */
function utf8SequenceLength(bin: string, i: number): number {
  const c = bin.charCodeAt(i);
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = bin.charCodeAt(i + k);
    return x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// RFC 2045 token characters, as Go's mime package defines them.
function isTokenChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && '()<>@,;:\\"/[]?='.indexOf(String.fromCharCode(c)) < 0;
}

function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length && isTokenChar(v.charCodeAt(i))) i++;
  return [v.slice(0, i), v.slice(i)];
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function consumeValue(v: string): [string, string] {
  if (v === '') return ['', ''];
  if (v[0] !== '"') return consumeToken(v);
  let value = '';
  for (let i = 1; i < v.length; i++) {
    const r = v[i]!;
    if (r === '"') return [value, v.slice(i + 1)];
    if (r === '\\' && i + 1 < v.length && TSPECIALS.includes(v[i + 1]!)) {
      value += v[i + 1];
      i++;
      continue;
    }
    if (r === '\r' || r === '\n') return ['', v];
    value += r;
  }
  return ['', v];
}

const LEADING_SPACE = /^[\s\u0085]+/u;

function consumeMediaParam(v: string): [string, string, string] {
  let rest = v.replace(LEADING_SPACE, '');
  if (!rest.startsWith(';')) return ['', '', v];
  rest = rest.slice(1).replace(LEADING_SPACE, '');
  let param: string;
  [param, rest] = consumeToken(rest);
  param = param.toLowerCase();
  if (param === '') return ['', '', v];
  rest = rest.replace(LEADING_SPACE, '');
  if (!rest.startsWith('=')) return ['', '', v];
  rest = rest.slice(1).replace(LEADING_SPACE, '');
  const [value, rest2] = consumeValue(rest);
  if (value === '' && rest2 === rest) return ['', '', v];
  return [param, value, rest2];
}

/**
 * Go's mime.ParseMediaType, reduced to what net/http's form parsing looks at:
 * the lower-cased media type (empty when unusable) and the error, if any.
 */
export function parseMediaType(v: string): { type: string; error: GoError | null } {
  const semi = v.indexOf(';');
  const base = semi < 0 ? v : v.slice(0, semi);
  const type = base.trim().toLowerCase();
  const [main, afterMain] = consumeToken(type);
  if (main === '') return { type: '', error: new GoError('mime: no media type') };
  if (afterMain !== '') {
    if (!afterMain.startsWith('/')) return { type: '', error: new GoError('mime: expected slash after first token') };
    const [sub, afterSub] = consumeToken(afterMain.slice(1));
    if (sub === '') return { type: '', error: new GoError('mime: expected token after slash') };
    if (afterSub !== '') return { type: '', error: new GoError('mime: unexpected content after media subtype') };
  }
  const seen = new Set<string>();
  let rest = v.slice(base.length);
  while (rest.length > 0) {
    rest = rest.replace(LEADING_SPACE, '');
    if (rest.length === 0) break;
    const [key, , next] = consumeMediaParam(rest);
    if (key === '') {
      if (next.trim() === ';') break;
      return { type, error: new GoError('mime: invalid media parameter') };
    }
    // Go 1.19 (etcd 3.4's) refuses any repeated name, even with the same value.
    if (seen.has(key)) return { type: '', error: new GoError('mime: duplicate parameter name') };
    seen.add(key);
    rest = next;
  }
  return { type, error: null };
}
