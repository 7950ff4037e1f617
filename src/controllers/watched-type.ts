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
  /**
   * `ns/name` → the uid of the source last seen there and whether it carried our finalizer: when a source
   * leaves the cache, its mirrors are those naming that uid (anything else naming it needs proof).
   */
  lastSeen: Map<string, { uid: string; finalizer: boolean }>;
}

export interface ObjectCache {
  get(key: string): KubeObject | undefined;
  list(): KubeObject[];
  hasSynced(): boolean;
}

/** One resource type as the type source reports it: `denied` types are watched for sources only, to refuse them. */
export interface TypeEntry {
  id: string;
  type: ResourceType;
  denied: string | null;
}
