import type { Logger } from 'pino';
import { mirrorKeys } from '../core/keys.js';
import { newTransformCache } from '../core/transform-cache.js';
import type { KubeObject, NamespaceInfo, ResourceType } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import { EventRecorder } from '../kube/event-recorder.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import { objectPath, Writer } from '../kube/writer.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { Informer, type RestartReason } from '../runtime/informer.js';
import { RateLimiter } from '../runtime/rate-limiter.js';
import type { ReconcileOutcome } from '../runtime/reconcile-result.js';
import { type QueueMetrics, WorkQueue } from '../runtime/work-queue.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import { type MapperDeps, sourceOfMirrorEvent, sourcesAffectedByNamespace } from './event-mappers.js';
import type { LiveConfig } from './live-config.js';
import { MirrorIndex } from './mirror-index.js';
import { OwnWrites } from './own-writes.js';
import { parseSourceKey, sourceKey } from './source-key.js';
import { SourceReconciler } from './source-reconciler.js';
import { SourceStatusStore } from './source-status.js';
import { SpecCache } from './spec-cache.js';
import type { TypeWatcher } from './type-watcher.js';
import { startTypeWatcher } from './type-watcher.js';
import type { TypeEntry, WatchedType } from './watched-type.js';

export type { TypeEntry };

export type ControllerName = 'source' | 'target' | 'namespace';

/** Metric and observation hooks; the run command binds them to prometheus series. All optional to call. */
export interface ControllerHooks {
  reconciled(controller: ControllerName, outcome: ReconcileOutcome, seconds: number): void;
  syncError(controller: ControllerName, reason: string): void;
  conflict(resource: string): void;
  drift(resource: string): void;
  transformSkipped(resource: string): void;
  mirrors(resource: string, count: number): void;
  watchRestart(resource: string, reason: RestartReason): void;
  discoveredTypes(count: number): void;
  /** a resource type started (true) or stopped (false) being watched for mirroring */
  typeWatched(resource: string, watched: boolean): void;
  queue(name: string): QueueMetrics;
}

/** Where the set of watched types comes from (discovery or the explicit list). */
export interface TypeSource {
  initial(signal: AbortSignal): Promise<TypeEntry[]>;
  /** calls `onChange` with the full new set whenever it changes; runs until the signal aborts */
  watch(signal: AbortSignal, onChange: (types: TypeEntry[]) => void): void;
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
}

const NAMESPACE_TYPE: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};

/**
 * The mirroring controller: label-filtered source and mirror caches per resource type, one namespace cache,
 * and one queue of source keys. Mirror and namespace events are mapped onto source keys (event-mappers.ts);
 * the source reconciler is the only place a decision is made and the only writer. Caches run on every
 * replica; workers run only once `startWorkers()` is called (by the leader) and after every cache has synced.
 */
export class Controller {
  readonly status = new SourceStatusStore();
  private readonly keys;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly writer: Writer;
  private readonly index: MirrorIndex;
  private readonly watchers = new Map<string, TypeWatcher>();
  /** source keys to decide again: the only queue (mirror and namespace events map onto it) */
  private readonly queue: WorkQueue<string>;
  private pool: WorkerPool<string> | null = null;
  private readonly specs: SpecCache;
  private readonly mapper: MapperDeps;
  private namespaces: Informer<KubeObject> | null = null;
  private signal: AbortSignal | null = null;
  private resyncTimer: unknown = null;
  private workersStarted = false;
  private readonly ownWrites = new OwnWrites((typeId, ns, name) => {
    const w = this.watchers.get(typeId)?.watched;
    const mirror = w?.mirrors?.get(`${ns}/${name}`);
    if (w && mirror) this.mirrorChanged(w, mirror);
  });
  /** see SourceReconcilerDeps.occupants */
  private readonly occupants = new Map<string, { object: KubeObject; seenAt: number }>();
  private typesLoaded = false;

