import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { DEFAULT_CONFIG } from '../config/config.js';
import { ENDPOINT_SLICES } from '../core/builtin-types.js';
import { targetsCluster } from '../core/decide.js';
import type { MirrorKeys } from '../core/keys.js';
import { isOtherClusterExport, remoteEndpointSlice, SLICE_MANAGER } from '../core/service-export.js';
import { readSourceSpec } from '../core/source-spec.js';
import { sourceWantsNamespace, type TargetPolicy } from '../core/targeting.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import type { Clock } from '../runtime/clock.js';
import { Informer } from '../runtime/informer.js';
import { done, type ReconcileResult, requeueAfter } from '../runtime/reconcile-result.js';
import { WorkQueue } from '../runtime/work-queue.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import type { RemoteCluster } from './remote-clusters.js';
import type { WatchedType } from './watched-type.js';

export const SERVICE_TYPE_ID = 'Service.v1';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

export interface EndpointExportDeps {
  /** this cluster, where the Services and their EndpointSlices live */
  client: KubeClient;
  keys: MirrorKeys;
  clusterName: () => string;
  /** the local Service type entry (sources), when Services are watched */
  services: () => WatchedType | undefined;
  remotes: () => readonly RemoteCluster[];
  clock: Clock;
  log: Logger;
  /** an endpoint change reached a remote slice after `seconds` (from the local slice event) */
  propagated?: (seconds: number) => void;
  /**
   * The controller's namespace policy in force (controllers/target-policy.ts `targetPolicy`), for the slices
   * written beside another cluster's export of the same Service. Absent: the default namespace policy.
   */
  policy?: () => TargetPolicy;
}

/**
 * The endpoints half of exporting a Service to other clusters (SPEC §8): for every (cluster, namespace) where
 * the Service's mirror from here exists, one EndpointSlice `<service>-<this cluster>` with the ready endpoints
 * of the local Service's slices (core/service-export.ts). Level-based per (cluster, Service): desired slices
 * from the local slices and the remote Service mirrors, live ones from a watch of kubemirror's slices there;
 * slices another cluster exported, or anyone else wrote, are never touched. A slice no longer backed (the
 * mirror was removed, the Service became ExternalName, the source went) is deleted.
 */
export class EndpointExport {
  /** local slices, by `ns/name` (every slice naming a Service) */
  private readonly local: Informer<KubeObject>;
  /** per remote cluster, the slices labelled managed-by kubemirror.io */
  private readonly remoteSlices = new WeakMap<RemoteCluster, Informer<KubeObject>>();
  private readonly queue: WorkQueue<string>;
  private pool: WorkerPool<string> | null = null;
  /** local slices by the Service they name (`ns/svc`); kubemirror's imports from other clusters are not ours */
  private readonly localByService = new Grouped((s) => {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    return svc && s.metadata.labels?.[this.d.keys.mirror] !== 'true'
      ? `${s.metadata.namespace}/${svc}`
      : null;
  });
  /** per remote cluster, this cluster's exported slices there by the Service they export (`ns/svc`) */
  private readonly remoteByService = new WeakMap<RemoteCluster, Grouped>();
  /** `cluster|ns/svc` → when a local endpoint change was first seen and not yet carried there */
  private readonly pendingSince = new Map<string, number>();

