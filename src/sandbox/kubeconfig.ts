import { stringify } from 'yaml';

/** One API server in a kubeconfig: its cluster, user and context all carry `name`. */
export interface KubeconfigEntry {
  name: string;
  url: string;
  token?: string;
}

/**
 * A kubeconfig for the sandbox: plain http with `insecure-skip-tls-verify: true` (client-node refuses
 * http without it; kubectl does not care) and, when auth is on, the bearer token.
 */
export function sandboxKubeconfig(url: string, opts: { context?: string; token?: string } = {}): string {
  return multiClusterKubeconfig([
    { name: opts.context ?? 'kubemirror-sandbox', url, ...(opts.token ? { token: opts.token } : {}) },
  ]);
}

/**
 * One kubeconfig with a cluster, a user and a context per entry (each named after the entry), the first
 * entry's context current. Field names as client-go's clientcmd/api/v1/types.go (Config, NamedCluster,
 * NamedAuthInfo, NamedContext) serialises them.
 */
export function multiClusterKubeconfig(entries: readonly KubeconfigEntry[]): string {
  if (entries.length === 0) throw new Error('a kubeconfig needs at least one cluster');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map((e) => ({
      name: e.name,
      cluster: { server: e.url, 'insecure-skip-tls-verify': true },
    })),
    users: entries.map((e) => ({ name: e.name, user: e.token ? { token: e.token } : {} })),
    contexts: entries.map((e) => ({
      name: e.name,
      context: { cluster: e.name, user: e.name, namespace: 'default' },
    })),
    'current-context': entries[0]!.name,
    preferences: {},
  });
}