  constructor(private readonly d: ControllerDeps) {
    const cfg = d.config.get();
    this.keys = mirrorKeys(cfg.annotationPrefix);
    this.clock = d.clock ?? systemClock;
    this.limiter = new RateLimiter({ qps: cfg.rateLimitQps, burst: cfg.rateLimitBurst }, () =>
      this.clock.now(),
    );
    this.writer = new Writer(d.client, { limiter: this.limiter, mayWrite: d.mayWrite });
    this.index = new MirrorIndex(this.keys);
    this.queue = new WorkQueue<string>({
      name: 'source',
      clock: this.clock,
      metrics: d.hooks.queue('source'),
    });
    this.specs = new SpecCache(this.keys);
    this.mapper = {
      config: () => this.d.config.get(),
      keys: this.keys,
      specs: this.specs,
      namespace: (name) => this.namespaceInfo(name),
      mirrors: this.index,
      ownWrites: this.ownWrites,
    };
    d.config.onChange((next) => {
      this.limiter.update({ qps: next.rateLimitQps, burst: next.rateLimitBurst });
      if (this.pool) this.pool.concurrency = next.workerThreads;
      this.resyncAll(); // namespace filters, max targets… may have changed: re-plan everything
    });
  }

  /** Starts the caches. Resolves once the namespace cache and the first set of types are running. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const ns = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(this.d.client, NAMESPACE_TYPE),
      clock: this.clock,
      onRestart: (reason) => this.d.hooks.watchRestart('namespaces', reason),
    });
    // Before the workers start, the first full re-plan covers every namespace; queueing each one then would
    // only re-plan the same sources again.
    const enqueueNs = (o: KubeObject) => {
      if (this.workersStarted) this.namespaceChanged(o.metadata.name);
    };
    ns.onAdd(enqueueNs);
    ns.onUpdate((old, cur) => {
      if (namespaceChanged(old, cur)) enqueueNs(cur);
    });
    ns.onDelete(enqueueNs);
    ns.start(signal);
    this.namespaces = ns;
    this.applyTypes(await this.d.types.initial(signal));
    this.typesLoaded = true;
    this.d.types.watch(signal, (types) => this.applyTypes(types));
  }

  /** True once every cache has listed at least once. */
  hasSynced(): boolean {
    if (!this.typesLoaded || !this.namespaces?.hasSynced()) return false;
    for (const w of this.watchers.values()) if (!w.hasSynced()) return false;
    return true;
  }

  /** Epoch ms since when some watch has been broken, or null when all are healthy. */
  brokenSince(): number | null {
    let oldest: number | null = this.namespaces?.brokenSince() ?? null;
    for (const w of this.watchers.values()) {
      const b = w.brokenSince();
      if (b !== null && (oldest === null || b < oldest)) oldest = b;
    }
    return oldest;
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
    const cfg = this.d.config.get();
    const source = new SourceReconciler({
      config: () => this.d.config.get(),
      keys: this.keys,
      watchedType: (id) => this.watchers.get(id)?.watched,
      namespaces: () => this.namespaceInfos(),
      namespace: (name) => this.namespaceInfo(name),
      mirrors: this.index,
      writer: this.writer,
      events: new EventRecorder(this.writer, {
        component: 'kubemirror',
        dedupeWindowMs: 10 * 60_000,
        now: () => this.clock.now(),
        onError: (err) => this.d.log.debug({ err: String(err) }, 'event not recorded'),
      }),
      status: this.status,
      ownWrites: this.ownWrites,
      specs: this.specs,
      occupants: this.occupants,
      transforms: newTransformCache(),
      readSource: (w, ref) => this.readObject(w.type, ref.namespace, ref.name),
      hooks: {
        conflict: (r) => this.d.hooks.conflict(r),
        drift: (r) => this.d.hooks.drift(r),
        syncError: (reason) => this.d.hooks.syncError('source', reason),
        transformSkipped: (r) => this.d.hooks.transformSkipped(r),
      },
      log: this.d.log.child({ controller: 'source' }),
      now: () => new Date(this.clock.now()),
    });
    this.pool = new WorkerPool<string>({
      queue: this.queue,
      concurrency: cfg.workerThreads,
      reconcile: (key) => source.reconcile(key),
      report: (r) => {
        this.d.hooks.reconciled('source', r.result, r.durationMs / 1000);
        if (r.result === 'error' || r.result === 'terminal') {
          const reason = (r.error as { reason?: string })?.reason ?? 'Unknown';
          // A 409 on an optimistic write is routine: the cache was a step behind; the retry re-plans from it.
          const level = reason === 'Conflict' ? 'debug' : 'warn';
          this.d.log[level](
            { controller: 'source', key: r.key, reason, err: String(r.error) },
            r.result === 'terminal' ? 'reconcile failed; not retried' : 'reconcile failed, retrying',
          );
        }
      },
      clock: this.clock,
    });
    this.pool.start(signal);
    this.resyncAll();
    this.scheduleResync();
  }

