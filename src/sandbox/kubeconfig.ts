import { stringify } from 'yaml';

/**
 * A kubeconfig for the sandbox: plain http with `insecure-skip-tls-verify: true` (client-node refuses
 * http without it; kubectl does not care) and, when auth is on, the bearer token.
 */
export function sandboxKubeconfig(url: string, opts: { context?: string; token?: string } = {}): string {
  const name = opts.context ?? 'kubemirror-sandbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: opts.token ? { token: opts.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
