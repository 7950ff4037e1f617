import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { NAMESPACES, SECRETS } from '../core/builtin-types.js';
import { mirrorKeys } from '../core/keys.js';
import { newTransformCache } from '../core/transform-cache.js';
import type { KubeObject, ResourceType } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import { EventRecorder } from '../kube/event-recorder.js';
import type { KubeClient } from '../kube/kube-client.js';
import { objectPath, Writer } from '../kube/writer.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import type { RestartReason } from '../runtime/informer.js';
import { RateLimiter } from '../runtime/rate-limiter.js';
import type { ReconcileOutcome } from '../runtime/reconcile-result.js';
import { type QueueMetrics, WorkQueue } from '../runtime/work-queue.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import type { CanaryRemote } from './canary.js';
import { ClusterCache, type TypeSource } from './cluster-cache.js';
import { EndpointExport, SERVICE_TYPE_ID } from './endpoint-export.js';
import { type MapperDeps, sourceOfMirrorEvent, sourcesAffectedByNamespace } from './event-mappers.js';
import type { LiveConfig } from './live-config.js';
import { MirrorMemory } from './mirror-memory.js';
import { OwnWrites } from './own-writes.js';
import { PolicyController } from './policy-controller.js';
import { PolicyReconciler } from './policy-reconciler.js';
import { type RemoteCluster, RemoteClusters } from './remote-clusters.js';
import { isPolicyKey, parsePolicyKey, parseSourceKey, sourceKey } from './source-key.js';
import { SourceReconciler } from './source-reconciler.js';
import { SourceStatusStore } from './source-status.js';
import { SpecCache } from './spec-cache.js';
import { StaleEndpoints } from './stale-endpoints.js';
import { targetPolicy } from './target-policy.js';
import type { TypeEntry, WatchedType } from './watched-type.js';

export type { TypeEntry, TypeSource };

/** `policy`: MirrorPolicies and the objects they select (SPEC §11); `source`: annotated sources */
export type ControllerName = 'source' | 'target' | 'namespace' | 'policy';

/** Metric and observation hooks; the run command binds them to prometheus series. All optional to call. */
export interface ControllerHooks {
  reconciled(controller: ControllerName, outcome: ReconcileOutcome, seconds: number): void;
  syncError(controller: ControllerName, reason: string): void;
  conflict(resource: string): void;
  drift(resource: string): void;
  /** a mirror was found fighting another writer (kubemirror_fights_total) */
  fightStarted(resource: string): void;
  /** how many mirrors of a resource are fighting now (kubemirror_mirrors_fighting) */
  mirrorsFighting(resource: string, count: number): void;
  transformSkipped(resource: string): void;
  /** new source content reached its last target (kubemirror_propagation_duration_seconds) */
  propagated(resource: string, seconds: number): void;
  mirrors(resource: string, count: number): void;
  watchRestart(resource: string, reason: RestartReason): void;
  discoveredTypes(count: number): void;
  /** a resource type started (true) or stopped (false) being watched for mirroring */
  typeWatched(resource: string, watched: boolean): void;
  queue(name: string): QueueMetrics;
  /** a registered remote cluster is up (reachable, caches synced) or not (kubemirror_cluster_up) */
  setClusterUp(cluster: string, up: boolean): void;
  /** kubemirror_cluster_last_sync_timestamp_seconds */
  clusterSynced(cluster: string, atMs: number): void;
  forgetCluster(cluster: string): void;
}

export interface ControllerDeps {
  client: KubeClient;
  config: LiveConfig;
  log: Logger;
  hooks: ControllerHooks;
  types: TypeSource;
  /** writes are refused unless this says yes (leader election) */
  mayWrite: () => boolean;
  clock?: Clock;
  /**
   * SPEC §8, with `--remote-clusters`: the controller namespace (where registration Secrets are read) and how
   * another cluster's watched types are found (its own discovery)
   */
  remote?: {
    namespace: string;
    typesOf(client: KubeClient, log: Logger): TypeSource;
    clientFor?: (kc: KubeConfig, cluster: string) => KubeClient;
    /** this replica's election identity, written as the holder of its export Leases */
    identity?: string;
  };
}

