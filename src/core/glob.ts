import { Minimatch } from 'minimatch';

const OPTIONS = { dot: true, nobrace: true, noext: true, noglobstar: true, nonegate: true } as const;
/** Compiled patterns; patterns come from annotations and flags, so the cache is bounded. */
const compiled = new Map<string, Minimatch>();

/**
 * Whole-name glob match used for namespace targeting, `namespacePattern` in transforms and source-namespace
 * policy: `*`, `?`, `[ab]`, `[a-z]`. A pattern without glob characters is an exact name.
 */
export function globMatch(pattern: string, name: string): boolean {
  if (!isGlob(pattern)) return pattern === name;
  let m = compiled.get(pattern);
  if (!m) {
    if (compiled.size >= 10_000) compiled.clear();
    m = new Minimatch(pattern, OPTIONS);
    compiled.set(pattern, m);
  }
  return m.match(name);
}

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** True when `name` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => globMatch(p, name));
}