  /** Stops intake and waits (bounded) for in-flight reconciles, so no write is cut in half. */
  async stop(timeoutMs: number): Promise<boolean> {
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.queue.shutDown();
    const drained = this.pool ? [await this.pool.stop(timeoutMs)] : [];
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    await this.namespaces?.stop();
    return drained.every(Boolean);
  }

  /**
   * Every source, and every source some mirror names (orphans, drift), is decided once more. The decision
   * compares each mirror with what it should be, so no mirror needs looking at on its own.
   */
  resyncAll(): void {
    this.occupants.clear();
    for (const { watched: w } of this.watchers.values()) {
      for (const s of w.sources.list()) {
        this.queue.add(sourceKey(w.id, s.metadata.namespace ?? '', s.metadata.name));
      }
      for (const src of this.index.sources(w.id)) {
        const slash = src.indexOf('/');
        this.queue.add(sourceKey(w.id, src.slice(0, slash), src.slice(slash + 1)));
      }
    }
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
    const types = [...this.watchers.values()].map((x) => x.watched);
    for (const key of sourcesAffectedByNamespace(this.mapper, name, types, (ns) =>
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

  private applyTypes(entries: TypeEntry[]): void {
    const signal = this.signal;
    if (!signal) return;
    const wanted = new Map(entries.map((e) => [e.id, e]));
    for (const [id, w] of this.watchers) {
      const e = wanted.get(id);
      if (e && (e.denied === null) === (w.watched.denied === null)) continue;
      this.d.log.info({ resource: w.watched.type.plural }, 'stopping watches for resource type');
      if (w.watched.denied === null) this.d.hooks.typeWatched(w.watched.type.plural, false);
      void w.stop();
      this.watchers.delete(id);
      this.index.dropType(id);
      this.status.dropType(id);
    }
    for (const e of entries) {
      if (this.watchers.has(e.id)) continue;
      if (e.denied === null) {
        this.d.log.info({ resource: e.type.plural }, 'watching resource type for sources and mirrors');
        this.d.hooks.typeWatched(e.type.plural, true);
      } else {
        this.d.log.debug(
          { resource: e.type.plural, refused: e.denied },
          'watching labelled objects of a refused type only to report the refusal',
        );
      }
      const w = startTypeWatcher({
        entry: e,
        keys: this.keys,
        listWatch: kubeListWatch<KubeObject>(this.d.client, e.type),
        clock: this.clock,
        index: this.index,
        signal,
        onSource: (ns, name) => this.queue.add(sourceKey(e.id, ns, name)),
        onMirror: (mirror) => {
          const watched = this.watchers.get(e.id)?.watched;
          if (watched) this.mirrorChanged(watched, mirror);
        },
        onRestart: (reason) => this.d.hooks.watchRestart(e.type.plural, reason),
        onMirrorCount: (n) => this.d.hooks.mirrors(e.type.plural, n),
      });
      this.watchers.set(e.id, w);
    }
    this.d.hooks.discoveredTypes([...this.watchers.values()].filter((w) => w.watched.denied === null).length);
  }

  /** One GET outside the caches; only for sources that left their cache. */
  private async readObject(type: ResourceType, namespace: string, name: string): Promise<KubeObject | null> {
    try {
      return await this.d.client.request<KubeObject>({
        method: 'GET',
        path: objectPath(type, { namespace, name }),
        verb: 'get',
        resource: type.plural,
      });
    } catch (err) {
      if (classifyApiError(err).reason === 'NotFound') return null;
      throw classifyApiError(err);
    }
  }

  private namespaceInfo(name: string): NamespaceInfo | undefined {
    const o = this.namespaces?.get(name);
    return o ? toNamespaceInfo(o) : undefined;
  }

  private *namespaceInfos(): Iterable<NamespaceInfo> {
    for (const o of this.namespaces?.list() ?? []) yield toNamespaceInfo(o);
  }

  /** For tests and /status: the key a source is queued under. */
  static keyOf(typeId: string, ns: string, name: string): string {
    return sourceKey(typeId, ns, name);
  }

  static refOf(key: string) {
    return parseSourceKey(key);
  }
}

function toNamespaceInfo(o: KubeObject): NamespaceInfo {
  const phase = (o.status as { phase?: string } | undefined)?.phase;
  return {
    name: o.metadata.name,
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    terminating: phase === 'Terminating' || Boolean(o.metadata.deletionTimestamp),
  };
}

function namespaceChanged(a: KubeObject, b: KubeObject): boolean {
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {}) ||
    toNamespaceInfo(a).terminating !== toNamespaceInfo(b).terminating
  );
}

export type { WatchedType };