/**
 * The mirroring controller: the cluster's caches (cluster-cache.ts) and one queue of source keys. Mirror and
 * namespace events are mapped onto source keys (event-mappers.ts); the source reconciler is the only place a
 * decision is made and the only writer. Caches run on every replica; workers run only once `startWorkers()`
 * is called (by the leader) and after every cache has synced.
 */
export class Controller {
  readonly status = new SourceStatusStore();
  private readonly keys;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly writer: Writer;
  private readonly cache: ClusterCache;
  /** source keys to decide again: the only queue (mirror and namespace events map onto it) */
  private readonly queue: WorkQueue<string>;
  private pool: WorkerPool<string> | null = null;
  private readonly specs: SpecCache;
  private readonly mapper: MapperDeps;
  private signal: AbortSignal | null = null;
  private resyncTimer: unknown = null;
  private workersStarted = false;
  private readonly ownWrites = new OwnWrites((typeId, ns, name) => {
    const w = this.cache.watched(typeId);
    const mirror = w?.mirrors?.get(`${ns}/${name}`);
    if (w && mirror) this.mirrorChanged(w, mirror);
  });
  private readonly memory: MirrorMemory;
  /** see SourceReconcilerDeps.occupants */
  private readonly occupants = new Map<string, { object: KubeObject; seenAt: number }>();
  /** the other clusters (SPEC §8), when `--remote-clusters` is on */
  readonly remotes: RemoteClusters | null;
  /** the endpoints of Services exported to other clusters */
  private readonly endpoints: EndpointExport | null;
  /** export Leases in the other clusters, stale imports here */
  private readonly staleEndpoints: StaleEndpoints | null;
  /** MirrorPolicies (SPEC §11): their caches; their objects go to the source queue, the policies to their own */
  readonly policies: PolicyController;
  private readonly policyQueue: WorkQueue<string>;
  private policyPool: WorkerPool<string> | null = null;
  /** Events on sources and on MirrorPolicies (leader only: written through the writer) */
  private readonly events: EventRecorder;

