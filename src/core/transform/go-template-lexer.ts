/**
 * The lexical half of the Go-template spelling: where an action ends (`}}` or ` -}}`), its tokens, string and
 * number literals, and whether a text looks Go-spelled at all. Follows Go's text/template/parse/lex.go.
 */

export type Tok =
  | { t: 'field'; root: string | null; parts: string[]; pos: number } // root null: `.` (the data)
  | { t: 'ident'; name: string; chain: string[]; pos: number }
  | { t: 'lit'; v: unknown; pos: number }
  | { t: 'pipe' | 'lparen' | 'rparen'; pos: number };

/** A refusal at a byte offset of the template text; translateGoTemplate turns the offset into line:column. */
export class GoTemplateError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

export const SPACE = /[ \t\r\n]/;
const IDENT_START = /[\p{L}_]/u;
const IDENT = /[\p{L}\p{N}_]/u;
const HANDLEBARS_HINT =
  'Handlebars syntax ({{#…}}, {{/…}}, {{~, [key]) cannot be mixed with Go-template syntax ({{.Field}}, pipes, {{if}}…{{end}}) in one template';

/** 1-based line:column of an offset, as the error prefix. */
export function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${col}`;
}

/**
 * True when the text uses a form only Go templates have: a leading-dot field, a pipe, a trim marker, a Go
 * comment, `$`, a backtick string, an if/end/range keyword, or an action that is only a literal. Anything else is read as Handlebars; a template
 * with neither spelling's markers (`{{upper SourceName}}`) means the same in both.
 */
export function looksLikeGoTemplate(text: string): boolean {
  for (const m of text.matchAll(/\{\{([\s\S]*?)(?:\}\}|$)/g)) {
    const c = (m[1] ?? '').replace(/"(?:\\.|[^"\\])*"/g, '""');
    // an empty action, an unterminated string or action: Go's parser says what is wrong more precisely
    if (c.trim() === '' || /"/.test(c.replaceAll('""', '')) || !m[0].endsWith('}}')) return true;
    if (/^-[ \t\r\n]/.test(c) || /[ \t\r\n]-$/.test(c) || /^\s*\/\*/.test(c)) return true;
    if (
      /(^|[\s(|])\.([\p{L}_]|\s|\)|$)/u.test(c) ||
      /(^|[\s(])\$/.test(c) ||
      c.includes('|') ||
      c.includes('`')
    )
      return true;
    if (/^\s*(if|end|range|with|define|template|block)(\s|$)/.test(c)) return true;
    // a lone literal prints itself in Go; Handlebars would look it up as a name and print nothing
    if (/^\s*(""|'[^']*'|[-+]?[0-9][\w.+-]*|true|false|nil)\s*$/.test(c)) return true;
  }
  return false;
}

/** Tokens of one action at a time; `trimRight` tells whether the last closing delimiter was ` -}}`. */
export class GoLexer {
  trimRight = false;

  constructor(private readonly text: string) {}

  /** If `}}` or ` -}}` is at `i`, returns the offset after it (setting the right trim). */
  closeAt(i: number): number | undefined {
    const s = this.text;
    if (s.startsWith('}}', i)) return i + 2;
    if (SPACE.test(s[i] ?? '') && s.startsWith('-}}', i + 1)) {
      this.trimRight = true;
      return i + 4;
    }
    return undefined;
  }

