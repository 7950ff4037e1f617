import { isPrefixedKey } from '../keys.js';
import type { KubeObject, NamespaceInfo } from '../types.js';
import type { TransformContext } from './compile-transform.js';

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