  constructor(private readonly d: ControllerDeps) {
    const cfg = d.config.get();
    this.keys = mirrorKeys(cfg.annotationPrefix);
    this.clock = d.clock ?? systemClock;
    this.limiter = new RateLimiter({ qps: cfg.rateLimitQps, burst: cfg.rateLimitBurst }, () =>
      this.clock.now(),
    );
    this.writer = new Writer(d.client, { limiter: this.limiter, mayWrite: d.mayWrite });
    this.cache = new ClusterCache({
      client: d.client,
      keys: this.keys,
      types: d.types,
      clock: this.clock,
      log: d.log,
      hooks: d.hooks,
      // the echo of our own write: in sync by construction, summarised without hashing its body
      writtenByUs: (typeId, mirror) =>
        this.memory.lastWrite(typeId, mirror.metadata.namespace ?? '', mirror.metadata.name)
          ?.resourceVersion === mirror.metadata.resourceVersion,
      events: {
        // Before the workers start, the first full re-plan covers every namespace and mirror.
        namespaceChanged: (name) => {
          if (this.workersStarted) this.namespaceChanged(name);
        },
        sourceChanged: (typeId, ns, name) => {
          this.queue.add(sourceKey(typeId, ns, name));
          // an exported Service's slices follow its spec (beside another cluster's copy too), not only its mirror
          if (typeId === SERVICE_TYPE_ID)
            for (const c of this.remotes?.list() ?? []) this.endpoints?.serviceChanged(c.name, ns, name);
        },
        mirrorChanged: (w, mirror) => this.mirrorChanged(w, mirror),
        typeDropped: (typeId) => this.status.dropType(typeId),
        typesChanged: () => this.policies?.typesChanged(),
        typesRefreshed: () => this.policies?.typesRefreshed(),
      },
    });
    this.queue = new WorkQueue<string>({
      name: 'source',
      clock: this.clock,
      metrics: d.hooks.queue('source'),
    });
    this.specs = new SpecCache(this.keys);
    this.memory = new MirrorMemory((typeId, n) => this.fighting('', typeId, n));
    this.events = new EventRecorder(this.writer, {
      component: 'kubemirror',
      dedupeWindowMs: 10 * 60_000,
      now: () => this.clock.now(),
      onError: (err) => this.d.log.debug({ err: String(err) }, 'event not recorded'),
    });
    this.policyQueue = new WorkQueue<string>({
      name: 'policy',
      clock: this.clock,
      metrics: d.hooks.queue('policy'),
    });
    this.policies = new PolicyController({
      client: d.client,
      keys: this.keys,
      config: () => this.d.config.get(),
      clock: this.clock,
      log: d.log.child({ controller: 'policy' }),
      watched: (id) => this.cache.watched(id),
      watchedTypes: () => this.cache.watchedTypes(),
      indexes: () => [this.cache.index, ...(this.remotes?.list() ?? []).map((c) => c.cache.index)],
      enqueueSource: (key) => this.queue.add(key),
      enqueuePolicy: (key) => this.policyQueue.add(key),
      watchRestart: (resource, reason) => d.hooks.watchRestart(resource, reason),
    });
    this.mapper = {
      config: () => this.d.config.get(),
      keys: this.keys,
      specs: this.specs,
      namespace: (name) => this.cache.namespace(name),
      mirrors: this.cache.index,
      ownWrites: this.ownWrites,
      policies: {
        governed: (ns, policy, typeId, name) => this.policies.governed(ns, policy, typeId, name),
        governedAll: () => this.policies.governedAll(),
        mentioning: (ns) => this.policies.mentioningKeys(ns),
      },
    };
    this.status.include(() => this.policies.sourceEntries());
    this.remotes = cfg.remoteClusters && d.remote ? this.remoteClusters(d.remote) : null;
    this.endpoints = this.remotes
      ? new EndpointExport({
          client: d.client,
          keys: this.keys,
          clusterName: () => this.d.config.get().clusterName,
          services: () => {
            const w = this.cache.watched(SERVICE_TYPE_ID);
            return w?.denied === null ? w : undefined;
          },
          remotes: () => this.remotes?.list() ?? [],
          clock: this.clock,
          log: d.log.child({ component: 'endpoint-export' }),
          propagated: (seconds) => d.hooks.propagated('endpointslices', seconds),
          policy: () => targetPolicy(this.d.config.get(), this.keys),
        })
      : null;
    this.staleEndpoints = this.remotes
      ? new StaleEndpoints({
          client: d.client,
          writer: this.writer,
          keys: this.keys,
          clusterName: () => this.d.config.get().clusterName,
          identity: d.remote?.identity ?? 'kubemirror',
          remotes: () => this.remotes?.list() ?? [],
          clock: this.clock,
          log: d.log.child({ component: 'stale-endpoints' }),
        })
      : null;
    d.config.onChange((next) => {
      this.limiter.update({ qps: next.rateLimitQps, burst: next.rateLimitBurst });
      if (this.pool) this.pool.concurrency = next.workerThreads;
      this.policies.typesChanged(); // what a policy may select (source namespaces, transform limits) too
      this.resyncAll(); // namespace filters, max targets… may have changed: re-plan everything
    });
  }

  /** Starts the caches. Resolves once the namespace cache and the first set of types are running. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    this.remotes?.start(signal);
    this.endpoints?.start(signal);
    await this.cache.start(signal);
    await this.policies.start(signal);
  }

  /**
   * True once every cache of this cluster has listed at least once (and the registration Secrets, when
   * cross-cluster is on). Other clusters never hold this up: their targets wait for them instead.
   */
  hasSynced(): boolean {
    return this.cache.hasSynced() && (this.remotes?.settled() ?? true) && this.policies.hasSynced();
  }

  /** Epoch ms since when some watch has been broken, or null when all are healthy. */
  brokenSince(): number | null {
    const a = this.cache.brokenSince();
    const b = this.policies.brokenSince();
    if (a === null) return b;
    if (b === null) return a;
    return Math.min(a, b);
  }

  async waitForSync(signal: AbortSignal): Promise<void> {
    while (!this.hasSynced()) {
      if (signal.aborted) throw signal.reason;
      await new Promise((r) => this.clock.setTimeout(() => r(undefined), 20));
    }
  }

