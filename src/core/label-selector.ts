import { KubemirrorError } from './errors.js';

/**
 * Kubernetes label selectors in their string form, parsed and matched exactly like apimachinery's
 * `labels.Parse` (pkg/labels/selector.go): `=`, `==`, `!=`, `in (…)`, `notin (…)`, `key`, `!key`, `>`, `<`,
 * comma = AND. The empty string selects everything. Pure; no I/O.
 */

/** The operator strings of apimachinery's `selection.Operator`. */
export type SelectorOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** sorted, deduplicated; empty for `exists` and `!` */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** sorted by key, as apimachinery does */
  requirements: readonly Requirement[];
}

/** The selector that matches every object (the parse of ''). */
export const EVERYTHING: LabelSelector = Object.freeze({
  requirements: Object.freeze([]) as readonly Requirement[],
});

type Tok = 'ident' | 'end' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'error';

interface Token {
  tok: Tok;
  lit: string;
}

const SYMBOLS: ReadonlyMap<string, Tok> = new Map<string, Tok>([
  ['!', '!'],
  ['!=', '!='],
  ['=', '='],
  ['==', '=='],
  ['>', '>'],
  ['<', '<'],
  ['(', '('],
  [')', ')'],
  [',', ','],
]);

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) =>
  c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isWhitespace(c)) {
      i++;
      continue;
    }
    if (isSpecial(c)) {
      // longest run of special characters that is still a known symbol, like apimachinery's scanSpecialSymbol
      let j = i;
      let best: { tok: Tok; end: number } | undefined;
      while (j < text.length && isSpecial(text[j]!)) {
        j++;
        const t = SYMBOLS.get(text.slice(i, j));
        if (t) best = { tok: t, end: j };
        else break;
      }
      if (!best) {
        out.push({ tok: 'error', lit: text.slice(i, j) });
        return out;
      }
      out.push({ tok: best.tok, lit: text.slice(i, best.end) });
      i = best.end;
      continue;
    }
    let j = i;
    while (j < text.length && !isWhitespace(text[j]!) && !isSpecial(text[j]!)) j++;
    const lit = text.slice(i, j);
    out.push({ tok: lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'ident', lit });
    i = j;
  }
  out.push({ tok: 'end', lit: '' });
  return out;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label key (qualified name: optional DNS-subdomain prefix + '/' + name), or null. */
