import { KubemirrorError } from '../core/errors.js';

/**
 * kube's JSONPath (k8s.io/client-go/util/jsonpath v0.37.2: parser.go, jsonpath.go and the comparisons of
 * third_party/forked/golang/template), as kube-apiserver evaluates a CRD's additionalPrinterColumns: missing keys
 * give no result rather than an error (AllowMissingKeys(true)). Its quirks are kept: `['a.b']` is the path `.a.b`
 * (escape the dot, `['a\.b']`, for one key), a filter comparing values of different kinds (a number with a string,
 * an integer with `2.0`) is an error, `.*` over a string yields its UTF-8 bytes. Not kept: Go walks a map in random
 * order (`.*`, `..`), the sandbox in key order; a JSON number with an integral value (`1.0`) is an int64 here (JSON
 * parsing does not keep the difference) where Go has a float64; `{range}`/`{end}` are errors.
 */
export class JsonPathError extends KubemirrorError {
  /** what Go's walk returns along with the error (an `exists` filter counts it as found) */
  readonly partial: unknown[];
  constructor(message: string, partial: unknown[] = []) {
    super('JsonPath', message);
    this.partial = partial;
  }
}

interface ListNode {
  t: 'list';
  nodes: Node[];
}
interface Param {
  known: boolean;
  value: number;
  derived: boolean;
}
type Node =
  | ListNode
  | { t: 'text'; text: string }
  | { t: 'field'; name: string }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'array'; params: [Param, Param, Param] }
  | { t: 'union'; lists: ListNode[] }
  | { t: 'filter'; left: ListNode; right: ListNode; op: string }
  | { t: 'int' | 'float'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'identifier'; name: string };

/** a float literal of a filter (`2.0`), which Go compares as float64 where JSON's `2` is an int64 */
class FloatLiteral {
  constructor(readonly value: number) {}
}

const EOF = '';
const isDigit = (r: string) => /^\p{Nd}$/u.test(r);
const isAlphaNumeric = (r: string) => r === '_' || /^[\p{L}\p{Nd}]$/u.test(r);
const isTerminator = (r: string) => r === EOF || ' \t\r\n.,[]$@{}'.includes(r);
const list = (): ListNode => ({ t: 'list', nodes: [] });

/** parser.go: text and `{action}`s, each action a list of nodes */
class Parser {
  private pos = 0;
  private start = 0;
  private width = 0;
  readonly root = list();
  constructor(private readonly input: string) {
    this.parseText(this.root);
  }