  /** Starts the reconcile workers (leader only), after the caches synced, then re-plans everything once. */
  async startWorkers(signal: AbortSignal): Promise<void> {
    if (this.workersStarted) return;
    await this.waitForSync(signal);
    this.workersStarted = true;
    const source = this.sourceReconciler();
    this.pool = new WorkerPool<string>({
      queue: this.queue,
      concurrency: this.d.config.get().workerThreads,
      reconcile: (key) => source.reconcile(key),
      // objects MirrorPolicies select are sources in this queue; their series say `policy`
      report: (r) => this.reported(isPolicyKey(r.key) ? 'policy' : 'source', r),
      clock: this.clock,
    });
    this.pool.start(signal);
    const policies = this.policyReconciler();
    this.policyPool = new WorkerPool<string>({
      queue: this.policyQueue,
      concurrency: 2,
      reconcile: async (key) => {
        const ref = parsePolicyKey(key);
        return ref ? policies.reconcile(ref) : undefined;
      },
      report: (r) => this.reported('policy', r),
      clock: this.clock,
    });
    this.policyPool.start(signal);
    this.endpoints?.startWorkers(signal);
    this.staleEndpoints?.start(signal);
    this.resyncAll();
    this.scheduleResync();
  }

  /** Stops intake and waits (bounded) for in-flight reconciles, so no write is cut in half. */
  async stop(timeoutMs: number): Promise<boolean> {
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.queue.shutDown();
    this.policyQueue.shutDown();
    const drained = await Promise.all([this.pool?.stop(timeoutMs), this.policyPool?.stop(timeoutMs)]);
    this.staleEndpoints?.stop();
    await this.endpoints?.stop(timeoutMs);
    await this.policies.stop();
    await this.cache.stop();
    await this.remotes?.stop();
    return drained.every((d) => d !== false);
  }

  /** One reconcile's outcome: its series, and a log line when it failed. */
  private reported(
    controller: 'source' | 'policy',
    r: { key: string; result: ReconcileOutcome; durationMs: number; error?: unknown },
  ): void {
    this.d.hooks.reconciled(controller, r.result, r.durationMs / 1000);
    if (r.result === 'error' || r.result === 'terminal') {
      const reason = (r.error as { reason?: string })?.reason ?? 'Unknown';
      // A 409 on an optimistic write is routine: the cache was a step behind; the retry re-plans from it.
      const level = reason === 'Conflict' ? 'debug' : 'warn';
      this.d.log[level](
        { controller, key: r.key, reason, err: String(r.error) },
        r.result === 'terminal' ? 'reconcile failed; not retried' : 'reconcile failed, retrying',
      );
    }
  }

  /**
   * Every source, and every source some mirror names (orphans, drift), is decided once more. The decision
   * compares each mirror with what it should be, so no mirror needs looking at on its own.
   */
  resyncAll(): void {
    this.occupants.clear();
    this.endpoints?.resyncAll();
    this.policies.resyncAll();
    for (const w of this.cache.watchedTypes()) {
      for (const s of w.sources.list()) {
        this.queue.add(sourceKey(w.id, s.metadata.namespace ?? '', s.metadata.name));
      }
      const indexes = [this.cache.index, ...(this.remotes?.list() ?? []).map((c) => c.cache.index)];
      for (const index of indexes)
        for (const src of index.sources(w.id)) {
          const slash = src.indexOf('/');
          this.queue.add(sourceKey(w.id, src.slice(0, slash), src.slice(slash + 1)));
        }
    }
  }

