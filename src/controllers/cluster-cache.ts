import type { Logger } from 'pino';
import { NAMESPACES } from '../core/builtin-types.js';
import type { MirrorKeys } from '../core/keys.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import type { Clock } from '../runtime/clock.js';
import { Informer, type RestartReason } from '../runtime/informer.js';
import { statusCodeOf } from '../runtime/list-watch.js';
import { MirrorIndex } from './mirror-index.js';
import { startTypeWatcher, type TypeWatcher } from './type-watcher.js';
import type { TypeEntry, WatchedType } from './watched-type.js';

/** Where the set of watched types comes from (discovery or the explicit list). */
export interface TypeSource {
  initial(signal: AbortSignal): Promise<TypeEntry[]>;
  /**
   * calls `onChange` with the full new set whenever it changes, and `onRefreshed` (when given) after every look
   * at the API, changed or not; runs until the signal aborts
   */
  watch(signal: AbortSignal, onChange: (types: TypeEntry[]) => void, onRefreshed?: () => void): void;
}

/** What the caches tell whoever acts on them. Handlers only map and enqueue. */
export interface ClusterCacheEvents {
  namespaceChanged(name: string): void;
  sourceChanged(typeId: string, namespace: string, name: string): void;
  /** a mirror was added or changed (deletions arrive as `sourceChanged` of its source) */
  mirrorChanged(watched: WatchedType, mirror: KubeObject): void;
  typeDropped(typeId: string): void;
  /** the set of watched types changed (started or stopped ones) */
  typesChanged?(): void;
  /** the API's types were looked at again (a CRD came or went, or the periodic refresh), changed or not */
  typesRefreshed?(): void;
}

export interface ClusterCacheHooks {
  mirrors(resource: string, count: number): void;
  watchRestart(resource: string, reason: RestartReason): void;
  discoveredTypes(count: number): void;
  /** a resource type started (true) or stopped (false) being watched for mirroring */
  typeWatched(resource: string, watched: boolean): void;
}

export interface ClusterCacheDeps {
  client: KubeClient;
  keys: MirrorKeys;
  types: TypeSource;
  clock: Clock;
  log: Logger;
  hooks: ClusterCacheHooks;
  events: ClusterCacheEvents;
  /** see TypeWatcherOptions.writtenByUs */
  writtenByUs?: (typeId: string, mirror: KubeObject) => boolean;
  /** another cluster (SPEC §8): namespaces and mirrors only; refused types are not watched there */
  mirrorsOnly?: boolean;
}

/**
 * What the controller knows of one cluster, kept by watches: its namespaces, and per watched resource type the
 * label-filtered sources and mirrors (type-watcher.ts) with the mirror index. Runs on every replica (standbys
 * keep it warm); it never writes. The set of types follows the TypeSource (discovery) at run time.
 */
export class ClusterCache {
  readonly index: MirrorIndex;
  private readonly watchers = new Map<string, TypeWatcher>();
  /** types whose refusal (403) was logged once */
  private readonly refusedLogged = new Set<string>();
  private namespaces: Informer<KubeObject> | null = null;
  private signal: AbortSignal | null = null;
  private typesLoaded = false;

  constructor(private readonly d: ClusterCacheDeps) {
    this.index = new MirrorIndex(d.keys);
  }

  /** Starts the watches. Resolves once the namespace cache and the first set of types are running. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const ns = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(this.d.client, NAMESPACES),
      clock: this.d.clock,
      onRestart: (reason) => this.d.hooks.watchRestart('namespaces', reason),
    });
    const changed = (o: KubeObject) => this.d.events.namespaceChanged(o.metadata.name);
    ns.onAdd(changed);
    ns.onUpdate((old, cur) => {
      if (namespaceChanged(old, cur)) changed(cur);
    });
    ns.onDelete(changed);
    ns.start(signal);
    this.namespaces = ns;
    this.applyTypes(await this.d.types.initial(signal));
    this.typesLoaded = true;
    this.d.types.watch(
      signal,
      (types) => this.applyTypes(types),
      () => this.d.events.typesRefreshed?.(),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    await this.namespaces?.stop();
  }

  /**
   * True once every cache has listed at least once. A type the server refuses to list (403: the RBAC here does not
   * grant it, e.g. a remote cluster with deploy/remote's rights and a discovered kind it does not name) is not
   * waited for: its sources and mirrors stay unknown, writes of it fail as forbidden and are reported per target,
   * and its informer keeps retrying, so a later grant is picked up. Waiting would stall the whole cluster on it.
   */
  hasSynced(): boolean {
    if (!this.typesLoaded || !this.namespaces?.hasSynced()) return false;
    for (const w of this.watchers.values()) if (!w.hasSynced() && !w.isForbidden()) return false;
    return true;
  }

