import { setMaxListeners } from 'node:events';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { SECRETS } from '../core/builtin-types.js';
import {
  clusterRegistry,
  type RegisteredCluster,
  type RejectedRegistration,
} from '../core/cluster-registry.js';
import type { MirrorKeys } from '../core/keys.js';
import type { KubeObject } from '../core/types.js';
import { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import { Writer } from '../kube/writer.js';
import type { Clock } from '../runtime/clock.js';
import { Informer } from '../runtime/informer.js';
import { RateLimiter } from '../runtime/rate-limiter.js';
import { ClusterCache, type TypeSource } from './cluster-cache.js';
import type { LiveConfig } from './live-config.js';
import { MirrorMemory } from './mirror-memory.js';
import { OwnWrites } from './own-writes.js';
import type { WatchedType } from './watched-type.js';

/** How long a remote watch may stay broken before the cluster counts as down (a watch re-open is not news). */
const BROKEN_GRACE_MS = 5_000;
/** How often the health of every remote cluster is looked at (metrics, coming back up). */
const HEALTH_PERIOD_MS = 2_000;
/** How long this cluster's work waits for the registration Secrets to be listed before it starts anyway. */
const SETTLE_MS = 10_000;

/** What a remote cluster's watches tell the controller. Handlers only map and enqueue. */
export interface RemoteClusterEvents {
  namespaceChanged(cluster: RemoteCluster, name: string): void;
  /** a mirror there was added or changed; `watched` is that cluster's type entry */
  mirrorChanged(cluster: RemoteCluster, watched: WatchedType, mirror: KubeObject): void;
  /** a mirror there was deleted: its source (in this cluster) is decided again */
  sourceChanged(typeId: string, namespace: string, name: string): void;
  /** the cluster became reachable with its caches synced (first time, or back after being down) */
  up(cluster: RemoteCluster): void;
  /** a cluster was registered (its watches are starting) */
  added(cluster: RemoteCluster, signal: AbortSignal): void;
  /** a cluster was unregistered: sources stop counting its targets */
  removed(cluster: string): void;
}

export interface RemoteClustersDeps {
  /** this cluster's API (the registration Secrets live here) */
  client: KubeClient;
  /** the controller namespace, where registration Secrets are read */
  namespace: string;
  keys: MirrorKeys;
  config: LiveConfig;
  log: Logger;
  clock: Clock;
  events: RemoteClusterEvents;
  /** the watched types of another cluster, from its own discovery (a kind may not be served there) */
  typesOf(client: KubeClient, log: Logger): TypeSource;
  hooks: {
    setClusterUp(cluster: string, up: boolean): void;
    clusterSynced(cluster: string, atMs: number): void;
    forgetCluster(cluster: string): void;
  };
  /** makes the client of a registered cluster (tests count its requests) */
  clientFor?: (kc: KubeConfig, cluster: string) => KubeClient;
  /** writes are refused unless this says yes (leader election) */
  mayWrite: () => boolean;
  /** how many mirrors of a type are fighting in a cluster (kubemirror_mirrors_fighting sums the clusters) */
  onFighting?: (cluster: string, typeId: string, count: number) => void;
  /**
   * A registration Secret is not used, and why (a Warning Event on it). Called again while it stays refused:
   * the recorder's dedupe window keeps it to one Event per window.
   */
  refused?: (secret: KubeObject, reason: string) => void;
}

/**
 * One registered cluster (SPEC §8): its own client and write limiter, and a ClusterCache of namespaces and
 * mirrors only (sources live here). Runs on every replica, like the local caches; writes only through its
 * writer, behind the leader check. What was written there is remembered per cluster (OwnWrites, MirrorMemory).
 */
export class RemoteCluster {
  readonly writer: Writer;
  readonly cache: ClusterCache;
  readonly memory: MirrorMemory;
  readonly ownWrites: OwnWrites;
  /** see SourceReconcilerDeps.occupants, for this cluster */
  readonly occupants = new Map<string, { object: KubeObject; seenAt: number }>();
  private readonly abort = new AbortController();
  private startedAt: number;
  private everUp = false;
  private up = false;
  /** a reconciler was told the cluster is unavailable since the last look that found it up */
  private seenDown = false;

  constructor(
    readonly name: string,
    readonly secret: string,
    readonly version: string,
    readonly client: KubeClient,
    private readonly d: RemoteClustersDeps,
  ) {
    const cfg = d.config.get();
    this.memory = new MirrorMemory((typeId, n) => d.onFighting?.(name, typeId, n));
    this.startedAt = d.clock.now();
    const limiter = new RateLimiter({ qps: cfg.rateLimitQps, burst: cfg.rateLimitBurst }, () =>
      d.clock.now(),
    );
    this.writer = new Writer(client, { limiter, mayWrite: d.mayWrite });
    const log = d.log.child({ cluster: name });
    this.ownWrites = new OwnWrites((typeId, ns, n) => {
      const w = this.cache.watched(typeId);
      const mirror = w?.mirrors?.get(`${ns}/${n}`);
      if (w && mirror) d.events.mirrorChanged(this, w, mirror);
    });
    this.cache = new ClusterCache({
      client,
      keys: d.keys,
      types: d.typesOf(client, log),
      clock: d.clock,
      log,
      mirrorsOnly: true,
      hooks: { mirrors: () => {}, watchRestart: () => {}, discoveredTypes: () => {}, typeWatched: () => {} },
      writtenByUs: (typeId, mirror) =>
        this.memory.lastWrite(typeId, mirror.metadata.namespace ?? '', mirror.metadata.name)
          ?.resourceVersion === mirror.metadata.resourceVersion,
      events: {
        namespaceChanged: (n) => d.events.namespaceChanged(this, n),
        sourceChanged: (typeId, ns, n) => d.events.sourceChanged(typeId, ns, n),
        mirrorChanged: (w, mirror) => d.events.mirrorChanged(this, w, mirror),
        typeDropped: () => {},
      },
    });
  }

  /** Starts the watches in the background: an unreachable cluster never holds up anything else. */
  start(parent: AbortSignal): void {
    setMaxListeners(0, this.abort.signal); // every informer of this cluster listens on it
    const stop = () => this.abort.abort();
    if (parent.aborted) stop();
    else parent.addEventListener('abort', stop, { once: true });
    this.cache.start(this.abort.signal).catch((err) => {
      if (!this.abort.signal.aborted)
        this.d.log.warn({ cluster: this.name, err: String(err) }, 'remote cluster caches did not start');
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.cache.stop();
    this.client.close();
  }

  /**
   * Why targets here cannot be planned now, or null when the caches are synced and healthy. A reconciler told
   * "unavailable" waits for the cluster to come back: the next health look that finds it up announces it, even
   * when the outage fell between two looks.
   */
  unavailable(now: number): string | null {
    const why = this.why(now);
    if (why !== null) this.seenDown = true;
    return why;
  }

  /** Looks at the health once; true when the cluster just came up (or came back since a reconciler saw it down). */
  check(now: number): boolean {
    const up = this.why(now) === null;
    const cameUp = up && (!this.up || this.seenDown);
    if (up) this.seenDown = false;
    this.up = up;
    if (up) this.everUp = true;
    this.d.hooks.setClusterUp(this.name, up);
    if (up) this.d.hooks.clusterSynced(this.name, now);
    return cameUp;
  }

  isUp(): boolean {
    return this.up;
  }

  private why(now: number): string | null {
    if (!this.cache.hasSynced())
      return this.everUp
        ? 'caches resyncing'
        : `not reachable yet (registered ${Math.round((now - this.startedAt) / 1000)}s ago)`;
    const broken = this.cache.brokenSince();
    if (broken !== null && now - broken > BROKEN_GRACE_MS)
      return `unreachable for ${Math.round((now - broken) / 1000)}s`;
    return null;
  }

  /** Aborted when the cluster is stopped (unregistered, credentials replaced) or the controller stops. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }
}

/**
 * What each other cluster holds of one source's mirrors (those `keep` accepts), for decideGone: its mirrors, or
 * why it cannot be looked at now; a cluster that does not watch the type holds none.
 */
export function remoteMirrorsOf(
  clusters: readonly RemoteCluster[],
  typeId: string,
  ref: { namespace: string; name: string },
  keep: (mirror: KubeObject) => boolean,
  now: number,
): Array<{ cluster: string; mirrors: KubeObject[]; unavailable: string | null; holdsNoMirrors?: boolean }> {
  return clusters.map((c) => {
    const down = c.unavailable(now);
    return {
      cluster: c.name,
      mirrors: c.cache.index.mirrorsOf(typeId, ref.namespace, ref.name).filter(keep),
      unavailable: down,
      ...(!down && !c.cache.watched(typeId) ? { holdsNoMirrors: true } : {}),
    };
  });
}

/** A registration Secret that cannot be used, and why (never its data). */
export type RejectedCluster = RejectedRegistration;

/**
 * Why a kubeconfig cannot be used to reach a cluster, or null. The parser's message may quote the document:
 * only say that it failed. Shared by the controller and `kubemirror status`, so both pick the same Secrets.
 */
export function kubeconfigProblem(text: string): string | null {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch {
    return 'key "kubeconfig" is not a usable kubeconfig (parse error)';
  }
  return kc.getCurrentCluster()
    ? null
    : 'key "kubeconfig" is not a usable kubeconfig (no current context with a cluster)';
}

/**
 * The registered clusters, from Secrets labelled `P/cluster: "true"` in the controller namespace (SPEC §8),
 * watched: a new Secret starts a RemoteCluster, a changed one (rotated credentials) replaces it, a removed one
 * stops it. A removed cluster's mirrors are left where they are (they cannot be reached to be cleaned up) and
 * reported in the log and in `removed()`. Credentials stay inside the client: never logged or reported.
 *
 * A second Secret naming a registered cluster is refused (log, Warning Event, `rejected()`); the Secret in use
 * keeps the cluster until it is deleted, and then the other one takes over without the cluster being
 * unregistered. Nothing is decided before every registration Secret is listed (or SETTLE_MS passed), so at
 * start-up the older Secret wins, as `clusterRegistry` says, whatever order they are listed in.
 */
export class RemoteClusters {
  private readonly clusters = new Map<string, RemoteCluster>();
  private readonly removedNames = new Map<string, { secret: string; at: number; mirrors: number }>();
  private rejectedList: RejectedCluster[] = [];
  /** the refused Secrets, for their Events */
  private refusedSecrets: { secret: KubeObject; reason: string }[] = [];
  private readonly secrets: Informer<KubeObject>[] = [];
  private signal: AbortSignal | null = null;
  private timer: unknown = null;
  private startedAt: number | null = null;
  /** whether the registration Secrets have been applied once (all listed, or SETTLE_MS passed) */
  private applied = false;

  constructor(private readonly d: RemoteClustersDeps) {}

  start(signal: AbortSignal): void {
    this.signal = signal;
    this.startedAt = this.d.clock.now();
    const names = this.d.config.get().clusterSecrets;
    // by name (fieldSelector), so RBAC can list them in resourceNames; else every labelled Secret
    const selectors = names.length > 0 ? names.map((n) => `metadata.name=${n}`) : [undefined];
    for (const fieldSelector of selectors) {
      const inf = new Informer<KubeObject>({
        listWatch: kubeListWatch<KubeObject>(this.d.client, SECRETS, {
          namespace: this.d.namespace,
          ...(fieldSelector ? { fieldSelector } : {}),
        }),
        labelSelector: `${this.d.keys.cluster}=true`,
        clock: this.d.clock,
        onRestart: (reason, err) => {
          if (err)
            this.d.log.warn(
              { namespace: this.d.namespace, reason, err: String(err) },
              'cannot read cluster registration Secrets; retrying (RBAC: get/list/watch secrets in this namespace)',
            );
        },
      });
      const changed = () => this.apply();
      inf.onAdd(changed);
      inf.onUpdate(changed);
      inf.onDelete(changed);
      inf.start(signal);
      // handlers run before an informer counts as synced: the last one to sync applies here
      inf.waitForSync(signal).then(changed, () => {});
      this.secrets.push(inf);
    }
    const tick = () => {
      if (signal.aborted) return;
      if (!this.applied && this.settled()) this.apply(); // some Secrets cannot be listed: go with the rest
      this.health();
      this.reportRefused();
      this.timer = this.d.clock.setTimeout(tick, HEALTH_PERIOD_MS);
    };
    this.timer = this.d.clock.setTimeout(tick, HEALTH_PERIOD_MS);
  }

  async stop(): Promise<void> {
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    await Promise.all(this.secrets.map((s) => s.stop()));
    await Promise.all([...this.clusters.values()].map((c) => c.stop()));
  }

  /** True once the registration Secrets have been listed (the set of clusters is known). */
  hasSynced(): boolean {
    return this.secrets.every((s) => s.hasSynced());
  }

  /**
   * Whether this cluster's work may start: the Secrets are listed, or they could not be for SETTLE_MS (no
   * access, say). Before a cluster is known nothing of it is planned, so starting without it loses nothing:
   * once it is registered and up, every source is decided again.
   */
  settled(): boolean {
    return this.hasSynced() || (this.startedAt !== null && this.d.clock.now() - this.startedAt > SETTLE_MS);
  }

  list(): RemoteCluster[] {
    return [...this.clusters.values()];
  }

  get(name: string): RemoteCluster | undefined {
    return this.clusters.get(name);
  }

  rejected(): readonly RejectedCluster[] {
    return this.rejectedList;
  }

  /** Clusters whose Secret was removed while running, with how many mirrors were left there. */
  removed(): Array<{ cluster: string; secret: string; at: number; mirrors: number }> {
    return [...this.removedNames].map(([cluster, r]) => ({ cluster, ...r }));
  }

  /** Looks at every cluster's health now (metrics; a cluster that came up is announced). */
  health(): void {
    const now = this.d.clock.now();
    for (const c of this.clusters.values()) if (c.check(now)) this.d.events.up(c);
  }

  // Log fields name a Secret `secretName`: the logger redacts any field whose name ends in "secret".
  private apply(): void {
    const signal = this.signal;
    if (!signal || signal.aborted || !this.settled()) return;
    this.applied = true;
    const secrets = this.secrets.flatMap((s) => s.list());
    const cfg = this.d.config.get();
    // the Secret in use keeps its cluster: a second one naming it is refused, never a reason to unregister
    const inUse = new Map([...this.clusters].map(([name, c]) => [name, c.secret]));
    const view = clusterRegistry(secrets, this.d.keys, cfg.clusterName, { inUse, usable: kubeconfigProblem });
    const before = new Set(this.rejectedList.map((r) => `${r.secret}|${r.reason}`));
    for (const r of view.rejected)
      if (!before.has(`${r.secret}|${r.reason}`))
        this.d.log.warn(
          { secretName: r.secret, ...(r.cluster ? { cluster: r.cluster } : {}), reason: r.reason },
          'cluster registration Secret not used',
        );
    this.rejectedList = view.rejected;
    const wanted = new Map(view.clusters.map((c) => [c.name, c]));
    for (const [name, running] of this.clusters) {
      const next = wanted.get(name);
      if (next && next.secret === running.secret && next.version === running.version) continue;
      this.clusters.delete(name);
      void running.stop();
      if (next) {
        if (next.secret === running.secret)
          this.d.log.info(
            { cluster: name, secretName: next.secret },
            'cluster credentials changed; reconnecting',
          );
        else
          this.d.log.info(
            { cluster: name, secretName: next.secret, previousSecretName: running.secret },
            'cluster now registered by another Secret; reconnecting',
          );
        continue;
      }
      let mirrors = 0;
      for (const w of running.cache.watchedTypes()) mirrors += running.cache.index.count(w.id);
      this.removedNames.set(name, { secret: running.secret, at: this.d.clock.now(), mirrors });
      this.d.hooks.forgetCluster(name);
      this.d.log.warn(
        { cluster: name, secretName: running.secret, mirrorsLeft: mirrors },
        'cluster unregistered: its mirrors are left in place (kubemirror can no longer reach them to clean up)',
      );
      this.d.events.removed(name);
    }
    for (const [name, reg] of wanted) {
      if (this.clusters.has(name)) continue;
      const c = this.connect(reg);
      if (!c) continue;
      this.removedNames.delete(name);
      this.clusters.set(name, c);
      c.start(signal);
      this.d.events.added(c, c.signal);
      c.check(this.d.clock.now());
      this.d.log.info({ cluster: name, secretName: reg.secret }, 'cluster registered');
    }
    const byRef = new Map(secrets.map((s) => [`${s.metadata.namespace ?? ''}/${s.metadata.name}`, s]));
    this.refusedSecrets = this.rejectedList.flatMap((r) => {
      const secret = byRef.get(r.secret);
      return secret ? [{ secret, reason: r.reason }] : [];
    });
    this.reportRefused();
  }

  /** A Warning Event on each refused Secret (the recorder keeps repeats to one per window). */
  private reportRefused(): void {
    for (const r of this.refusedSecrets) this.d.refused?.(r.secret, r.reason);
  }

  private connect(reg: RegisteredCluster): RemoteCluster | null {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(reg.kubeconfig); // checked by kubeconfigProblem already
    } catch {
      return null;
    }
    const client = this.d.clientFor?.(kc, reg.name) ?? new KubeClient(kc);
    return new RemoteCluster(reg.name, reg.secret, reg.version, client, this.d);
  }
}