  /** The other clusters: their events map onto the one source queue, like this cluster's. */
  private remoteClusters(remote: NonNullable<ControllerDeps['remote']>): RemoteClusters {
    const mapperOf = (c: RemoteCluster): MapperDeps => ({
      ...this.mapper,
      namespace: (name) => c.cache.namespace(name),
      mirrors: c.cache.index,
      ownWrites: c.ownWrites,
      cluster: c.name,
    });
    // Events on refused registration Secrets, written by the leader only (a follower's try would be deduped)
    const secretEvents = new EventRecorder(this.writer, {
      component: 'kubemirror',
      dedupeWindowMs: 10 * 60_000,
      now: () => this.clock.now(),
      onError: (err) => this.d.log.debug({ err: String(err) }, 'event not recorded'),
    });
    return new RemoteClusters({
      client: this.d.client,
      namespace: remote.namespace,
      keys: this.keys,
      config: this.d.config,
      log: this.d.log.child({ component: 'remote-clusters' }),
      clock: this.clock,
      typesOf: remote.typesOf,
      ...(remote.clientFor ? { clientFor: remote.clientFor } : {}),
      mayWrite: this.d.mayWrite,
      onFighting: (cluster, typeId, n) => this.fighting(cluster, typeId, n),
      refused: (secret, reason) => {
        if (this.d.mayWrite())
          void secretEvents.record(SECRETS, secret, 'Warning', 'ClusterRegistrationRefused', reason);
      },
      hooks: {
        setClusterUp: (c, up) => this.d.hooks.setClusterUp(c, up),
        clusterSynced: (c, at) => this.d.hooks.clusterSynced(c, at),
        forgetCluster: (c) => this.d.hooks.forgetCluster(c),
      },
      events: {
        namespaceChanged: (c, name) => {
          if (!this.workersStarted) return;
          c.memory.forgetRefusals(name);
          const keys = sourcesAffectedByNamespace(mapperOf(c), name, this.cache.watchedTypes(), (ns) =>
            this.status.mentioning(`${c.name}/${ns}`),
          );
          for (const key of keys) this.queue.add(key);
        },
        mirrorChanged: (c, remoteW, mirror) => {
          if (!this.workersStarted) return;
          // only mirrors written from this cluster are decided here; another cluster's are its business
          const a = mirror.metadata.annotations ?? {};
          if (a[this.keys.sourceCluster] !== this.d.config.get().clusterName) return;
          const srcNs = a[this.keys.sourceNamespace];
          const srcName = a[this.keys.sourceName];
          if (remoteW.id === SERVICE_TYPE_ID && srcNs && srcName)
            this.endpoints?.serviceChanged(c.name, srcNs, srcName);
          const w = this.cache.watched(remoteW.id);
          const key = w ? sourceOfMirrorEvent(mapperOf(c), w, mirror) : null;
          if (key) this.queue.add(key);
        },
        sourceChanged: (typeId, ns, name) => {
          if (!this.workersStarted) return;
          this.queue.add(sourceKey(typeId, ns, name));
          if (typeId === SERVICE_TYPE_ID)
            for (const c of this.remotes?.list() ?? []) this.endpoints?.serviceChanged(c.name, ns, name);
        },
        added: (c, signal) => this.endpoints?.watchCluster(c, signal),
        removed: (name) => {
          for (const typeId of this.fightCounts.get(name)?.keys() ?? []) this.fighting(name, typeId, 0);
          this.fightCounts.delete(name);
          this.d.log.info({ cluster: name }, 'remote cluster removed: deciding every source again');
          if (this.workersStarted) this.resyncAll();
        },
        up: (c) => {
          this.d.log.info({ cluster: c.name }, 'remote cluster up: deciding every source again');
          if (!this.workersStarted) return;
          this.resyncAll();
          this.staleEndpoints?.clusterUp(c);
        },
      },
    });
  }

  /** The one decider and writer, wired to the caches. */
  private sourceReconciler(): SourceReconciler {
    return new SourceReconciler({
      config: () => this.d.config.get(),
      keys: this.keys,
      watchedType: (id) => this.cache.watched(id),
      namespaces: () => this.cache.namespaceList(),
      namespace: (name) => this.cache.namespace(name),
      mirrors: this.cache.index,
      writer: this.writer,
      events: this.events,
      status: this.status,
      policies: this.policies,
      enqueuePolicy: (key) => this.policyQueue.add(key),
      ownWrites: this.ownWrites,
      memory: this.memory,
      specs: this.specs,
      occupants: this.occupants,
      transforms: newTransformCache(),
      readSource: (w, ref) => getObject(this.d.client, w.type, ref.namespace, ref.name),
      remotes: () => this.remotes?.list() ?? [],
      readRemote: (c, w, ref) => getObject(c.client, w.type, ref.namespace, ref.name),
      hooks: {
        conflict: (r) => this.d.hooks.conflict(r),
        drift: (r) => this.d.hooks.drift(r),
        fightStarted: (r) => this.d.hooks.fightStarted(r),
        syncError: (reason, controller) => this.d.hooks.syncError(controller ?? 'source', reason),
        transformSkipped: (r) => this.d.hooks.transformSkipped(r),
        propagated: (r, s) => this.d.hooks.propagated(r, s),
      },
      log: this.d.log.child({ controller: 'source' }),
      now: () => new Date(this.clock.now()),
    });
  }

