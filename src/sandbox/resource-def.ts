/** One served resource (all its served versions share one storage). */
export interface ResourceDef {
  group: string;
  /** served versions, preferred (storage) first */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** metadata.generation is maintained (bumped on non-metadata changes) */
  tracksGeneration: boolean;
  /** name of the CustomResourceDefinition that serves it; undefined for built-ins */
  crdName?: string;
  /** built-in kinds accept strategic-merge patches; custom resources do not (415 like the real server) */
  strategicMerge: boolean;
  /** Namespace and Service names are DNS-1123 labels; most others DNS-1123 subdomains */
  nameRule: 'subdomain' | 'label';
  /**
   * served with a /status subresource: main-resource writes keep the stored status, /status writes change only
   * status (each registry's strategy and status strategy PrepareForUpdate)
   */
  statusSubresource: boolean;
  /** served with /scale (an autoscaling/v1 Scale of `spec.replicas`: scale-subresource.ts) */
  scaleSubresource?: boolean;
  /**
   * the storage of another resource this one is a view of (events.k8s.io/v1 events are core/v1 events in etcd,
   * converted on the way in and out: shared-storage.ts); its own `group/plural` when absent
   */
  storedAs?: string;
}