  private next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.width = r.length;
    this.pos += r.length;
    return r;
  }
  private backup(): void {
    this.pos -= this.width;
  }
  private peek(): string {
    const r = this.next();
    this.backup();
    return r;
  }
  private consume(): string {
    const text = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return text;
  }
  private at(prefix: string): boolean {
    return this.input.startsWith(prefix, this.pos);
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.at('{')) {
        if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consume() });
        this.pos += 1;
        this.consume();
        const action = list();
        cur.nodes.push(action);
        this.parseInsideAction(action);
        return;
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consume() });
  }

  /** the tokens of an action up to its `}`, then the text after it */
  private parseInsideAction(cur: ListNode): void {
    for (;;) {
      if (this.at('}')) {
        this.pos += 1;
        this.consume();
        this.parseText(this.root);
        return;
      }
      if (this.at('[?(')) this.parseFilter(cur);
      else if (this.at('..')) this.parseRecursive(cur);
      else this.parseToken(cur);
    }
  }

  private parseToken(cur: ListNode): void {
    const r = this.next();
    if (r === EOF || r === '\r' || r === '\n') throw new JsonPathError('unclosed action');
    if (r === ' ' || r === '@' || r === '$') this.consume();
    else if (r === '[') this.parseArray(cur);
    else if (r === '"' || r === "'") this.parseQuote(cur, r);
    else if (r === '.') this.parseField(cur);
    else if (r === '+' || r === '-' || isDigit(r)) {
      this.backup();
      this.parseNumber(cur);
    } else if (isAlphaNumeric(r)) {
      this.backup();
      this.parseIdentifier(cur);
    } else throw new JsonPathError(`unrecognized character in action: ${r}`);
  }

  private parseIdentifier(cur: ListNode): void {
    while (!isTerminator(this.next()));
    this.backup();
    const name = this.consume();
    cur.nodes.push(
      name === 'true' || name === 'false' ? { t: 'bool', value: name === 'true' } : { t: 'identifier', name },
    );
  }

  private parseRecursive(cur: ListNode): void {
    if (cur.nodes.at(-1)?.t === 'recursive') throw new JsonPathError('invalid multiple recursive descent');
    this.pos += 2;
    this.consume();
    cur.nodes.push({ t: 'recursive' });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  private parseNumber(cur: ListNode): void {
    const sign = this.peek();
    if (sign === '+' || sign === '-') this.next();
    for (let r = this.next(); r === '.' || isDigit(r); r = this.next());
    this.backup();
    const text = this.consume();
    if (/^[+-]?\d+$/.test(text)) cur.nodes.push({ t: 'int', value: Number(text) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) cur.nodes.push({ t: 'float', value: Number(text) });
    else throw new JsonPathError(`cannot parse number ${text}`);
  }

  private parseArray(cur: ListNode): void {
    for (let r = this.next(); r !== ']'; r = this.next())
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated array');
    let text = this.consume().slice(1, -1);
    if (text === '*') text = ':';
    const parts = text.split(',');
    if (parts.length > 1) {
      cur.nodes.push({ t: 'union', lists: parts.map((p) => parseAction(`[${p.replace(/^ +| +$/g, '')}]`)) });
      return;
    }
    const key = /^'([^']*)'$/.exec(text);
    if (key) {
      cur.nodes.push(...parseAction(`.${key[1]}`).nodes);
      return;
    }
    const slice = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/.exec(text);
    if (!slice) throw new JsonPathError(`invalid array index ${text}`);
    const params: Param[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = slice[i + 1] ?? '';
      const digits = i > 0 ? raw.slice(1) : raw;
      if (raw === '')
        params.push(
          i === 1
            ? { known: true, value: params[0]!.value + 1, derived: true }
            : { known: false, value: 0, derived: false },
        );
      else if (i > 0 && digits === '') params.push({ known: false, value: 0, derived: false });
      else if (/^-?\d+$/.test(digits)) params.push({ known: true, value: Number(digits), derived: false });
      else throw new JsonPathError(`array index ${digits} is not a number`);
    }
    cur.nodes.push({ t: 'array', params: params as [Param, Param, Param] });
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consume();
    let begin = false;
    let end = false;
    let pair = '';
    for (;;) {
      const r = this.next();
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated filter');
      if (r === '"' || r === "'") {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === ')' && begin === end) break;
    }
    if (this.next() !== ']') throw new JsonPathError('unclosed array expect ]');
    const text = this.consume().slice(0, -2);
    const cmp = /^([^!<>=]+)([!<>=]+)(.+?)$/.exec(text);
    cur.nodes.push(
      cmp
        ? { t: 'filter', left: parseAction(cmp[1]!), right: parseAction(cmp[3]!), op: cmp[2]! }
        : { t: 'filter', left: parseAction(text), right: list(), op: 'exists' },
    );
  }

  private parseQuote(cur: ListNode, quote: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === '\n') throw new JsonPathError('unterminated quoted string');
      if (r === quote && this.input[this.pos - 2] !== '\\') break;
    }
    cur.nodes.push({ t: 'text', text: unquote(this.consume()) });
  }

  private parseField(cur: ListNode): void {
    this.consume();
    for (;;) {
      const r = this.next();
      if (r === '\\') this.next();
      else if (isTerminator(r)) {
        this.backup();
        break;
      }
    }
    const name = this.consume();
    cur.nodes.push(name === '*' ? { t: 'wildcard' } : { t: 'field', name: name.replaceAll('\\', '') });
  }
}

/** parseAction: the list of one `{text}` */
const parseAction = (text: string): ListNode => new Parser(`{${text}}`).root.nodes[0] as ListNode;

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** UnquoteExtend: strconv.Unquote for '…' as well as "…" (\n, \t, \\, \", \xHH, \uHHHH, \ooo …) */
function unquote(s: string): string {
  const quote = s[0]!;
  const body = s.slice(1, -1);
  const invalid = () => new JsonPathError(`unquote string ${s} error invalid syntax`);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === quote) throw invalid();
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    const digits = HEX_DIGITS[e] ?? 0;
    const hex = body.slice(i + 1, i + 1 + digits);
    const octal = body.slice(i, i + 3);
    if (ESCAPES[e] !== undefined || e === quote) out += ESCAPES[e] ?? e;
    else if (digits && hex.length === digits && /^[0-9a-fA-F]+$/.test(hex)) {
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += digits;
    } else if (/^[0-3][0-7]{2}$/.test(octal)) {
      out += String.fromCharCode(Number.parseInt(octal, 8));
      i += 2;
    } else throw invalid();
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof FloatLiteral);
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** what `.*` and `..` descend into: a map's values, a slice's items, a string's bytes */
function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMap(v))
    return Object.keys(v)
      .sort(byKey)
      .map((k) => v[k]);
  if (typeof v === 'string') return [...Buffer.from(v, 'utf8')];
  return [];
}

function walk(input: unknown[], node: Node): unknown[] {
  switch (node.t) {
    case 'list':
      return node.nodes.reduce((cur, n) => walk(cur, n), input);
    case 'text':
      return [node.text];
    case 'field':
      return input.filter(isMap).flatMap((v) => (Object.hasOwn(v, node.name) ? [v[node.name]] : []));
    case 'wildcard':
      return input.flatMap(children);
    case 'recursive':
      return recursive(input);
    case 'array':
      return input.flatMap((v) => slice(input, v, node.params));
    case 'union':
      return node.lists.flatMap((l) => {
        try {
          return walk(input, l);
        } catch (err) {
          throw new JsonPathError((err as Error).message, input);
        }
      });
    case 'filter':
      return filter(input, node);
    case 'int':
    case 'bool':
      return input.map(() => node.value);
    case 'float':
      return input.map(() => new FloatLiteral(node.value));
    case 'identifier':
      throw new JsonPathError(`unsupported identifier ${node.name}`, input);
  }
}