  /** The MirrorPolicy reconciler (finalizer, cleanup of a deleted policy, status), wired to the caches. */
  private policyReconciler(): PolicyReconciler {
    return new PolicyReconciler({
      policies: this.policies,
      keys: this.keys,
      config: () => this.d.config.get(),
      writer: this.writer,
      events: this.events,
      watchedTypes: () => this.cache.watchedTypes(),
      index: this.cache.index,
      remotes: () => this.remotes?.list() ?? [],
      log: this.d.log.child({ controller: 'policy' }),
      now: () => new Date(this.clock.now()),
    });
  }

  /** A mirror event, mapped to its source (sourceOfMirrorEvent). Timed like a reconcile of `target`. */
  private mirrorChanged(w: WatchedType, mirror: KubeObject): void {
    if (!this.workersStarted) return; // the first full re-plan covers it
    const started = this.clock.now();
    const key = sourceOfMirrorEvent(this.mapper, w, mirror);
    if (key) this.queue.add(key);
    this.d.hooks.reconciled('target', 'success', (this.clock.now() - started) / 1000);
  }

  /** A namespace event, mapped to the sources it concerns. Timed like a reconcile of `namespace`. */
  private namespaceChanged(name: string): void {
    const started = this.clock.now();
    this.memory.forgetRefusals(name);
    for (const key of sourcesAffectedByNamespace(this.mapper, name, this.cache.watchedTypes(), (ns) =>
      this.status.mentioning(ns),
    ))
      this.queue.add(key);
    this.d.hooks.reconciled('namespace', 'success', (this.clock.now() - started) / 1000);
  }

  private scheduleResync(): void {
    const period = this.d.config.get().resyncPeriodMs;
    const jittered = period * (0.9 + Math.random() * 0.2);
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.signal?.aborted) return;
      this.resyncAll();
      this.scheduleResync();
    }, jittered);
  }

  /** cluster ('' = this one) → typeId → mirrors fighting there; the gauge is their sum per resource */
  private readonly fightCounts = new Map<string, Map<string, number>>();

  /** kubemirror_mirrors_fighting{resource}: the mirrors of a type fighting in any cluster. */
  private fighting(cluster: string, typeId: string, n: number): void {
    const byType = this.fightCounts.get(cluster) ?? new Map<string, number>();
    this.fightCounts.set(cluster, byType);
    byType.set(typeId, n);
    let sum = 0;
    for (const counts of this.fightCounts.values()) sum += counts.get(typeId) ?? 0;
    const w = this.cache.watched(typeId);
    if (w) this.d.hooks.mirrorsFighting(w.type.plural, sum);
  }

  /** The registered other clusters as the canary needs them (its mirrors there, its namespace there). */
  canaryRemotes(): CanaryRemote[] {
    return (this.remotes?.list() ?? []).map((c) => ({
      name: c.name,
      mirror: (ns, name) => c.cache.watched(CANARY_TYPE)?.mirrors?.get(`${ns}/${name}`),
      ensureNamespace: async (name, labels) => {
        if (c.cache.namespace(name)) return;
        try {
          await c.writer.create(NAMESPACES, {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name, labels },
          });
        } catch (err) {
          if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
        }
      },
    }));
  }

  /** The one writer (limiter, leader check): the canary's own writes go through it too. */
  get writes(): Writer {
    return this.writer;
  }

  /** The mirror keys in use (`--annotation-prefix`). */
  get mirrorKeys() {
    return this.keys;
  }

  /** Whether `typeId` (e.g. `ConfigMap.v1`) is watched for mirroring (not only to be refused). */
  watches(typeId: string): boolean {
    return this.cache.watched(typeId)?.denied === null;
  }

  /** For tests and /status: the key a source is queued under. */
  static keyOf(typeId: string, ns: string, name: string): string {
    return sourceKey(typeId, ns, name);
  }

  static refOf(key: string) {
    return parseSourceKey(key);
  }
}

/** One GET outside the caches; only for sources that left their cache. NotFound = null. */
async function getObject(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<KubeObject | null> {
  try {
    return await client.request<KubeObject>({
      method: 'GET',
      path: objectPath(type, { namespace, name }),
      verb: 'get',
      resource: type.plural,
    });
  } catch (err) {
    const e = classifyApiError(err);
    if (e.reason === 'NotFound') return null;
    throw e;
  }
}

export type { WatchedType };

const CANARY_TYPE = 'ConfigMap.v1';
