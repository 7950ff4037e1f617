import type { KubeObject, NamespaceInfo } from '../types.js';
import type { TransformContext } from './compile-transform.js';

/** The template data for one (source, target namespace) pair. */
export function transformContextFor(
  source: KubeObject,
  targetNamespace: string,
  ns: Pick<NamespaceInfo, 'labels' | 'annotations'> | undefined,
): TransformContext {
  return {
    targetNamespace,
    sourceNamespace: source.metadata.namespace ?? '',
    sourceName: source.metadata.name,
    targetName: source.metadata.name,
    labels: source.metadata.labels ?? {},
    annotations: source.metadata.annotations ?? {},
    targetLabels: ns?.labels ?? {},
    targetAnnotations: ns?.annotations ?? {},
  };
}
