import type { KubeObject, ResourceType } from '../core/types.js';

/** What the reconcilers need of one watched resource type: its identity and its label-filtered caches. */
export interface WatchedType {
  /** `Kind.version[.group]` */
  id: string;
  type: ResourceType;
  /** non-null for deny-listed types: sources are watched only to be refused with this reason */
  denied: string | null;
  sources: ObjectCache;
  mirrors: ObjectCache | null;
  /** `ns/name` of sources last seen carrying our finalizer (so a source that leaves the cache is read once) */
  lastSeenWithFinalizer: Set<string>;
}

export interface ObjectCache {
  get(key: string): KubeObject | undefined;
  list(): KubeObject[];
  hasSynced(): boolean;
}
