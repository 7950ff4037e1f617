import { isDocument, parseDocument } from 'yaml';
import { globProblem, isGlob } from '../glob.js';
import { type CompiledTemplate, compileTemplate, isTemplate } from './template-engine.js';
import type { TransformLimits } from './transform-limits.js';
import {
  forbiddenReason,
  isMetadataMapPath,
  isPlainMap,
  type PathSegment,
  parsePath,
} from './transform-path.js';

/** A value to write, with every templated string already compiled. */
export type ValueNode =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'template'; readonly template: CompiledTemplate }
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [string, ValueNode]> };

export type RuleAction =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'template'; readonly template: CompiledTemplate }
  | { readonly kind: 'merge'; readonly merge: ValueNode & { kind: 'map' } }
  | { readonly kind: 'delete' };

export interface TransformRule {
  readonly index: number;
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly namespacePattern?: string;
  readonly action: RuleAction;
}

const ACTIONS = ['value', 'template', 'merge', 'delete'] as const;
const RULE_KEYS = new Set<string>(['path', 'namespacePattern', ...ACTIONS]);
const MAX_DEPTH = 32;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const c of Object.values(v)) deepFreeze(c);
    Object.freeze(v);
  }
  return v;
}

/** Problems with a written value that no template can fix: poison keys, too deep. */
function checkLiteral(v: unknown, where: string, problems: string[], depth = 0): void {
  if (depth > MAX_DEPTH) {
    problems.push(`${where} is nested deeper than ${MAX_DEPTH} levels`);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  for (const [k, c] of Object.entries(v)) {
    if (k === '__proto__') problems.push(`${where} uses the key __proto__, which is not allowed`);
    checkLiteral(c, where, problems, depth + 1);
  }
}

function compileMerge(
  m: Record<string, unknown>,
  where: string,
  problems: string[],
  depth = 0,
): ValueNode & { kind: 'map' } {
  const entries: Array<readonly [string, ValueNode]> = [];
  for (const [k, v] of Object.entries(m)) {
    if (k === '__proto__') {
      problems.push(`${where} uses the key __proto__, which is not allowed`);
      continue;
    }
    if (typeof v === 'string' && isTemplate(v)) {
      const t = compileTemplate(v);
      if ('error' in t) problems.push(`${where}.${k}: ${t.error}`);
      else entries.push([k, { kind: 'template', template: t.template }]);
    } else if (isPlainMap(v) && depth < MAX_DEPTH) {
      entries.push([k, compileMerge(v, `${where}.${k}`, problems, depth + 1)]);
    } else {
      checkLiteral(v, `${where}.${k}`, problems, depth + 1);
      entries.push([k, { kind: 'literal', value: deepFreeze(v) }]);
    }
  }
  return { kind: 'map', entries };
}

/** Labels and annotations are string maps: reject a literal that the API server would refuse anyway. */
function checkStringMap(
  segments: readonly PathSegment[],
  v: unknown,
  where: string,
  problems: string[],
): void {
  const whole = isMetadataMapPath(segments);
  const single = segments.length === 3 && isMetadataMapPath(segments.slice(0, 2));
  if (single && typeof v !== 'string')
    problems.push(`${where} must be a string (labels and annotations are strings)`);
  if (whole && (!isPlainMap(v) || Object.values(v).some((x) => typeof x !== 'string'))) {
    problems.push(`${where} must be a map of strings (labels and annotations are strings)`);
  }
}

/**
 * Parses and validates `P/transform` text. Every problem is collected, each naming `rules[N]`, so a user
 * fixes them all in one edit. Templates are compiled here, once.
 */
export function parseTransformRules(
  yamlText: string,
  prefix: string,
  limits: TransformLimits,
): { rules: TransformRule[] } | { errors: string[] } {
  const size = Buffer.byteLength(yamlText, 'utf8');
  if (size > limits.maxBytes)
    return { errors: [`transform is ${size} bytes, over the ${limits.maxBytes}-byte limit`] };
  const doc = parseDocument(yamlText, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0)
    return { errors: doc.errors.map((e) => `invalid YAML: ${e.message.split('\n')[0]}`) };
  let root: unknown;
  try {
    root = isDocument(doc) ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  } catch (err) {
    return { errors: [`invalid YAML: ${(err as Error).message}`] };
  }
  if (!isPlainMap(root)) return { errors: ['transform must be a YAML map with a rules: list'] };
  const errors: string[] = [];
  for (const k of Object.keys(root))
    if (k !== 'rules') errors.push(`unknown top-level key ${JSON.stringify(k)} (only rules: is allowed)`);
  const list = root.rules;
  if (!Array.isArray(list)) return { errors: [...errors, 'rules: must be a list'] };
  if (list.length > limits.maxRules)
    errors.push(`${list.length} rules, over the limit of ${limits.maxRules}`);

  const rules: TransformRule[] = [];
  list.forEach((raw, index) => {
    const problems: string[] = [];
    const rule = parseRule(raw, index, prefix, problems);
    for (const p of problems) errors.push(`rules[${index}]: ${p}`);
    if (rule && problems.length === 0) rules.push(rule);
  });
  return errors.length > 0 ? { errors } : { rules };
}

function parseRule(
  raw: unknown,
  index: number,
  prefix: string,
  problems: string[],
): TransformRule | undefined {
  if (!isPlainMap(raw)) {
    problems.push('must be a map with path and one of value, template, merge, delete');
    return undefined;
  }
  for (const k of Object.keys(raw)) {
    if (!RULE_KEYS.has(k))
      problems.push(`unknown key ${JSON.stringify(k)} (allowed: ${[...RULE_KEYS].join(', ')})`);
  }
  let segments: PathSegment[] = [];
  const path = raw.path;
  if (typeof path !== 'string') problems.push('path is required and must be a string');
  else {
    const parsed = parsePath(path);
    if ('error' in parsed) problems.push(parsed.error);
    else segments = parsed.segments;
  }
  // an empty pattern means every target, as absent does (KubeMirror's matchesNamespacePattern)
  const pattern =
    typeof raw.namespacePattern === 'string' && raw.namespacePattern.trim() === ''
      ? undefined
      : raw.namespacePattern;
  if (pattern !== undefined && typeof pattern !== 'string') {
    problems.push(
      'namespacePattern must be a string (a namespace name or glob; "" or absent = every target)',
    );
  } else if (typeof pattern === 'string' && isGlob(pattern.trim())) {
    const problem = globProblem(pattern.trim());
    if (problem) problems.push(`namespacePattern "${pattern.trim()}": ${problem}`);
  }
  const present = ACTIONS.filter((a) => Object.hasOwn(raw, a));
  if (present.length !== 1) {
    problems.push(
      present.length === 0
        ? 'needs exactly one of value, template, merge, delete; found none'
        : `needs exactly one of value, template, merge, delete; found ${present.join(', ')}`,
    );
    return undefined;
  }
  const kind = present[0]!;
  if (segments.length > 0) {
    const written = kind === 'value' ? raw.value : kind === 'merge' ? raw.merge : undefined;
    const forbidden = forbiddenReason(segments, prefix, written);
    if (forbidden) problems.push(`path ${path as string} is forbidden: ${forbidden}`);
  }
  const action = buildAction(kind, raw, segments, problems);
  if (!action || segments.length === 0) return undefined;
  return {
    index,
    path: path as string,
    segments,
    ...(typeof pattern === 'string' ? { namespacePattern: pattern.trim() } : {}),
    action,
  };
}

function buildAction(
  kind: (typeof ACTIONS)[number],
  raw: Record<string, unknown>,
  segments: readonly PathSegment[],
  problems: string[],
): RuleAction | undefined {
  switch (kind) {
    case 'value': {
      checkLiteral(raw.value, 'value', problems);
      if (segments.length > 0) checkStringMap(segments, raw.value, 'value', problems);
      return { kind: 'value', value: deepFreeze(raw.value) };
    }
    case 'template': {
      if (typeof raw.template !== 'string') {
        problems.push('template must be a string');
        return undefined;
      }
      const t = compileTemplate(raw.template);
      if ('error' in t) {
        problems.push(t.error);
        return undefined;
      }
      return { kind: 'template', template: t.template };
    }
    case 'merge': {
      if (!isPlainMap(raw.merge)) {
        problems.push('merge must be a map');
        return undefined;
      }
      if (isMetadataMapPath(segments)) {
        const bad = Object.entries(raw.merge).filter(([, v]) => typeof v !== 'string');
        if (bad.length > 0) problems.push('merge into labels or annotations must hold strings only');
      }
      return { kind: 'merge', merge: compileMerge(raw.merge, 'merge', problems) };
    }
    case 'delete':
      if (raw.delete !== true) {
        problems.push('delete must be true');
        return undefined;
      }
      return { kind: 'delete' };
  }
}
