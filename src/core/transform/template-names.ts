/**
 * The vocabulary both template spellings share: the data a template can read, the functions it can call
 * with their arities, and the names no template may mention. The Go-template translator and the Handlebars
 * AST check both read these, so a name is allowed (or refused) the same way whichever spelling uses it.
 */

/** Template data fields and what they hold: a string, or a string→string map (one more `.key` allowed). */
export const DATA_FIELDS: Readonly<Record<string, 'string' | 'map'>> = Object.freeze({
  TargetNamespace: 'string',
  SourceNamespace: 'string',
  SourceName: 'string',
  TargetName: 'string',
  Labels: 'map',
  Annotations: 'map',
  TargetLabels: 'map',
  TargetAnnotations: 'map',
});

export const isDataField = (name: string): boolean => Object.hasOwn(DATA_FIELDS, name);

/** SPEC §3 helpers. Argument order is Go's `strings` order, and sprig's for `default` (FALLBACK VALUE). */
export const HELPER_NAMES = [
  'upper',
  'lower',
  'replace',
  'trimPrefix',
  'trimSuffix',
  'hasPrefix',
  'hasSuffix',
  'default',
  'b64enc',
  'b64dec',
] as const;

/** Go text/template built-ins that KubeMirror templates use (SPEC §3); `if` is the block form. */
export const BUILTIN_NAMES = [
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'not',
  'printf',
  'index',
  'len',
] as const;

/** [min, max] arguments of every callable function (max Infinity = variadic), checked at compile time. */
export const ARITY: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  upper: [1, 1],
  lower: [1, 1],
  replace: [3, 3],
  trimPrefix: [2, 2],
  trimSuffix: [2, 2],
  hasPrefix: [2, 2],
  hasSuffix: [2, 2],
  default: [2, 2],
  b64enc: [1, 1],
  b64dec: [1, 1],
  eq: [2, Number.POSITIVE_INFINITY],
  ne: [2, 2],
  lt: [2, 2],
  le: [2, 2],
  gt: [2, 2],
  ge: [2, 2],
  and: [1, Number.POSITIVE_INFINITY],
  or: [1, Number.POSITIVE_INFINITY],
  not: [1, 1],
  printf: [1, Number.POSITIVE_INFINITY],
  index: [1, Number.POSITIVE_INFINITY],
  len: [1, 1],
  if: [1, 1],
});

export const isFunction = (name: string): boolean => Object.hasOwn(ARITY, name) && name !== 'if';

/** Every function a user may name, for error messages. */
export const FUNCTION_LIST = [...HELPER_NAMES, ...BUILTIN_NAMES].join(', ');

/** Names no template may mention: the classic ways out of a template sandbox. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Go's wording for a call with the wrong number of arguments, or undefined when the count is right. */
export function arityProblem(name: string, got: number): string | undefined {
  const a = ARITY[name];
  if (!a) return undefined;
  const [min, max] = a;
  if (got >= min && got <= max) return undefined;
  const want =
    min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min}-${max}`;
  return `wrong number of args for ${name}: want ${want} got ${got}`;
}

/**
 * Problems with a data path (`Labels.team`), or undefined: the field must exist, a string has no fields, a map
 * has one level of keys, and prototype plumbing is never named. `parts` are the names after the root.
 */
export function fieldProblem(parts: readonly string[]): string | undefined {
  for (const p of parts) if (FORBIDDEN_NAMES.has(p)) return `${p} may not be accessed`;
  if (parts.length === 0) return undefined;
  const [root, ...rest] = parts as [string, ...string[]];
  const kind = isDataField(root) ? DATA_FIELDS[root] : undefined;
  if (!kind) return `can't evaluate field ${root} (template data has ${Object.keys(DATA_FIELDS).join(', ')})`;
  const allowed = kind === 'map' ? 1 : 0;
  if (rest.length > allowed)
    return `can't evaluate field ${rest[allowed]} in type string (${[root, ...rest.slice(0, allowed)].join('.')})`;
  return undefined;
}

/** True when the path denotes a map (or the whole data): printing one is an error, not `[object Object]`. */
export function isMapPath(parts: readonly string[]): boolean {
  return parts.length === 0 || (parts.length === 1 && DATA_FIELDS[parts[0]!] === 'map');
}
