import type { Config } from '../config/config.js';
import type { SourceSpec } from '../core/source-spec.js';
import { compileTransform, type TransformProgram } from '../core/transform/index.js';

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
  cfg: Config,
  prefix: string,
): { ok: true; program: TransformProgram | null } | { ok: false; error: string } {
  const text = spec.transformText;
  if (!text || text.trim() === '') return { ok: true, program: null };
  const limits = {
    maxRules: cfg.transformMaxRules,
    maxBytes: cfg.transformMaxBytes,
    renderTimeoutMs: cfg.transformRenderTimeoutMs,
  };
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