function recursive(input: unknown[]): unknown[] {
  return input.flatMap((v) => {
    const below = v === null ? [] : children(v);
    return below.length ? [v, ...recursive(below)] : [];
  });
}

/** evalArray for one value: `[i]`, `[a:b:step]` with negative indices from the end */
function slice(input: unknown[], v: unknown, params: readonly Param[]): unknown[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new JsonPathError('not array or slice', input);
  const [p0, p1, p2] = params.map((p) => ({ ...p })) as [Param, Param, Param];
  const len = v.length;
  if (!p0.known) p0.value = 0;
  if (p0.value < 0) p0.value += len;
  if (!p1.known) p1.value = len;
  if (p1.value < 0 || (p1.value === 0 && p1.derived)) p1.value += len;
  if (p1.value === p0.value) return [];
  if (p0.value >= len || p0.value < 0 || p1.value > len || p1.value < 0)
    throw new JsonPathError(`array index out of bounds: length ${len}`, input);
  if (p0.value > p1.value) throw new JsonPathError('starting index is greater than ending index', input);
  if (p2.known && p2.value <= 0) throw new JsonPathError('step must be > 0', input);
  const step = p2.known ? p2.value : 1;
  return v.slice(p0.value, p1.value).filter((_, i) => i % step === 0);
}

function filter(input: unknown[], node: Extract<Node, { t: 'filter' }>): unknown[] {
  const out: unknown[] = [];
  for (const v of input) {
    if (!Array.isArray(v)) throw new JsonPathError('not array or slice and cannot be filtered', input);
    for (const item of v) {
      let lefts: unknown[];
      let failure: JsonPathError | undefined;
      try {
        lefts = walk([item], node.left);
      } catch (err) {
        failure = err as JsonPathError;
        lefts = failure.partial;
      }
      if (node.op === 'exists') {
        if (lefts.length > 0) out.push(item);
        continue;
      }
      if (failure) throw new JsonPathError(failure.message, input);
      if (lefts.length === 0) continue;
      if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time', input);
      const rights = walk([item], node.right);
      if (rights.length === 0) continue;
      if (rights.length > 1) throw new JsonPathError('can only compare one element at a time', input);
      if (compare(node.op, lefts[0], rights[0], out)) out.push(item);
    }
  }
  return out;
}

/** template.Equal/Less: values of one basic kind only (an int64 and a float64 do not compare) */
function compare(op: string, a: unknown, b: unknown, partial: unknown[]): boolean {
  const kind = (v: unknown) => {
    if (typeof v === 'boolean') return 'bool';
    if (typeof v === 'string') return 'string';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    if (v instanceof FloatLiteral) return 'float';
    throw new JsonPathError('invalid type for comparison', partial);
  };
  const [ka, kb] = [kind(a), kind(b)];
  if (ka !== kb) throw new JsonPathError('incompatible types for comparison', partial);
  const [x, y] = [a, b].map((v) => (v instanceof FloatLiteral ? v.value : v)) as [number, number];
  const less = () => {
    if (ka === 'bool') throw new JsonPathError('invalid type for comparison', partial);
    return x < y;
  };
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return less();
    case '<=':
      return less() || x === y;
    case '>':
      return !(less() || x === y);
    case '>=':
      return !less();
    default:
      throw new JsonPathError(`unrecognized filter operator ${op}`, partial);
  }
}

export interface JsonPath {
  /** FindResults: one list of values per `{action}` or text of the template; throws JsonPathError */
  findResults(data: unknown): unknown[][];
}

/** Parses a template such as `{.status.conditions[?(@.type=="Ready")].status}`; throws JsonPathError. */
export function parseJsonPath(template: string): JsonPath {
  const root = new Parser(template).root;
  return {
    findResults: (data) =>
      root.nodes.map((n) => walk([data], n).map((v) => (v instanceof FloatLiteral ? v.value : v))),
  };
}

/** Go's fmt %v of an int64 or a float64 (the shortest digits, %e below 1e-4 and from 1e6) */
export function goNumberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e >= -4 && e < 6) return String(n);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** encoding/json's Marshal: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped */
function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isMap(v))
    return `{${Object.keys(v)
      .sort(byKey)
      .map((k) => `${goJson(k)}:${goJson(v[k])}`)
      .join(',')}}`;
  if (typeof v === 'string')
    return JSON.stringify(v).replace(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return v === undefined ? 'null' : JSON.stringify(v);
}

/**
 * PrintResults of one value as the table convertor calls it (`reflect.ValueOf(value)`): maps and slices as JSON,
 * scalars with fmt's %v, a JSON null as `<no value>` (the invalid reflect.Value of a nil interface).
 */
export function printJsonPathValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'object') return goJson(v);
  if (typeof v === 'number') return goNumberText(v);
  return String(v);
}