  constructor(private readonly d: EndpointExportDeps) {
    this.queue = new WorkQueue<string>({ name: 'endpoints', clock: d.clock });
    this.local = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(d.client, ENDPOINT_SLICES),
      labelSelector: SERVICE_NAME_LABEL,
      clock: d.clock,
    });
    const changed = (s: KubeObject) => {
      const ref = this.localByService.keyOf(s); // our own imports are not exported
      if (!ref || !this.d.services()?.sources.get(ref)) return;
      for (const c of this.d.remotes()) {
        const key = `${c.name}|${ref}`;
        if (!this.pendingSince.has(key)) this.pendingSince.set(key, this.d.clock.now());
        this.queue.add(key);
      }
    };
    this.localByService.follow(this.local, changed);
  }

  start(signal: AbortSignal): void {
    this.local.start(signal);
  }

  hasSynced(): boolean {
    return this.local.hasSynced();
  }

  /** Starts the writers (leader only). */
  startWorkers(signal: AbortSignal): void {
    if (this.pool) return;
    this.pool = new WorkerPool<string>({
      queue: this.queue,
      concurrency: 4,
      reconcile: (key) => this.reconcile(key),
      report: (r) => {
        if (r.result === 'error')
          this.d.log.warn({ key: r.key, err: String(r.error) }, 'endpoint slice export failed, retrying');
      },
      clock: this.d.clock,
    });
    this.pool.start(signal);
    this.resyncAll();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.queue.shutDown();
    if (this.pool) await this.pool.stop(timeoutMs);
    await this.local.stop();
  }

  /** A remote cluster's watch of kubemirror's slices there, started with the cluster. */
  watchCluster(c: RemoteCluster, signal: AbortSignal): void {
    if (this.remoteSlices.has(c)) return;
    const inf = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(c.client, ENDPOINT_SLICES),
      labelSelector: `${MANAGED_BY_LABEL}=${SLICE_MANAGER}`,
      clock: this.d.clock,
    });
    const byService = new Grouped((s) => {
      const a = s.metadata.annotations ?? {};
      if (a[this.d.keys.sourceCluster] !== this.d.clusterName()) return null;
      return `${a[this.d.keys.sourceNamespace]}/${a[this.d.keys.sourceName]}`;
    });
    byService.follow(inf, (s) => {
      const ref = byService.keyOf(s);
      if (ref) this.queue.add(`${c.name}|${ref}`);
    });
    inf.start(signal);
    this.remoteSlices.set(c, inf);
    this.remoteByService.set(c, byService);
  }

  /** The Service's mirror in `cluster` changed (or went): its slices there follow. */
  serviceChanged(cluster: string, namespace: string, name: string): void {
    this.queue.add(`${cluster}|${namespace}/${name}`);
  }

  /** Every exported Service in every cluster, once more. */
  resyncAll(): void {
    const services = this.d.services();
    for (const c of this.d.remotes()) {
      for (const s of services?.sources.list() ?? [])
        this.queue.add(`${c.name}|${s.metadata.namespace}/${s.metadata.name}`);
      for (const ref of this.remoteByService.get(c)?.keys() ?? []) this.queue.add(`${c.name}|${ref}`);
    }
  }

  /** Desired vs live slices of one Service in one cluster; writes the difference. */
  private async reconcile(key: string): Promise<ReconcileResult> {
    const bar = key.indexOf('|');
    const clusterName = key.slice(0, bar);
    const ref = key.slice(bar + 1);
    const [svcNs, svcName] = ref.split('/') as [string, string];
    const c = this.d.remotes().find((x) => x.name === clusterName);
    const slices = c ? this.remoteSlices.get(c) : undefined;
    if (!c || !slices) return done; // unregistered: what is there is left, like its mirrors
    if (!c.isUp() || !slices.hasSynced() || !this.local.hasSynced()) return requeueAfter(5_000);
    const keys = this.d.keys;
    const origin = this.d.clusterName();
    const service = this.d.services()?.sources.get(ref);
    const localSlices = this.localByService.get(ref);
    // where our mirror of this very Service is (its uid, from this cluster)
    const mirrors = service
      ? c.cache.index
          .mirrorsOf(SERVICE_TYPE_ID, svcNs, svcName)
          .filter(
            (m) =>
              m.metadata.annotations?.[keys.sourceCluster] === origin &&
              m.metadata.annotations?.[keys.sourceUid] === service.metadata.uid &&
              !m.metadata.deletionTimestamp,
          )
      : [];
    const namespaces = new Set(mirrors.map((m) => m.metadata.namespace ?? ''));
    if (service) for (const ns of this.besideOtherExports(c, service)) namespaces.add(ns);
    const desired = new Map<string, KubeObject>();
    for (const ns of namespaces) {
      const slice = service ? remoteEndpointSlice(service, localSlices, origin, ns, keys) : null;
      if (slice) desired.set(`${ns}/${slice.metadata.name}`, slice);
    }
    const live = new Map<string, KubeObject>();
    for (const s of this.remoteByService.get(c)?.get(ref) ?? [])
      live.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    let wrote = false;
    for (const [k, want] of desired) {
      const have = live.get(k);
      if (have && sameSlice(have, want)) continue;
      if (have) {
        await c.writer.replace(ENDPOINT_SLICES, {
          ...want,
          metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion },
        });
      } else {
        try {
          await c.writer.create(ENDPOINT_SLICES, want);
        } catch (err) {
          // someone else's slice of that name: never merged with ours, never overwritten
          if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
          this.d.log.warn(
            { cluster: c.name, namespace: want.metadata.namespace, slice: want.metadata.name },
            'an EndpointSlice not written by kubemirror holds the name of the exported slice: left alone',
          );
          continue;
        }
      }
      wrote = true;
    }
    for (const [k, have] of live) {
      if (desired.has(k)) continue;
      await c.writer.delete(ENDPOINT_SLICES, {
        namespace: have.metadata.namespace ?? '',
        name: have.metadata.name,
        uid: have.metadata.uid,
      });
      wrote = true;
    }
    const since = this.pendingSince.get(key);
    if (since !== undefined) {
      this.pendingSince.delete(key);
      if (wrote) this.d.propagated?.((this.d.clock.now() - since) / 1000);
    }
    return done;
  }

  /**
   * Namespaces of `c` the source targets where the Service is another source cluster's export of the same
   * Service (core/service-export.ts isOtherClusterExport): the Service is that cluster's (ours reports the
   * conflict), our endpoints go beside it in our own slice. Never beside a Service nobody exported.
   */
  private besideOtherExports(c: RemoteCluster, service: KubeObject): string[] {
    const keys = this.d.keys;
    const spec = readSourceSpec(service, keys);
    if (service.metadata.deletionTimestamp || !spec.syncEnabled || spec.errors.length > 0) return [];
    if (!targetsCluster(spec.targetClusters, c.name, false)) return [];
    const svcNs = service.metadata.namespace ?? '';
    const name = service.metadata.name;
    const origin = this.d.clusterName();
    const policy = this.d.policy?.() ?? {
      keys,
      excludedNamespaces: DEFAULT_CONFIG.excludedNamespaces,
      includedNamespaces: DEFAULT_CONFIG.includedNamespaces,
      systemNamespaces: DEFAULT_CONFIG.systemNamespaces,
      maxTargets: 0,
    };
    const out: string[] = [];
    for (const m of c.cache.index.mirrorsOf(SERVICE_TYPE_ID, svcNs, name)) {
      const ns = m.metadata.namespace ?? '';
      const info = c.cache.namespace(ns);
      if (!info || !isOtherClusterExport(m, svcNs, name, origin, keys)) continue;
      if (sourceWantsNamespace(service, spec, info, { ...policy, otherCluster: true })) out.push(ns);
    }
    return out;
  }
}

