import type { MirrorKeys } from './keys.js';
import type { KubeObject } from './types.js';

/** One registered remote cluster (SPEC §8), from its Secret. The kubeconfig text never leaves this value. */
export interface RegisteredCluster {
  name: string;
  /** `namespace/name` of the Secret it came from */
  secret: string;
  /** the Secret's resourceVersion: a change means rotated credentials */
  version: string;
  kubeconfig: string;
}

/** A registration Secret that is not used, and why (never quoting its data). */
export interface RejectedRegistration {
  secret: string;
  /** the cluster it names, when that cluster is registered by another Secret */
  cluster?: string;
  reason: string;
}

export interface ClusterRegistryView {
  clusters: RegisteredCluster[];
  /** Secrets that are labelled but unusable, with why (never quoting their data) */
  rejected: RejectedRegistration[];
}

export interface ClusterRegistryOptions {
  /** cluster name → `namespace/name` of the Secret it is registered by now (the controller, at run time) */
  inUse?: ReadonlyMap<string, string>;
  /** why a kubeconfig cannot be used (it does not parse, no current context), or null; never quoting it */
  usable?: (kubeconfig: string) => string | null;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** ms since the epoch of a creationTimestamp; a Secret without one sorts last */
const createdAt = (s: KubeObject): number => {
  const t = Date.parse(s.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
};

/**
 * The clusters registered by the Secrets labelled `P/cluster: "true"` in the controller's namespace: the name
 * from `P/cluster-name` (default: the Secret's name), the kubeconfig under the key `kubeconfig`. A Secret
 * without a usable kubeconfig, with a name that is not a DNS label, or naming `local` or this cluster, is
 * rejected with the reason.
 *
 * Two usable Secrets naming one cluster: the one in use (`inUse`) keeps it, else the one created first (then
 * the first `namespace/name`), so a restart, `kubemirror status` and the running controller agree; the other is
 * rejected naming the one in use. Taking a cluster over is explicit: delete the Secret in use.
 */
export function clusterRegistry(
  secrets: readonly KubeObject[],
  keys: MirrorKeys,
  localName: string,
  opts: ClusterRegistryOptions = {},
): ClusterRegistryView {
  const rejected: RejectedRegistration[] = [];
  const byName = new Map<string, { entry: RegisteredCluster; created: number }[]>();
  for (const s of secrets) {
    if (s.metadata.labels?.[keys.cluster] !== 'true') continue;
    const ref = `${s.metadata.namespace ?? ''}/${s.metadata.name}`;
    const name = s.metadata.annotations?.[keys.clusterName] || s.metadata.name;
    const data = (s.data ?? {}) as Record<string, unknown>;
    const raw =
      typeof data.kubeconfig === 'string' ? Buffer.from(data.kubeconfig, 'base64').toString('utf8') : '';
    if (!DNS_LABEL.test(name) || name.length > 63) {
      rejected.push({ secret: ref, reason: `cluster name "${name}" is not a DNS label` });
      continue;
    }
    if (name === 'local' || name === localName) {
      rejected.push({ secret: ref, reason: `cluster name "${name}" is reserved for this cluster` });
      continue;
    }
    if (!/\bclusters\s*:/.test(raw) || !/\bserver\s*:/.test(raw)) {
      rejected.push({ secret: ref, reason: 'key "kubeconfig" is missing or holds no cluster with a server' });
      continue;
    }
    const unusable = opts.usable?.(raw) ?? null;
    if (unusable !== null) {
      rejected.push({ secret: ref, reason: unusable });
      continue;
    }
    const entry = { name, secret: ref, version: s.metadata.resourceVersion ?? '', kubeconfig: raw };
    byName.set(name, [...(byName.get(name) ?? []), { entry, created: createdAt(s) }]);
  }
  const clusters: RegisteredCluster[] = [];
  for (const [name, candidates] of byName) {
    const inUse = opts.inUse?.get(name);
    const [winner, ...others] = [...candidates].sort(
      (a, b) =>
        Number(b.entry.secret === inUse) - Number(a.entry.secret === inUse) ||
        a.created - b.created ||
        (a.entry.secret < b.entry.secret ? -1 : a.entry.secret > b.entry.secret ? 1 : 0),
    );
    clusters.push(winner!.entry);
    for (const o of others)
      rejected.push({
        secret: o.entry.secret,
        cluster: name,
        reason: `cluster "${name}" is already registered by Secret ${winner!.entry.secret}; delete that Secret to register it with this one`,
      });
  }
  clusters.sort((a, b) => (a.name < b.name ? -1 : 1));
  rejected.sort((a, b) => (a.secret < b.secret ? -1 : 1));
  return { clusters, rejected };
}
