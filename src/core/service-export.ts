import type { MirrorKeys } from './keys.js';
import type { KubeObject } from './types.js';

/**
 * Services in other clusters (SPEC §8), pure: what a Service exported from `sourceCluster` becomes in a remote
 * cluster. A Service with a selector arrives selectorless (no clusterIP, no node ports) plus one EndpointSlice
 * named `<service>-<sourceCluster>` holding the ready endpoints of the source's slices; an ExternalName Service
 * is copied with its name and ports and no endpoints; a selectorless source's hand-made slices are mirrored
 * the same way (their endpoints are the source's). The slice carries `kubernetes.io/service-name` (so the remote
 * cluster's proxies route to it) and `endpointslice.kubernetes.io/managed-by: kubemirror.io` (so the remote
 * EndpointSlice controller leaves it alone), and kubemirror's mirror keys, so ownership works as for any mirror.
 */

/** The value kube-proxy and the EndpointSlice controller read to leave a slice to its owner. */
export const SLICE_MANAGER = 'kubemirror.io';

interface Port {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

interface SlicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

interface Endpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  zone?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The source Service's spec fields that make sense in another cluster; everything cluster-local dropped. */
export function remoteServiceSpec(source: KubeObject): Record<string, unknown> {
  const spec = isRecord(source.spec) ? source.spec : {};
  const ports = (Array.isArray(spec.ports) ? (spec.ports as Port[]) : []).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port,
    protocol: p.protocol ?? 'TCP',
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
  if (spec.type === 'ExternalName')
    return { type: 'ExternalName', externalName: spec.externalName, ...(ports.length > 0 ? { ports } : {}) };
  return {
    type: 'ClusterIP',
    ports,
    ...(spec.clusterIP === 'None' ? { clusterIP: 'None' } : {}),
    ...(spec.sessionAffinity ? { sessionAffinity: spec.sessionAffinity } : {}),
  };
}

/** Endpoints a remote client may be sent to: ready (an absent condition counts as ready, as the API says). */
function readyEndpoints(slice: KubeObject): Endpoint[] {
  const eps = Array.isArray(slice.endpoints) ? (slice.endpoints as Endpoint[]) : [];
  return eps
    .filter((e) => e.conditions?.ready !== false && Array.isArray(e.addresses) && e.addresses.length > 0)
    .map((e) => ({
      addresses: [...(e.addresses ?? [])],
      conditions: { ready: true },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
    }));
}

/**
 * The one EndpointSlice a remote cluster gets for `service` exported from `sourceCluster`: the ready endpoints
 * of every source slice of that Service and address type (slices of other Services are ignored, so endpoints
 * never leak between Services), deduplicated by address, ports from the first slice that has them. Null for an
 * ExternalName Service (it has no endpoints).
 */
export function remoteEndpointSlice(
  service: KubeObject,
  sourceSlices: readonly KubeObject[],
  sourceCluster: string,
  targetNamespace: string,
  keys: MirrorKeys,
  addressType = 'IPv4',
): KubeObject | null {
  const spec = isRecord(service.spec) ? service.spec : {};
  if (spec.type === 'ExternalName') return null;
  const name = service.metadata.name;
  const mine = sourceSlices.filter(
    (s) =>
      s.metadata.namespace === service.metadata.namespace &&
      s.metadata.labels?.['kubernetes.io/service-name'] === name &&
      (s.addressType ?? 'IPv4') === addressType,
  );
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const s of [...mine].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)))
    for (const e of readyEndpoints(s)) {
      const key = (e.addresses ?? []).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      endpoints.push(e);
    }
  endpoints.sort((a, b) => ((a.addresses?.[0] ?? '') < (b.addresses?.[0] ?? '') ? -1 : 1));
  const ports =
    (mine.find((s) => Array.isArray(s.ports) && s.ports.length > 0)?.ports as SlicePort[] | undefined) ?? [];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name}-${sourceCluster}`,
      namespace: targetNamespace,
      labels: {
        'kubernetes.io/service-name': name,
        'endpointslice.kubernetes.io/managed-by': SLICE_MANAGER,
        [keys.mirror]: 'true',
        [keys.managedBy]: 'kubemirror',
        // a label too, so a source cluster's slices can be selected (stale-endpoint cleanup: `kubectl delete -l`)
        [keys.sourceCluster]: sourceCluster,
      },
      annotations: {
        [keys.sourceNamespace]: service.metadata.namespace ?? '',
        [keys.sourceName]: name,
        [keys.sourceUid]: service.metadata.uid ?? '',
        [keys.sourceCluster]: sourceCluster,
      },
    },
    addressType,
    endpoints,
    ports: ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.port !== undefined ? { port: p.port } : {}),
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    })),
  };
}

/**
 * Whether `remote` (a Service in another cluster, e.g. from its mirror cache) is kubemirror's export of the same Service (`namespace/name`)
 * from a different source cluster than `sourceCluster`. Such a Service stays with the cluster that wrote it
 * first (the other reports a conflict), but every source cluster's endpoints still belong beside it, each in
 * its own slice `<service>-<cluster>` (SPEC §8, "two source clusters exporting the same Service name into one
 * remote: two slices, no clobbering"; the per-cluster slices of the Multi-Cluster Services API, KEP-1645). A
 * Service nobody exported (no mirror label, no source cluster) is someone else's: nothing goes beside it.
 */
export function isOtherClusterExport(
  remote: KubeObject,
  namespace: string,
  name: string,
  sourceCluster: string,
  keys: MirrorKeys,
): boolean {
  const a = remote.metadata.annotations ?? {};
  const from = a[keys.sourceCluster];
  return (
    remote.metadata.name === name &&
    remote.metadata.labels?.[keys.mirror] === 'true' &&
    from !== undefined &&
    from !== '' &&
    from !== sourceCluster &&
    a[keys.sourceNamespace] === namespace &&
    a[keys.sourceName] === name &&
    !remote.metadata.deletionTimestamp
  );
}