/** Whether the live slice already carries what we would write (labels, annotations we set, endpoints, ports). */
function sameSlice(live: KubeObject, want: KubeObject): boolean {
  const labels = live.metadata.labels ?? {};
  const annotations = live.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(want.metadata.labels ?? {})) if (labels[k] !== v) return false;
  for (const [k, v] of Object.entries(want.metadata.annotations ?? {}))
    if (annotations[k] !== v) return false;
  return (
    live.addressType === want.addressType &&
    isDeepStrictEqual(normalizeEndpoints(live.endpoints), normalizeEndpoints(want.endpoints)) &&
    isDeepStrictEqual(live.ports ?? [], want.ports ?? [])
  );
}

/** Endpoints as we write them; the server may default fields we do not set (e.g. conditions it derives). */
function normalizeEndpoints(v: unknown): unknown {
  if (!Array.isArray(v)) return [];
  return v.map((e: Record<string, unknown>) => ({
    addresses: e.addresses,
    ready: (e.conditions as { ready?: boolean } | undefined)?.ready ?? true,
    hostname: e.hostname,
    zone: e.zone,
  }));
}

/**
 * An informer's objects grouped by a key (`ns/service`), kept current by its handlers: a reconcile reads its
 * group instead of scanning every slice. Objects whose key is null are left out.
 */
class Grouped {
  private readonly groups = new Map<string, Map<string, KubeObject>>();

  constructor(readonly keyOf: (obj: KubeObject) => string | null) {}

  /** Keeps the groups with the informer's events, then calls `changed` with the object. */
  follow(inf: Informer<KubeObject>, changed: (obj: KubeObject) => void): void {
    inf.onAdd((o) => {
      this.add(o);
      changed(o);
    });
    inf.onUpdate((old, o) => {
      this.remove(old);
      this.add(o);
      changed(o);
    });
    inf.onDelete((o) => {
      this.remove(o);
      changed(o);
    });
  }

  get(key: string): KubeObject[] {
    return [...(this.groups.get(key)?.values() ?? [])];
  }

  keys(): string[] {
    return [...this.groups.keys()];
  }

  private add(o: KubeObject): void {
    const k = this.keyOf(o);
    if (k === null) return;
    const g = this.groups.get(k) ?? new Map<string, KubeObject>();
    g.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    this.groups.set(k, g);
  }

  private remove(o: KubeObject): void {
    const k = this.keyOf(o);
    const g = k === null ? undefined : this.groups.get(k);
    if (!g || k === null) return;
    g.delete(`${o.metadata.namespace}/${o.metadata.name}`);
    if (g.size === 0) this.groups.delete(k);
  }
}
