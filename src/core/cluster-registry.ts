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

export interface ClusterRegistryView {
  clusters: RegisteredCluster[];
  /** Secrets that are labelled but unusable, with why (never quoting their data) */
  rejected: { secret: string; reason: string }[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The clusters registered by the Secrets labelled `P/cluster: "true"` in the controller's namespace: the name
 * from `P/cluster-name` (default: the Secret's name), the kubeconfig under the key `kubeconfig`. A Secret
 * without a usable kubeconfig, with a name that is not a DNS label, or naming `local` or this cluster, is
 * rejected with the reason; two Secrets naming one cluster reject both (which one wins would be a guess).
 */
export function clusterRegistry(
  secrets: readonly KubeObject[],
  keys: MirrorKeys,
  localName: string,
): ClusterRegistryView {
  const rejected: { secret: string; reason: string }[] = [];
  const byName = new Map<string, RegisteredCluster[]>();
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
    const entry = { name, secret: ref, version: s.metadata.resourceVersion ?? '', kubeconfig: raw };
    byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  const clusters: RegisteredCluster[] = [];
  for (const [name, entries] of byName) {
    if (entries.length === 1) clusters.push(entries[0]!);
    else
      for (const e of entries)
        rejected.push({
          secret: e.secret,
          reason: `cluster "${name}" is registered by ${entries.length} Secrets (${entries.map((x) => x.secret).join(', ')})`,
        });
  }
  clusters.sort((a, b) => (a.name < b.name ? -1 : 1));
  rejected.sort((a, b) => (a.secret < b.secret ? -1 : 1));
  return { clusters, rejected };
}
