/**
 * The syntax errors of Go's encoding/json scanner (and of sigs.k8s.io/json, its fork the apiserver decodes with),
 * worded as Go words them: `invalid character 'x' looking for beginning of value`, `unexpected end of JSON input`.
 * JavaScript's JSON.parse finds the same errors with other words; a client that reads the message sees Go's.
 */

/** strconv.QuoteRune inside the scanner's quoteChar: `'x'`, `'\''`, `'"'`, `'\n'`, `'\x01'` */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.codePointAt(0)!;
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    9: '\\t',
    10: '\\n',
    11: '\\v',
    12: '\\f',
    13: '\\r',
  };
  if (named[code]) return `'${named[code]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  // the C1 controls (a byte 0x80-0x9f read as a rune) are not printable either
  if (code >= 0x80 && code <= 0x9f) return `'\\u00${code.toString(16)}'`;
  return `'${c}'`;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** The first syntax error of `text` as encoding/json reports it, or undefined when it is valid JSON. */
export function goJsonSyntaxError(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  const bad = (c: string, context: string) => `invalid character ${quoteChar(c)} ${context}`;
  class Fail {
    constructor(readonly message: string) {}
  }
  const fail = (m: string): never => {
    throw new Fail(m);
  };
  const eof = () => fail('unexpected end of JSON input');
  const skip = () => {
    while (i < n && isSpace(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) eof();
      if (text[i] !== word[k]) fail(bad(text[i]!, `in literal ${word} (expecting ${quoteChar(word[k]!)})`));
    }
    i++;
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= n) eof();
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (i >= n) eof();
        const e = text[i]!;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) eof();
            if (!/[0-9a-fA-F]/.test(text[i]!)) fail(bad(text[i]!, 'in \\u hexadecimal character escape'));
          }
        } else if (!'"\\/bfnrt'.includes(e)) fail(bad(e, 'in string escape code'));
        i++;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail(bad(c, 'in string literal'));
      i++;
    }
  };
  const number = () => {
    if (text[i] === '-') {
      i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i]!)) fail(bad(text[i]!, 'in numeric literal'));
    }
    if (text[i] === '0') i++;
    else while (i < n && /[0-9]/.test(text[i]!)) i++;
    if (text[i] === '.') {
      i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i]!)) fail(bad(text[i]!, 'after decimal point in numeric literal'));
      while (i < n && /[0-9]/.test(text[i]!)) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= n) eof();
      if (!/[0-9]/.test(text[i]!)) fail(bad(text[i]!, 'in exponent of numeric literal'));
      while (i < n && /[0-9]/.test(text[i]!)) i++;
    }
  };
  const value = (): void => {
    skip();
    if (i >= n) eof();
    const c = text[i]!;
    if (c === '{') {
      i++;
      skip();
      if (i >= n) eof();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        skip();
        if (i >= n) eof();
        if (text[i] !== '"') fail(bad(text[i]!, 'looking for beginning of object key string'));
        string();
        skip();
        if (i >= n) eof();
        if (text[i] !== ':') fail(bad(text[i]!, 'after object key'));
        i++;
        value();
        skip();
        if (i >= n) eof();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(bad(text[i]!, 'after object key:value pair'));
      }
    }
    if (c === '[') {
      i++;
      skip();
      if (i >= n) eof();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        skip();
        if (i >= n) eof();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(bad(text[i]!, 'after array element'));
      }
    }
    if (c === '"') string();
    else if (c === '-' || /[0-9]/.test(c)) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else fail(bad(c, 'looking for beginning of value'));
  };
  try {
    value();
    skip();
    if (i < n) fail(bad(text[i]!, 'after top-level value'));
    return undefined;
  } catch (err) {
    if (err instanceof Fail) return err.message;
    throw err;
  }
}

/** What Go's json.Unmarshal into a struct says of a valid JSON value that is not an object. */
export function jsonKindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * The fields a JSON document sets twice in one object, as the strict decoder (sigs.k8s.io/json with
 * DisallowDuplicateFields) names them: `metadata`, `spec.replicas`, `spec.ports[0].port`. Empty for invalid JSON.
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const skip = () => {
    while (i < text.length && isSpace(text[i]!)) i++;
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      for (;;) {
        skip();
        if (text[i] === '}') {
          i++;
          return;
        }
        if (text[i] === ',') {
          i++;
          continue;
        }
        const key = readString();
        const child = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(child);
        seen.add(key);
        skip();
        i++; // ':'
        value(child);
      }
    }
    if (c === '[') {
      i++;
      for (let n = 0; ; n++) {
        skip();
        if (text[i] === ']') {
          i++;
          return;
        }
        if (text[i] === ',') i++;
        skip();
        if (text[i] === ']') {
          i++;
          return;
        }
        value(`${path}[${n}]`);
      }
    }
    if (c === '"') {
      readString();
      return;
    }
    while (i < text.length && !',]}'.includes(text[i]!) && !isSpace(text[i]!)) i++;
  };
  try {
    value('');
  } catch {
    return [];
  }
  return out;
}
