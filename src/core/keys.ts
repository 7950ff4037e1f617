/** Every label, annotation and finalizer name the controller reads or writes, derived from one prefix. */
export interface MirrorKeys {
  prefix: string;
  /** label on sources: makes them visible to the source watch */
  enabled: string;
  /** annotation on sources: turns mirroring on */
  sync: string;
  targetNamespaces: string;
  targetNamespaceSelector: string;
  transform: string;
  transformStrict: string;
  /** annotation on sources, written by the controller */
  syncStatus: string;
  /** label on mirrors */
  mirror: string;
  /** label on mirrors, value `kubemirror` */
  managedBy: string;
  sourceNamespace: string;
  sourceName: string;
  sourceUid: string;
  contentHash: string;
  lastSyncTime: string;
  /** namespace label: "true" opts in for all-labeled, "false" opts out of all and globs */
  allowMirrors: string;
  /** namespace annotation: globs of source namespaces allowed to push here */
  allowMirrorsFrom: string;
  finalizer: string;
  /** annotation on sources (SPEC §8): comma-separated cluster names or globs; `local` = this cluster */
  targetClusters: string;
  /** annotation on mirrors in other clusters: the name of the cluster the source lives in */
  sourceCluster: string;
  /** label on the Secrets that register other clusters (SPEC §8) */
  cluster: string;
  /** annotation on a registration Secret: the cluster's name (default: the Secret's name) */
  clusterName: string;
  /**
   * The `P/source-cluster` every mirror handled with these keys carries: absent (undefined) for mirrors in the
   * source's own cluster, this cluster's name for mirrors it writes into other clusters (`withOrigin`). A mirror
   * whose value differs is another cluster's: never owned, adopted or deleted here.
   */
  origin?: string;
  /** annotation on mirrors made for a MirrorPolicy (SPEC §11): the name of the policy that governs them */
  policy: string;
  /**
   * The `P/policy` every mirror handled with these keys carries: absent (undefined) for the mirrors of an
   * annotated source, the policy's name for the mirrors a MirrorPolicy governs (`withPolicy`). A mirror whose value
   * differs was written under another governor of its source: never deleted here (its own governor cleans it up),
   * only taken over by the object's current governor (core/ownership.ts `classifyExisting`).
   */
  viaPolicy?: string;
}

export const DEFAULT_PREFIX = 'kubemirror.io';
export const MANAGED_BY_VALUE = 'kubemirror';

export function mirrorKeys(prefix: string = DEFAULT_PREFIX): MirrorKeys {
  const k = (name: string) => `${prefix}/${name}`;
  return {
    prefix,
    enabled: k('enabled'),
    sync: k('sync'),
    targetNamespaces: k('target-namespaces'),
    targetNamespaceSelector: k('target-namespace-selector'),
    transform: k('transform'),
    transformStrict: k('transform-strict'),
    syncStatus: k('sync-status'),
    mirror: k('mirror'),
    managedBy: k('managed-by'),
    sourceNamespace: k('source-namespace'),
    sourceName: k('source-name'),
    sourceUid: k('source-uid'),
    contentHash: k('source-content-hash'),
    lastSyncTime: k('last-sync-time'),
    allowMirrors: k('allow-mirrors'),
    allowMirrorsFrom: k('allow-mirrors-from'),
    finalizer: k('finalizer'),
    targetClusters: k('target-clusters'),
    sourceCluster: k('source-cluster'),
    cluster: k('cluster'),
    clusterName: k('cluster-name'),
    policy: k('policy'),
  };
}

/** The keys for mirrors this cluster (`clusterName`) writes into another cluster: they carry `P/source-cluster`. */
export function withOrigin(keys: MirrorKeys, clusterName: string): MirrorKeys {
  return { ...keys, origin: clusterName };
}

/** The keys for the mirrors a MirrorPolicy named `policy` governs (in the policy's namespace): they carry `P/policy`. */
export function withPolicy(keys: MirrorKeys, policy: string): MirrorKeys {
  return { ...keys, viaPolicy: policy };
}

/** True for any key under the prefix (`P/*`), which is never copied to mirrors nor writable by transforms. */
export function isPrefixedKey(key: string, prefix: string): boolean {
  return key.startsWith(`${prefix}/`);
}