  lex(start: number, open: number): { toks: Tok[]; end: number } {
    const s = this.text;
    const toks: Tok[] = [];
    let i = start;
    for (;;) {
      if (i >= s.length)
        throw new GoTemplateError(open, 'unclosed action: no }} before the end of the template');
      const close = this.closeAt(i);
      if (close !== undefined) return { toks, end: close };
      const c = s[i]!;
      if (SPACE.test(c)) {
        i++;
      } else if (c === '|' || c === '(' || c === ')') {
        toks.push({ t: c === '|' ? 'pipe' : c === '(' ? 'lparen' : 'rparen', pos: i });
        i++;
      } else if (c === '"') {
        const [v, next] = this.quoted(i);
        toks.push({ t: 'lit', v, pos: i });
        i = next;
      } else if (c === '`') {
        const end = s.indexOf('`', i + 1);
        if (end < 0) throw new GoTemplateError(i, 'unterminated raw quoted string');
        toks.push({ t: 'lit', v: s.slice(i + 1, end), pos: i });
        i = end + 1;
      } else if (c === "'") {
        const m = /^'(\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)|[^'\\\n])'/u.exec(
          s.slice(i),
        );
        if (!m) throw new GoTemplateError(i, 'malformed character constant');
        const ch = m[1]!.startsWith('\\') ? unescapeGo(m[1]!, i) : m[1]!;
        toks.push({ t: 'lit', v: ch.codePointAt(0), pos: i });
        i += m[0].length;
      } else if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(s[i + 1] ?? ''))) {
        const m =
          /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(
            s.slice(i),
          )!;
        const v = goNumber(m[0]);
        if (m[0] === '' || Number.isNaN(v) || IDENT.test(s[i + m[0].length] ?? ''))
          throw new GoTemplateError(i, `bad number syntax: "${s.slice(i, i + m[0].length + 1)}"`);
        toks.push({ t: 'lit', v, pos: i });
        i += m[0].length;
      } else if (c === '.' || c === '$') {
        const pos = i;
        if (c === '$') {
          i++;
          if (IDENT.test(s[i] ?? ''))
            throw new GoTemplateError(
              pos,
              'variables ($name) are not supported; use the field directly (.Name)',
            );
        }
        const [parts, next] = this.chain(i);
        if (c === '.' && parts.length === 0) i++;
        else i = next;
        toks.push({ t: 'field', root: null, parts, pos });
      } else if (IDENT_START.test(c)) {
        const m = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(s.slice(i))!;
        const name = m[0];
        const [chain, next] = this.chain(i + name.length);
        if (name === 'true' || name === 'false') toks.push({ t: 'lit', v: name === 'true', pos: i });
        else if (name === 'nil') toks.push({ t: 'lit', v: null, pos: i });
        else toks.push({ t: 'ident', name, chain, pos: i });
        i = next;
      } else if (c === ':' || c === '=') {
        throw new GoTemplateError(i, 'variable declarations (:=, =) are not supported');
      } else if ('#/^>!{~[&@*'.includes(c)) {
        throw new GoTemplateError(i, `unexpected "${c}" in action: ${HANDLEBARS_HINT}`);
      } else {
        throw new GoTemplateError(
          i,
          `unexpected "${c}" in action; expected a field (.Name), a string, a number, a function, "|", "(" or "}}"`,
        );
      }
    }
  }

  /** `.a.b.c` immediately at `i`: the names, and the offset after them. */
  private chain(i: number): [string[], number] {
    const s = this.text;
    const parts: string[] = [];
    while (s[i] === '.') {
      const m = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(s.slice(i + 1));
      if (!m) {
        if (parts.length > 0 || IDENT.test(s[i - 1] ?? ''))
          throw new GoTemplateError(i, 'bad field syntax: expected a name after "."');
        break;
      }
      parts.push(m[0]);
      i += 1 + m[0].length;
    }
    return [parts, i];
  }

  private quoted(start: number): [string, number] {
    const s = this.text;
    let i = start + 1;
    let raw = '';
    for (;;) {
      const c = s[i];
      if (c === undefined || c === '\n') throw new GoTemplateError(start, 'unterminated quoted string');
      if (c === '"') return [unescapeGo(raw, start), i + 1];
      if (c === '\\') {
        raw += c + (s[i + 1] ?? '');
        i += 2;
      } else {
        raw += c;
        i++;
      }
    }
  }
}

function goNumber(s: string): number {
  const clean = s.replaceAll('_', '');
  const neg = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  let n: number;
  if (/^0[0-7]+$/.test(body)) n = Number.parseInt(body, 8);
  else n = Number(body);
  return neg ? -n : n;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** Go's strconv.Unquote escapes, for the body of a "…" string or a '…' char. */
function unescapeGo(raw: string, pos: number): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.?)/g, (_m, e: string) => {
    if (e.length > 1) {
      const code =
        e[0] === 'x' || e[0] === 'u' || e[0] === 'U'
          ? Number.parseInt(e.slice(1), 16)
          : Number.parseInt(e, 8);
      if (code > 0x10ffff) throw new GoTemplateError(pos, `invalid escape \\${e} in string`);
      return String.fromCodePoint(code);
    }
    const r = SIMPLE_ESCAPES[e];
    if (r === undefined) throw new GoTemplateError(pos, `invalid escape \\${e} in quoted string`);
    return r;
  });
}
