import type { CompiledTransform } from './decide.js';
import type { SourceSpec } from './source-spec.js';
import { compileTransform, type TransformLimits, type TransformProgram } from './transform/index.js';

export type TransformCache = Map<
  string,
  { ok: true; program: TransformProgram } | { ok: false; error: string }
>;

export function newTransformCache(): TransformCache {
  return new Map();
}

/**
 * The compiled transform of a source, compiled once per rule text (and limits). An invalid transform is a
 * source-level error: no mirror is written with half-understood rules.
 */
export function transformFor(
  cache: TransformCache,
  spec: SourceSpec,
  limits: TransformLimits,
  prefix: string,
): CompiledTransform {
  const text = spec.transformText;
  if (!text || text.trim() === '') return { ok: true, program: null };
  const cacheKey = `${limits.maxRules}|${limits.maxBytes}|${limits.renderTimeoutMs}|${text}`;
  let hit = cache.get(cacheKey);
  if (!hit) {
    const r = compileTransform(text, { prefix, limits });
    hit = r.ok
      ? { ok: true, program: r.program }
      : { ok: false, error: `invalid transform: ${r.errors.join('; ')}` };
    if (cache.size > 1000) cache.clear();
    cache.set(cacheKey, hit);
  }
  return hit;
}
