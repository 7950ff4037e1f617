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
  return /[*?[\]]/.test(pattern);
}

/**
 * Why `pattern` is not a well-formed namespace glob, or null when it is. minimatch takes an unclosed `[` as a
 * literal, which can never match a namespace name: such a pattern is a typo and is refused, never silently
 * matching nothing. Classes need at least one member (`[ab]`, `[a-z]`, `[!a]`, `[^a]`), ranges run upwards.
 */
export function globProblem(pattern: string): string | null {
  if (pattern === '') return 'empty pattern';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === ']') return `unmatched "]" at position ${i + 1}`;
    if (ch !== '[') {
      if (!/[-a-z0-9*?]/.test(ch)) return `character "${ch}" cannot appear in a namespace name`;
      continue;
    }
    const close = pattern.indexOf(']', i + 1);
    if (close < 0) return `unclosed "[" at position ${i + 1}`;
    let body = pattern.slice(i + 1, close);
    if (body.startsWith('!') || body.startsWith('^')) body = body.slice(1);
    if (body === '') return `empty character class at position ${i + 1}`;
    if (body.includes('[')) return `nested "[" at position ${i + 1}`;
    if (!/^[-a-z0-9]+$/.test(body))
      return `character class at position ${i + 1} holds characters no namespace name has`;
    for (let j = 1; j + 1 < body.length; j++) {
      if (body[j] === '-' && body[j - 1]! > body[j + 1]!)
        return `range "${body[j - 1]}-${body[j + 1]}" runs backwards at position ${i + 1}`;
    }
    i = close;
  }
  return null;
}

/** True when `name` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => globMatch(p, name));
}