export function labelKeyError(key: string): string | null {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return `invalid label key "${key}": prefix part must be non-empty`;
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
      return `invalid label key "${key}": prefix part must be a lowercase DNS subdomain of at most 253 characters`;
  } else if (parts.length > 2) {
    return `invalid label key "${key}": a qualified name must consist of an optional prefix and a name separated by one '/'`;
  }
  if (name.length === 0) return `invalid label key "${key}": name part must be non-empty`;
  if (name.length > 63) return `invalid label key "${key}": name part must be no more than 63 characters`;
  if (!QUALIFIED_NAME.test(name))
    return `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  return null;
}

/** Why `value` is not a valid label value (≤ 63 chars, alphanumeric ends, `-_.` inside, may be empty), or null. */
export function labelValueError(value: string): string | null {
  if (value.length > 63) return `invalid label value "${value}": must be no more than 63 characters`;
  if (!LABEL_VALUE.test(value))
    return `invalid label value "${value}": must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  return null;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  /** In value position `in`/`notin` are plain identifiers, as in apimachinery's Values context. */
  private peek(values: boolean): Token {
    const t = this.tokens[this.pos]!;
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'ident', lit: t.lit } : t;
  }

  private next(values: boolean): Token {
    const t = this.peek(values);
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  fail(msg: string): never {
    throw new KubemirrorError('InvalidSelector', `invalid label selector "${this.text}": ${msg}`);
  }

  private shown(t: Token): string {
    if (t.tok === 'end') return 'end of string';
    return t.lit;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.tok === 'end') return reqs;
      if (t.tok !== 'ident' && t.tok !== '!')
        this.fail(`found '${this.shown(t)}', expected: !, identifier, or 'end of string'`);
      reqs.push(this.requirement());
      const after = this.next(true);
      if (after.tok === 'end') return reqs;
      if (after.tok !== ',') this.fail(`found '${this.shown(after)}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== 'ident' && t2.tok !== '!')
        this.fail(`found '${this.shown(t2)}', expected: identifier after ','`);
    }
  }

  private requirement(): Requirement {
    let t = this.next(true);
    let op: SelectorOperator | undefined;
    if (t.tok === '!') {
      op = '!';
      t = this.next(true);
    }
    if (t.tok !== 'ident') this.fail(`found '${this.shown(t)}', expected: identifier`);
    const key = t.lit;
    const keyErr = labelKeyError(key);
    if (keyErr) this.fail(keyErr);
    const la = this.peek(true);
    if (la.tok === 'end' || la.tok === ',') op ??= 'exists';
    if (op === 'exists' || op === '!') return { key, operator: op, values: [] };

    const o = this.next(false);
    let values: string[];
    switch (o.tok) {
      case '=':
      case '==':
      case '!=':
        op = o.tok;
        values = this.exactValue();
        break;
      case '>':
      case '<':
        op = o.tok === '>' ? 'gt' : 'lt';
        values = this.exactValue();
        break;
      case 'in':
      case 'notin':
        op = o.tok;
        values = this.valueSet();
        break;
      default:
        this.fail(`found '${this.shown(o)}', expected: one of =, ==, !=, in, notin, >, <`);
    }
    for (const v of values) {
      const err = labelValueError(v);
      if (err) this.fail(err);
    }
    if (op === 'gt' || op === 'lt') {
      if (!/^[-+]?[0-9]+$/.test(values[0]!))
        this.fail(`for 'gt', 'lt' operators, the value must be an integer, got "${values[0]}"`);
    }
    return { key, operator: op, values: [...new Set(values)].sort() };
  }

  private exactValue(): string[] {
    const la = this.peek(true);
    if (la.tok === 'end' || la.tok === ',') return [''];
    const t = this.next(true);
    if (t.tok === 'ident') return [t.lit];
    return this.fail(`found '${this.shown(t)}', expected: identifier`);
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') this.fail(`found '${this.shown(open)}', expected: '('`);
    const la = this.peek(true);
    if (la.tok === ')') {
      this.next(true);
      return [''];
    }
    if (la.tok !== 'ident' && la.tok !== ',')
      this.fail(`found '${this.shown(la)}', expected: ',', ')' or identifier`);
    const set: string[] = [];
    for (;;) {
      const t = this.next(true);
      if (t.tok === 'ident') {
        set.push(t.lit);
        const t2 = this.peek(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') break;
        this.fail(`found '${this.shown(t2)}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (set.length === 0) set.push('');
        const t2 = this.peek(true);
        if (t2.tok === ')') {
          set.push('');
          break;
        }
        if (t2.tok === ',') {
          this.next(true);
          set.push('');
        }
      } else {
        this.fail(`found '${this.shown(t)}', expected: ',', or identifier`);
      }
    }
    const close = this.next(true);
    if (close.tok !== ')') this.fail(`found '${this.shown(close)}', expected: ')'`);
    return set;
  }
}

/**
 * Parses a selector string. Throws KubemirrorError (reason 'InvalidSelector') naming the bad part.
 * Requirements come back sorted by key, like apimachinery's internalSelector.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = lex(text);
  const bad = tokens.find((t) => t.tok === 'error');
  if (bad)
    throw new KubemirrorError(
      'InvalidSelector',
      `invalid label selector "${text}": unknown operator '${bad.lit}'`,
    );
  const requirements = new Parser(tokens, text).parse();
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[-+]?[0-9]+$/.test(value!)) return false;
      const lv = BigInt(value!);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

/** All requirements hold. `notin` and `!=` match objects that lack the key, as in Kubernetes. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => requirementMatches(r, l));
}

/** The canonical string form (apimachinery's Selector.String()); parses back to the same selector. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key}${r.operator}${r.values[0]}`;
      }
    })
    .join(',');
}
