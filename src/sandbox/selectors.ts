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
  // labels.validateLabelValue names the value by its index and the requirement's key
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(`values[${i}][${key}]: Invalid value: ${goValue(v)}: ${msgs.join('; ')}`);
  });
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
    // the requirement's key is validated with a nil field path, printed as <nil>
    if (keyErrs.length > 0) throw new Error(`<nil>: Invalid value: ${goValue(key)}: ${keyErrs.join('; ')}`);
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
    if (after.tok !== 'id' && after.tok !== '!') fail(`found '${after.lit}', expected: identifier after ','`);
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

/** fields.splitTerms: commas split, except escaped ones */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes; a bare `,` or `=` is refused */
function unescapeValue(v: string): string {
  let out = '';
  let inSlash = false;
  for (const c of v) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=')
        fail(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=')
      fail(`invalid field selector: unescaped character in value: ${c.charCodeAt(0)}`);
    else out += c;
  }
  if (inSlash) fail('invalid field selector: invalid escape sequence: \\');
  return out;
}

type Getter = (o: KubeObject) => unknown;
const at =
  (...path: string[]): Getter =>
  (o) =>
    path.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      o,
    );
const META: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};
const EVENT_FIELDS: Record<string, Getter> = {
  ...META,
  'involvedObject.kind': at('involvedObject', 'kind'),
  'involvedObject.namespace': at('involvedObject', 'namespace'),
  'involvedObject.name': at('involvedObject', 'name'),
  'involvedObject.uid': at('involvedObject', 'uid'),
  'involvedObject.apiVersion': at('involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': at('involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': at('involvedObject', 'fieldPath'),
  reason: at('reason'),
  reportingComponent: at('reportingComponent'),
  source: at('source', 'component'),
  type: at('type'),
};

/**
 * The field labels each kind's scheme conversion accepts (pkg/apis/<group>/<version>/conversion.go
 * AddFieldLabelConversionFunc), read from the stored object (core Events for both Event APIs); the kinds without one
 * accept metadata.name and metadata.namespace (runtime.DefaultMetaV1FieldSelectorConversion).
 */
const FIELD_LABELS: Record<
  string,
  { fields: Record<string, Getter>; unsupported: (label: string) => string }
> = {
  '/Event': { fields: EVENT_FIELDS, unsupported: (l) => `field label not supported: ${l}` },
  'events.k8s.io/Event': {
    fields: {
      ...META,
      reason: EVENT_FIELDS.reason!,
      type: EVENT_FIELDS.type!,
      reportingController: EVENT_FIELDS.reportingComponent!,
      ...Object.fromEntries(
        ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
          `regarding.${f}`,
          at('involvedObject', f),
        ]),
      ),
    },
    unsupported: (l) => `field label not supported: ${l}`,
  },
  '/Namespace': {
    fields: { 'metadata.name': META['metadata.name']!, 'status.phase': at('status', 'phase') },
    unsupported: (l) => `field label not supported: ${l}`,
  },
  '/Secret': { fields: { ...META, type: at('type') }, unsupported: (l) => `field label not supported: ${l}` },
  '/Service': {
    fields: { ...META, 'spec.clusterIP': at('spec', 'clusterIP'), 'spec.type': at('spec', 'type') },
    unsupported: (l) => `field label not supported: ${l}`,
  },
  '/Pod': {
    fields: {
      ...META,
      'spec.nodeName': at('spec', 'nodeName'),
      'spec.host': at('spec', 'nodeName'),
      'spec.restartPolicy': at('spec', 'restartPolicy'),
      'spec.schedulerName': at('spec', 'schedulerName'),
      'spec.serviceAccountName': at('spec', 'serviceAccountName'),
      'spec.hostNetwork': (o) => String(at('spec', 'hostNetwork')(o) ?? false),
      'status.phase': at('status', 'phase'),
      'status.podIP': at('status', 'podIP'),
      'status.nominatedNodeName': at('status', 'nominatedNodeName'),
    },
    unsupported: (l) => `field label not supported: ${l}`,
  },
  'batch/Job': {
    fields: { ...META, 'status.successful': (o) => String(at('status', 'succeeded')(o) ?? 0) },
    unsupported: (l) => `field label ${JSON.stringify(l)} not supported for Job`,
  },
};
const DEFAULT_LABELS = {
  fields: META,
  unsupported: (l: string) =>
    `${JSON.stringify(l)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/** fields.ParseSelector (terms sorted, `!=`, `==`, `=`, values unescaped), then the kind's field label conversion. */
function fieldFilter(text: string, kindKey: string): ObjectFilter {
  const labels = FIELD_LABELS[kindKey] ?? DEFAULT_LABELS;
  const parts = splitTerms(text).sort();
  const reqs = parts
    .filter((p) => p !== '')
    .map((part) => {
      const m = /^(.*?)(!=|==|=)(.*)$/s.exec(part);
      if (!m) fail(`invalid selector: '${text}'; can't understand '${part}'`);
      const value = unescapeValue(m[3]!);
      return { field: m[1]!, negate: m[2] === '!=', value };
    });
  const getters = reqs.map((r) => {
    const getter = Object.hasOwn(labels.fields, r.field) ? labels.fields[r.field] : undefined;
    if (!getter) fail(labels.unsupported(r.field));
    return { ...r, getter };
  });
  return (o) => getters.every((r) => (String(r.getter(o) ?? '') === r.value) !== r.negate);
}

/** One predicate for `labelSelector` + `fieldSelector`; a bad selector throws a 400 ApiError. */
export function objectFilter(
  labelSelector: string | null,
  fieldSelector: string | null,
  kind: { group: string; kind: string },
): ObjectFilter {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields = fieldSelector ? fieldFilter(fieldSelector, `${kind.group}/${kind.kind}`) : () => true;
  return (o) => labelsMatch(labels, o.metadata.labels ?? {}) && fields(o);
}
