import type { V1Lease } from '@kubernetes/client-node';
import type { LeaseApi } from '../runtime/leader-election.js';
import type { KubeClient } from './kube-client.js';

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/**
 * The elector's three Lease calls as plain JSON requests through KubeClient, so they are counted like every
 * other request (`kubemirror_api_requests_total{resource="leases"}`) and fail with `ApiError` (its `code` is
 * the HTTP status). Not client-node's CoordinationV1Api: importing that loads the generated client's every
 * model, tens of MB of memory for three requests. MicroTime fields go out as `…000Z` (V1MicroTime's JSON) and
 * come back as strings, which the elector parses.
 */
export function kubeLeaseApi(client: KubeClient): LeaseApi {
  return {
    readNamespacedLease: ({ name, namespace }) =>
      client.request<V1Lease>({
        method: 'GET',
        path: leasePath(namespace, name),
        verb: 'get',
        resource: 'leases',
      }),
    createNamespacedLease: ({ namespace, body }) =>
      client.request<V1Lease>({
        method: 'POST',
        path: leasePath(namespace),
        body,
        verb: 'create',
        resource: 'leases',
      }),
    replaceNamespacedLease: ({ name, namespace, body }) =>
      client.request<V1Lease>({
        method: 'PUT',
        path: leasePath(namespace, name),
        body,
        verb: 'update',
        resource: 'leases',
      }),
  };
}
