import type { Logger } from 'pino';
import { ENDPOINT_SLICES, LEASES } from '../core/builtin-types.js';
import type { MirrorKeys } from '../core/keys.js';
import { SLICE_MANAGER } from '../core/service-export.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { collectionPath, listAll } from '../kube/list-watch.js';
import type { Writer } from '../kube/writer.js';
import type { Clock } from '../runtime/clock.js';
import type { RemoteCluster } from './remote-clusters.js';

/**
 * Stale endpoints (SPEC §8, as the Multi-Cluster Services KEP suggests): a source cluster that stops for good
 * leaves its EndpointSlices in other clusters, pointing at pods that may be gone. So the leader here renews a
 * Lease `kubemirror-<this cluster>` in each remote cluster's `kubemirror-remote` namespace (deploy/remote), and
 * any kubemirror with cross-cluster on empties the slices in its own cluster whose source cluster's Lease
 * expired: traffic stops going to endpoints nobody vouches for, the slices stay (marked `P/stale-since`) so the
 * Service keeps resolving, and a source cluster that comes back rewrites them on its next export.
 */

export const LEASE_NAMESPACE = 'kubemirror-remote';
/** How long a source cluster's slices are trusted without a renewal. */
export const EXPORT_LEASE_SECONDS = 60;
/** How often the Leases are renewed and the stale ones looked for. */
const PERIOD_MS = 15_000;

export const exportLeaseName = (cluster: string) => `kubemirror-${cluster}`;

/** metav1.MicroTime's wire form (RFC3339 with exactly six fractional digits), as the API server parses it. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
}

/** When a Lease expires (epoch ms), or null when it says nothing usable. */
export function leaseExpiry(lease: KubeObject): number | null {
  const spec = (lease.spec ?? {}) as LeaseSpec;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
  if (!Number.isFinite(renewed) || !spec.leaseDurationSeconds) return null;
  return renewed + spec.leaseDurationSeconds * 1000;
}

/** `kubemirror-<cluster>` → cluster, for the Leases of source clusters. */
export function clusterOfLease(name: string): string | null {
  return name.startsWith('kubemirror-') && name.length > 'kubemirror-'.length ? name.slice(11) : null;
}

/**
 * The slices in this cluster to empty now: kubemirror's imports (managed-by kubemirror.io, a source cluster
 * label) whose source cluster's Lease expired, that still hold endpoints. Pure: the caller lists and writes.
 */
export function staleSlices(
  slices: readonly KubeObject[],
  leases: readonly KubeObject[],
  keys: MirrorKeys,
  now: number,
): KubeObject[] {
  const expired = new Set<string>();
  for (const l of leases) {
    const cluster = clusterOfLease(l.metadata.name);
    const until = leaseExpiry(l);
    if (cluster && until !== null && until < now) expired.add(cluster);
  }
  return slices.filter((s) => {
    const labels = s.metadata.labels ?? {};
    const from = labels[keys.sourceCluster];
    return (
      labels['endpointslice.kubernetes.io/managed-by'] === SLICE_MANAGER &&
      from !== undefined &&
      expired.has(from) &&
      Array.isArray(s.endpoints) &&
      s.endpoints.length > 0
    );
  });
}

export interface StaleEndpointsDeps {
  /** this cluster */
  client: KubeClient;
  writer: Writer;
  keys: MirrorKeys;
  clusterName: () => string;
  identity: string;
  remotes: () => readonly RemoteCluster[];
  clock: Clock;
  log: Logger;
}

/** Renews this cluster's export Lease in every remote cluster, and empties stale imports here. Leader only. */
export class StaleEndpoints {
  private timer: unknown = null;
  /** remote clusters without the `kubemirror-remote` namespace, told once */
  private readonly noNamespace = new Set<string>();

  constructor(private readonly d: StaleEndpointsDeps) {}

  start(signal: AbortSignal): void {
    const tick = async () => {
      if (signal.aborted) return;
      await this.round().catch((err) =>
        this.d.log.debug({ err: String(err) }, 'stale-endpoint round failed'),
      );
      if (!signal.aborted) this.timer = this.d.clock.setTimeout(() => void tick(), PERIOD_MS);
    };
    void tick();
  }

  stop(): void {
    if (this.timer) this.d.clock.clearTimeout(this.timer);
  }

  /** One round: renew everywhere (in parallel: a slow cluster delays no other), then sweep here. */
  async round(): Promise<void> {
    await Promise.all(this.d.remotes().map((c) => this.renew(c)));
    await this.sweep();
  }

  /** A cluster came up: its Lease is renewed now, not at the next round. */
  clusterUp(c: RemoteCluster): void {
    this.renew(c).catch((err) =>
      this.d.log.debug({ cluster: c.name, err: String(err) }, 'export Lease not renewed'),
    );
  }

  private async renew(c: RemoteCluster): Promise<void> {
    if (!c.isUp()) return;
    const name = exportLeaseName(this.d.clusterName());
    const spec = {
      holderIdentity: this.d.identity,
      leaseDurationSeconds: EXPORT_LEASE_SECONDS,
      renewTime: microTime(this.d.clock.now()),
    };
    try {
      const live = await c.client.request<KubeObject>({
        method: 'GET',
        path: `${collectionPath(LEASES, LEASE_NAMESPACE)}/${name}`,
        verb: 'get',
        resource: 'leases',
      });
      await c.writer.replace(LEASES, { ...live, spec: { ...(live.spec ?? {}), ...spec } });
    } catch (err) {
      const e = classifyApiError(err);
      if (e.reason !== 'NotFound') throw err;
      try {
        await c.writer.create(LEASES, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: LEASE_NAMESPACE, labels: { [this.d.keys.managedBy]: 'kubemirror' } },
          spec: { ...spec, acquireTime: spec.renewTime },
        });
        this.noNamespace.delete(c.name);
      } catch (createErr) {
        if (classifyApiError(createErr).reason !== 'NotFound') throw createErr;
        if (!this.noNamespace.has(c.name))
          this.d.log.warn(
            { cluster: c.name, namespace: LEASE_NAMESPACE },
            'no kubemirror-remote namespace in the remote cluster (deploy/remote): its imported endpoints cannot be expired if this cluster stops for good',
          );
        this.noNamespace.add(c.name);
      }
    }
  }

  private async sweep(): Promise<void> {
    let leases: KubeObject[];
    try {
      leases = await listAll(this.d.client, LEASES, undefined, LEASE_NAMESPACE);
    } catch (err) {
      if (classifyApiError(err).reason === 'NotFound') return; // nobody exports into this cluster
      throw err;
    }
    if (leases.length === 0) return;
    const slices = await listAll(
      this.d.client,
      ENDPOINT_SLICES,
      `endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER},${this.d.keys.sourceCluster}`,
    );
    const now = this.d.clock.now();
    for (const s of staleSlices(slices, leases, this.d.keys, now)) {
      const from = s.metadata.labels?.[this.d.keys.sourceCluster];
      await this.d.writer.replace(ENDPOINT_SLICES, {
        ...s,
        metadata: {
          ...s.metadata,
          annotations: {
            ...(s.metadata.annotations ?? {}),
            [`${this.d.keys.prefix}/stale-since`]: new Date(now).toISOString(),
          },
        },
        endpoints: [],
      });
      this.d.log.warn(
        { namespace: s.metadata.namespace, slice: s.metadata.name, sourceCluster: from },
        'endpoints imported from a cluster whose export Lease expired emptied',
      );
    }
  }
}
