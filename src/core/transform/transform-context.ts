import { isPrefixedKey } from '../keys.js';
import type { KubeObject, NamespaceInfo } from '../types.js';

/** Everything a template may read about one (source, target) pair. */
export interface TransformContext {
  targetNamespace: string;
  sourceNamespace: string;
  sourceName: string;
  targetName: string;
  /** the source's labels and annotations */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** the target namespace's labels and annotations */
  targetLabels: Record<string, string>;
  targetAnnotations: Record<string, string>;
}

/** kubectl's copy of the whole applied object: for a Secret it holds the data in clear. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Annotations a template may read: never `P/*` (ours) nor last-applied (SPEC §3). */
function readableAnnotations(
  map: Record<string, string> | undefined,
  prefix: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {}))
    if (k !== LAST_APPLIED && !isPrefixedKey(k, prefix)) out[k] = v;
  return out;
}

/** The template data for one (source, target namespace) pair; `prefix` is the controller's annotation prefix. */
export function transformContextFor(
  source: KubeObject,
  targetNamespace: string,
  ns: Pick<NamespaceInfo, 'labels' | 'annotations'> | undefined,
  prefix: string,
): TransformContext {
  return {
    targetNamespace,
    sourceNamespace: source.metadata.namespace ?? '',
    sourceName: source.metadata.name,
    targetName: source.metadata.name,
    labels: source.metadata.labels ?? {},
    annotations: readableAnnotations(source.metadata.annotations, prefix),
    targetLabels: ns?.labels ?? {},
    targetAnnotations: readableAnnotations(ns?.annotations, prefix),
  };
}
