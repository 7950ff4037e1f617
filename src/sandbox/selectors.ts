import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';

/**
 * Label and field selectors for list/watch. The label grammar is the Kubernetes one
 * (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma = AND).
 * Private to the sandbox so that it does not depend on the controller's parser.
 */
type Requirement =
  | { op: 'in'; key: string; values: string[] }
  | { op: 'notin'; key: string; values: string[] }
  | { op: 'exists'; key: string }
  | { op: '!exists'; key: string };

export type ObjectFilter = (o: KubeObject) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function bad(text: string, why: string): never {
  throw apiErrors.badRequest(`unable to parse requirement: ${why} (selector "${text}")`);
}

function checkKey(sel: string, key: string): string {
  if (!KEY.test(key) || key.length > 316) bad(sel, `invalid label key "${key}"`);
  return key;
}

function checkValue(sel: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63) bad(sel, `invalid label value: "${value}"`);
  return value;
}

export function parseLabelSelector(text: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(text, v.trim()));
      reqs.push({ op: set[2] as 'in' | 'notin', key: checkKey(text, set[1]!), values });
      continue;
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (eq) {
      const key = checkKey(text, eq[1]!);
      const value = checkValue(text, eq[3]!);
      reqs.push(eq[2] === '!=' ? { op: 'notin', key, values: [value] } : { op: 'in', key, values: [value] });
      continue;
    }
    if (part.startsWith('!')) {
      reqs.push({ op: '!exists', key: checkKey(text, part.slice(1).trim()) });
      continue;
    }
    if (/[\s()=!]/.test(part)) bad(text, `found '${part}', expected: identifier`);
    reqs.push({ op: 'exists', key: checkKey(text, part) });
  }
  return reqs;
}

function labelsMatch(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
      case 'exists':
        return has;
      default:
        return !has;
    }
  });
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
