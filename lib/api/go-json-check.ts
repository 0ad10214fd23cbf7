// Go's encoding/json syntax check (checkValid), so that a bad JSON body gets
// the very message etcd answers with, e.g.
// "invalid character 'b' looking for beginning of object key string".

import { quoteAscii } from './go-url.js';

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's quoteChar: a byte as the scanner names it in its errors. */
function quoteChar(c: number): string {
  if (c === 39) return "'\\''";
  if (c === 34) return "'\"'";
  if (c < 128) return "'" + quoteAscii(c) + "'";
  // Go turns the byte into the rune of the same number before quoting it.
  const ch = String.fromCharCode(c);
  return "'" + (PRINTABLE.test(ch) ? ch : '\\u' + c.toString(16).padStart(4, '0')) + "'";
}

const MAX_DEPTH = 10000;

const enum Ctx {
  ObjectKey,
  ObjectValue,
  ArrayValue,
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** null when `data` is valid JSON, else Go's SyntaxError message. */
export function goJsonSyntaxError(data: Uint8Array): string | null {
  const stack: Ctx[] = [];
  let i = 0;
  const n = data.length;
  const fail = (c: number, context: string): string => 'invalid character ' + quoteChar(c) + ' ' + context;
  const eof = 'unexpected end of JSON input';

  // Each iteration parses one value, then the punctuation after it.
  for (;;) {
    // Begin value (stateBeginValue), possibly an empty object/array.
    while (i < n && isSpace(data[i]!)) i++;
    if (i >= n) return eof;
    let c = data[i]!;
    if (c === 123 || c === 91) {
      if (stack.length >= MAX_DEPTH) return fail(c, 'exceeded max depth');
      i++;
      while (i < n && isSpace(data[i]!)) i++;
      if (i >= n) return eof;
      const d = data[i]!;
      if (c === 123) {
        if (d === 125) {
          i++;
        } else if (d !== 34) {
          return fail(d, 'looking for beginning of object key string');
        } else {
          stack.push(Ctx.ObjectKey);
          continue;
        }
      } else if (d === 93) {
        i++;
      } else {
        stack.push(Ctx.ArrayValue);
        continue;
      }
    } else if (c === 34) {
      const err = scanString();
      if (err !== null) return err;
    } else if (c === 45 || isDigit(c)) {
      const err = scanNumber();
      if (err !== null) return err;
    } else if (c === 116 || c === 102 || c === 110) {
      const word = c === 116 ? 'true' : c === 102 ? 'false' : 'null';
      i++;
      for (let k = 1; k < word.length; k++, i++) {
        if (i >= n) return eof;
        if (data[i] !== word.charCodeAt(k)) return fail(data[i]!, `in literal ${word} (expecting '${word[k]}')`);
      }
    } else {
      return fail(c, 'looking for beginning of value');
    }

    // End of a value (stateEndValue): close containers as far as they end here.
    for (;;) {
      while (i < n && isSpace(data[i]!)) i++;
      if (stack.length === 0) return trailing();
      const top = stack[stack.length - 1]!;
      if (i >= n) return eof;
      c = data[i]!;
      if (top === Ctx.ObjectKey) {
        if (c !== 58) return fail(c, 'after object key');
        i++;
        stack[stack.length - 1] = Ctx.ObjectValue;
        break;
      }
      if (top === Ctx.ObjectValue) {
        if (c === 44) {
          i++;
          while (i < n && isSpace(data[i]!)) i++;
          if (i >= n) return eof;
          if (data[i] !== 34) return fail(data[i]!, 'looking for beginning of object key string');
          stack[stack.length - 1] = Ctx.ObjectKey;
          break;
        }
        if (c !== 125) return fail(c, 'after object key:value pair');
        i++;
        stack.pop();
        continue;
      }
      if (c === 44) {
        i++;
        break;
      }
      if (c !== 93) return fail(c, 'after array element');
      i++;
      stack.pop();
    }
  }

  function trailing(): string | null {
    while (i < n && isSpace(data[i]!)) i++;
    return i < n ? fail(data[i]!, 'after top-level value') : null;
  }

  function scanString(): string | null {
    i++;
    for (;;) {
      if (i >= n) return eof;
      const c = data[i]!;
      if (c === 34) {
        i++;
        return null;
      }
      if (c === 92) {
        i++;
        if (i >= n) return eof;
        const e = data[i]!;
        if (e === 117) {
          i++;
          for (let k = 0; k < 4; k++, i++) {
            if (i >= n) return eof;
            if (!isHexDigit(data[i]!)) return fail(data[i]!, 'in \\u hexadecimal character escape');
          }
          continue;
        }
        if ('"\\/bfnrt'.indexOf(String.fromCharCode(e)) < 0) return fail(e, 'in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) return fail(c, 'in string literal');
      i++;
    }
  }

  function scanNumber(): string | null {
    if (data[i] === 45) {
      i++;
      if (i >= n) return eof;
      if (!isDigit(data[i]!)) return fail(data[i]!, 'in numeric literal');
    }
    if (data[i] === 48) i++;
    else while (i < n && isDigit(data[i]!)) i++;
    if (i < n && data[i] === 46) {
      i++;
      if (i >= n) return eof;
      if (!isDigit(data[i]!)) return fail(data[i]!, 'after decimal point in numeric literal');
      while (i < n && isDigit(data[i]!)) i++;
    }
    if (i < n && (data[i] === 101 || data[i] === 69)) {
      i++;
      if (i < n && (data[i] === 43 || data[i] === 45)) i++;
      if (i >= n) return eof;
      if (!isDigit(data[i]!)) return fail(data[i]!, 'in exponent of numeric literal');
      while (i < n && isDigit(data[i]!)) i++;
    }
    return null;
  }
}
