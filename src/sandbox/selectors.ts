import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';

import { goValue, isQualifiedName, isValidLabelValue } from './validation/field-errors.js';

/**
 * Label and field selectors for list/watch. The label grammar, its errors and its matching follow
 * k8s.io/apimachinery/pkg/labels/selector.go (Lexer, Parser, NewRequirement, Requirement.Matches):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1` (integers), comma = AND;
 * `a in ()` is the set {""}, not an error. Private to the sandbox so it does not share the controller's parser.
 */
type Op = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

export type ObjectFilter = (o: KubeObject) => boolean;

type Tok = 'id' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin' | 'eos';
const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

function lex(text: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        out.push({ tok: two, lit: two });
        i += 2;
      } else {
        out.push({ tok: c as Tok, lit: c });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < text.length && !SPECIAL.has(text[j]!) && !/\s/.test(text[j]!)) j++;
    const lit = text.slice(i, j);
    out.push({ tok: lit === 'in' || lit === 'notin' ? lit : 'id', lit });
    i = j;
  }
  out.push({ tok: 'eos', lit: '' });
  return out;
}

function fail(message: string): never {
  throw apiErrors.badRequest(message);
}

function requirementErrors(key: string, op: Op, values: string[]): string[] {
  const errs: string[] = [];
  if ((op === 'gt' || op === 'lt') && values.length === 1 && !/^[+-]?\d+$/.test(values[0]!))
    errs.push(
      `values[0]: Invalid value: ${goValue(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(`values[${i}]: Invalid value: ${goValue(v)}: ${msgs.join('; ')}`);
  });
  void key;
  return errs;
}

/** labels.Parse: throws the real server's 400 text for a selector it would refuse. */
export function parseLabelSelector(text: string): Requirement[] {
  const toks = lex(text);
  let pos = 0;
  // in and notin are keywords only where an operator is expected (the parser's KeyAndOperator mode)
  const peek = (ops: boolean) => {
    const t = toks[pos]!;
    return !ops && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id' as Tok, lit: t.lit } : t;
  };
  const next = (ops: boolean) => {
    const t = peek(ops);
    if (pos < toks.length - 1) pos++;
    return t;
  };
  const requirement = (): Requirement => {
    let t = next(false);
    let op: Op | undefined;
    if (t.tok === '!') {
      op = '!';
      t = next(false);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length > 0) throw new Error(`key: Invalid value: ${goValue(key)}: ${keyErrs.join('; ')}`);
    const after = peek(false).tok;
    if (op === '!' || after === 'eos' || after === ',') return { key, op: op ?? 'exists', values: [] };
    const o = next(true);
    const ops: Partial<Record<Tok, Op>> = {
      in: 'in',
      notin: 'notin',
      '=': '=',
      '==': '==',
      '!=': '!=',
      '>': 'gt',
      '<': 'lt',
    };
    op = ops[o.tok];
    if (!op) throw new Error(`found '${o.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = new Set<string>();
    if (op === 'in' || op === 'notin') {
      const open = next(false);
      if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
      const first = peek(false);
      if (first.tok === ')') {
        next(false);
        values.add('');
      } else if (first.tok === 'id' || first.tok === ',') {
        for (;;) {
          const v = next(false);
          if (v.tok === 'id') {
            values.add(v.lit);
            const sep = peek(false);
            if (sep.tok === ',') continue;
            if (sep.tok === ')') break;
            throw new Error(`found '${sep.lit}', expected: ',' or ')'`);
          }
          if (v.tok === ',') {
            if (values.size === 0) values.add('');
            const sep = peek(false);
            if (sep.tok === ')') {
              values.add('');
              break;
            }
            if (sep.tok === ',') {
              next(false);
              values.add('');
            }
            continue;
          }
          throw new Error(`found '${v.lit}', expected: ',', or identifier`);
        }
        const close = next(false);
        if (close.tok !== ')') throw new Error(`found '${first.lit}', expected: ')'`);
      } else throw new Error(`found '${first.lit}', expected: ',', ')' or identifier`);
    } else {
      const v = peek(false);
      if (v.tok === 'eos' || v.tok === ',') values.add('');
      else {
        next(false);
        if (v.tok !== 'id') throw new Error(`found '${v.lit}', expected: identifier`);
        values.add(v.lit);
      }
    }
    const list = [...values].sort();
    const errs = requirementErrors(key, op, list);
    if (errs.length > 0) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
    return { key, op, values: list };
  };

  const reqs: Requirement[] = [];
  for (;;) {
    const t = peek(false);
    if (t.tok === 'eos') return reqs;
    if (t.tok !== 'id' && t.tok !== '!')
      fail(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    try {
      reqs.push(requirement());
    } catch (err) {
      fail(`unable to parse requirement: ${(err as Error).message}`);
    }
    const sep = next(false);
    if (sep.tok === 'eos') return reqs;
    if (sep.tok !== ',') fail(`found '${sep.lit}', expected: ',' or 'end of string'`);
    const after = peek(false);
    if (after.tok !== 'id' && after.tok !== '!')
      fail(`found '${after.lit}', expected: identifier or '!' after ','`);
  }
}

function labelsMatch(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.op) {
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
      default: {
        if (!has || !/^[+-]?\d+$/.test(value!)) return false;
        const l = BigInt(value!);
        const v = BigInt(r.values[0]!);
        return r.op === 'gt' ? l > v : l < v;
      }
    }
  });
}

/** fields.ParseSelector splits on commas (no set syntax in field selectors). */
function splitTopLevel(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

const FIELD_GETTERS: Record<string, (o: KubeObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

function fieldFilter(text: string, kind: string): ObjectFilter {
  const reqs = splitTopLevel(text).map((part) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    const getter =
      FIELD_GETTERS[field] ??
      (kind === 'Secret' && field === 'type' ? (o: KubeObject) => String(o.type ?? '') : undefined);
    if (!getter) throw apiErrors.badRequest(`field label not supported: ${field}`);
    return { getter, negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (o) => reqs.every((r) => (r.getter(o) === r.value) !== r.negate);
}

/** One predicate for `labelSelector` + `fieldSelector`; a bad selector throws a 400 ApiError. */
export function objectFilter(
  labelSelector: string | null,
  fieldSelector: string | null,
  kind: string,
): ObjectFilter {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields = fieldSelector ? fieldFilter(fieldSelector, kind) : () => true;
  return (o) => labelsMatch(labels, o.metadata.labels ?? {}) && fields(o);
}
