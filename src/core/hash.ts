import { createHash } from 'node:crypto';
import type { MirrorKeys } from './keys.js';
import { controlledContent } from './live-drift.js';
import type { KubeObject } from './types.js';

/**
 * JSON with object keys sorted recursively. Object properties that are undefined, null, `{}` or `[]` are
 * left out, as Go's `omitempty` drops them on a round trip through the API server (array elements are kept:
 * their position matters).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const c = canonical((value as Record<string, unknown>)[k]);
      if (!isEmpty(c)) out[k] = c;
    }
    return out;
  }
  return value;
}

/**
 * SHA-256 (hex) of everything the controller controls in a mirror: apiVersion, kind, labels, annotations
 * (minus the volatile `P/source-content-hash` and `P/last-sync-time`) and the body (minus `status`), after
 * the same per-kind sanitising and normalising the desired mirror gets. Server-set metadata (uid,
 * resourceVersion, managedFields, …) and the name/namespace are ignored, so a desired mirror and the same
 * mirror read back from the API server hash alike; a live mirror whose hash differs from its own
 * `P/source-content-hash` annotation was edited by someone else.
 */
export function mirrorContentHash(obj: KubeObject, keys: MirrorKeys): string {
  return contentDigest(controlledContent(obj, keys));
}

/** SHA-256 (hex) of the canonical JSON of `value`: the one digest every content hash here is made of. */
export function contentDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
