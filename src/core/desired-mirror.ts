import { makeValidInPlace } from './desired-validity.js';
import { mirrorContentHash } from './hash.js';
import { isPrefixedKey, MANAGED_BY_VALUE, type MirrorKeys } from './keys.js';
import { dropForeignOwnedInPlace } from './live-drift.js';
import { copyableKeys, normalizeInPlace, sanitizeInPlace } from './sanitize.js';
import { remoteServiceSpec } from './service-export.js';
import type { KubeObject } from './types.js';

export interface DesiredMirrorOptions {
  keys: MirrorKeys;
  /** globs over label/annotation keys never copied (besides `P/*`), e.g. DEFAULT_STRIP_KEYS */
  stripKeys: readonly string[];
  /** applied after copy + sanitise, before the mirror metadata, on an object the caller may mutate */
  transform?: (obj: KubeObject) => KubeObject;
  now?: () => Date;
}

export interface DesiredMirror {
  mirror: KubeObject;
  /** equals mirrorContentHash(mirror, keys) and the mirror's `P/source-content-hash` */
  hash: string;
}

/** The transform's labels/annotations minus `P/*`; values are checked (not dropped) by makeValidInPlace. */
function withoutPrefixed(map: unknown, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof map !== 'object' || map === null) return out;
  for (const [k, v] of Object.entries(map)) if (!isPrefixedKey(k, prefix)) out[k] = v as string;
  return out;
}

/**
 * The mirror of `source` in `targetNamespace`: copy (body, non-`P/*`, non-stripped labels and annotations)
 * → per-kind sanitise → transform → mirror metadata. Never carries server-set metadata, status,
 * ownerReferences or finalizers; a Secret always uses `data`, never `stringData`. The source is not mutated.
 * A throwing transform (strict mode) propagates, and so does `InvalidMirrorError` when the transform's output
 * is not what the kind accepts (a map in ConfigMap `data`, an invalid label value): valid before written.
 */
export function buildDesiredMirror(
  source: KubeObject,
  targetNamespace: string,
  opts: DesiredMirrorOptions,
): DesiredMirror {
  const { keys } = opts;
  const { apiVersion, kind, metadata, status: _status, ...body } = source;
  let obj: KubeObject = {
    apiVersion,
    kind,
    metadata: {
      name: metadata.name,
      namespace: targetNamespace,
      labels: copyableKeys(metadata.labels, keys.prefix, opts.stripKeys),
      annotations: copyableKeys(metadata.annotations, keys.prefix, opts.stripKeys),
    },
    ...structuredClone(body),
  };
  sanitizeInPlace(obj);
  normalizeInPlace(obj);
  dropForeignOwnedInPlace(obj);

  if (opts.transform) {
    const out = opts.transform(obj);
    const { metadata: m, status: _s, ...rest } = out;
    // Identity, kind and the P/* keys are the controller's, whatever the transform returned.
    const { apiVersion: _a, kind: _k, ...outBody } = rest;
    obj = {
      apiVersion,
      kind,
      metadata: {
        name: metadata.name,
        namespace: targetNamespace,
        labels: withoutPrefixed(m?.labels, keys.prefix),
        annotations: withoutPrefixed(m?.annotations, keys.prefix),
      },
      ...outBody,
    };
    makeValidInPlace(obj);
    normalizeInPlace(obj);
  }

  const labels = obj.metadata.labels!;
  labels[keys.mirror] = 'true';
  labels[keys.managedBy] = MANAGED_BY_VALUE;
  const annotations = obj.metadata.annotations!;
  annotations[keys.sourceNamespace] = metadata.namespace ?? '';
  annotations[keys.sourceName] = metadata.name;
  annotations[keys.sourceUid] = metadata.uid ?? '';
  // made for a MirrorPolicy (SPEC §11): the policy is part of who governs it
  if (keys.viaPolicy !== undefined) annotations[keys.policy] = keys.viaPolicy;
  if (keys.origin !== undefined) {
    // into another cluster (SPEC §8): the source's cluster is part of its identity there
    annotations[keys.sourceCluster] = keys.origin;
    labels[keys.sourceCluster] = keys.origin; // selectable: the remote mirror watch, and cleanup by hand
    if (kind === 'Service' && apiVersion === 'v1') obj.spec = remoteServiceSpec(obj);
  }

  const hash = mirrorContentHash(obj, keys);
  annotations[keys.contentHash] = hash;
  annotations[keys.lastSyncTime] = (opts.now ?? (() => new Date()))().toISOString();
  return { mirror: obj, hash };
}