  /** Epoch ms since when some watch has been broken, or null when all are healthy (refused types aside). */
  brokenSince(): number | null {
    let oldest: number | null = this.namespaces?.brokenSince() ?? null;
    for (const w of this.watchers.values()) {
      if (w.isForbidden()) continue;
      const b = w.brokenSince();
      if (b !== null && (oldest === null || b < oldest)) oldest = b;
    }
    return oldest;
  }

  watched(typeId: string): WatchedType | undefined {
    return this.watchers.get(typeId)?.watched;
  }

  watchedTypes(): WatchedType[] {
    return [...this.watchers.values()].map((w) => w.watched);
  }

  namespace(name: string): NamespaceInfo | undefined {
    const o = this.namespaces?.get(name);
    return o ? toNamespaceInfo(o) : undefined;
  }

  *namespaceList(): Iterable<NamespaceInfo> {
    for (const o of this.namespaces?.list() ?? []) yield toNamespaceInfo(o);
  }

  private applyTypes(all: TypeEntry[]): void {
    const signal = this.signal;
    if (!signal) return;
    const entries = this.d.mirrorsOnly ? all.filter((e) => e.denied === null) : all;
    const wanted = new Map(entries.map((e) => [e.id, e]));
    for (const [id, w] of this.watchers) {
      const e = wanted.get(id);
      if (e && (e.denied === null) === (w.watched.denied === null)) continue;
      this.d.log.info({ resource: w.watched.type.plural }, 'stopping watches for resource type');
      if (w.watched.denied === null) this.d.hooks.typeWatched(w.watched.type.plural, false);
      void w.stop();
      this.watchers.delete(id);
      this.index.dropType(id);
      this.d.events.typeDropped(id);
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
        keys: this.d.keys,
        listWatch: kubeListWatch<KubeObject>(this.d.client, e.type),
        clock: this.d.clock,
        index: this.index,
        signal,
        onSource: (ns, name) => this.d.events.sourceChanged(e.id, ns, name),
        onMirror: (mirror) => {
          const watched = this.watchers.get(e.id)?.watched;
          if (watched) this.d.events.mirrorChanged(watched, mirror);
        },
        onRestart: (reason, err) => {
          this.d.hooks.watchRestart(e.type.plural, reason);
          if (statusCodeOf(err) === 403 && !this.refusedLogged.has(e.id)) {
            this.refusedLogged.add(e.id);
            this.d.log.warn(
              { resource: e.type.plural, err: err instanceof Error ? err.message : String(err) },
              'cannot list this resource type (forbidden): not waiting for it; grant get, list and watch to mirror it here',
            );
          }
        },
        onMirrorCount: (n) => this.d.hooks.mirrors(e.type.plural, n),
        writtenByUs: (mirror) => this.d.writtenByUs?.(e.id, mirror) ?? false,
        ...(this.d.mirrorsOnly ? { mirrorsOnly: true } : {}),
      });
      this.watchers.set(e.id, w);
    }
    this.d.hooks.discoveredTypes(this.watchedTypes().filter((w) => w.denied === null).length);
    this.d.events.typesChanged?.();
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

/** Only what targeting reads: labels, annotations, terminating. */
function namespaceChanged(a: KubeObject, b: KubeObject): boolean {
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.metadata.annotations ?? {}) !== JSON.stringify(b.metadata.annotations ?? {}) ||
    toNamespaceInfo(a).terminating !== toNamespaceInfo(b).terminating
  );
}
