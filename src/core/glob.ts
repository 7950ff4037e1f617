import { minimatch } from 'minimatch';

/**
 * Whole-name glob match used for namespace targeting, `namespacePattern` in transforms and source-namespace
 * policy: `*`, `?`, `[ab]`, `[a-z]`. A pattern without glob characters is an exact name.
 */
export function globMatch(pattern: string, name: string): boolean {
  if (!isGlob(pattern)) return pattern === name;
  return minimatch(name, pattern, {
    dot: true,
    nobrace: true,
    noext: true,
    noglobstar: true,
    nonegate: true,
  });
}

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** True when `name` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => globMatch(p, name));
}
