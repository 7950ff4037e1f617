import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import {
  type Decision,
  decide,
  decideGone,
  failedReport,
  type RemoteTargets,
  type SourceSnapshot,
  type StatusReport,
  skippedText,
  syncReport,
} from '../core/decide.js';
import { type MirrorKeys, withOrigin } from '../core/keys.js';
import { type TransformCache, transformFor } from '../core/transform-cache.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Writer } from '../kube/writer.js';
import { done, type ReconcileResult, requeueAfter } from '../runtime/reconcile-result.js';
import {
  type ActionsOutcome,
  type EventSink,
  MirrorActions,
  type MirrorActionsDeps,
} from './mirror-actions.js';
import type { MirrorIndex } from './mirror-index.js';
import type { MirrorMemory } from './mirror-memory.js';
import type { OwnWrites } from './own-writes.js';
import type { PolicyController } from './policy-controller.js';
import { PolicySourceReconciler } from './policy-source-reconciler.js';
import { type RemoteCluster, remoteMirrorsOf } from './remote-clusters.js';
import type { Governor } from './source-governor.js';
import {
  isPolicyKey,
  isPolicySourceRef,
  parsePolicyKey,
  parseSourceKey,
  type SourceRef,
} from './source-key.js';
import type { SourceStatusStore } from './source-status.js';
import type { SpecCache } from './spec-cache.js';
import { decideConfig, fightPolicy, transformLimits } from './target-policy.js';
import { contentArrivals, sourceContentHash } from './type-watcher.js';

import type { WatchedType } from './watched-type.js';

export interface SourceReconcilerDeps {
  config: () => Config;
  keys: MirrorKeys;
  watchedType: (typeId: string) => WatchedType | undefined;
  namespaces: () => Iterable<NamespaceInfo>;
  namespace: (name: string) => NamespaceInfo | undefined;
  mirrors: MirrorIndex;
  writer: Writer;
  events: EventRecorder;
  status: SourceStatusStore;
  /** mirrors written by this reconciler, so their watch echo is recognised without a re-plan */
  ownWrites: OwnWrites;
  /** the stored form of our last write and the fight state, per mirror */
  memory: MirrorMemory;
  specs: SpecCache;
  /**
   * objects not in the mirror cache found holding a source's name (learned from an AlreadyExists), by
   * `<typeId>|<ns>/<name>`, metadata only, with when it was seen; trusted for OCCUPANT_TTL_MS and forgotten at
   * every full resync, so a removed one is noticed (nothing watches unlabelled objects)
   */
  occupants: Map<string, { object: KubeObject; seenAt: number }>;
  transforms: TransformCache;
  /** a GET of the source, outside the label-filtered cache; used only when the source left the cache */
  readSource: (w: WatchedType, ref: SourceRef) => Promise<KubeObject | null>;
  /** the registered other clusters (SPEC §8); none when cross-cluster is off */
  remotes: () => readonly RemoteCluster[];
  /** a GET in another cluster (an object found by an AlreadyExists there) */
  readRemote: (cluster: RemoteCluster, w: WatchedType, ref: SourceRef) => Promise<KubeObject | null>;
  /** the MirrorPolicies (SPEC §11), when their API is served; their selected objects are sources too */
  policies?: PolicyController;
  /** a policy key for the policy queue (its status is recounted) */
  enqueuePolicy?: (key: string) => void;
  hooks: {
    conflict(resource: string): void;
    /** a mirror edited by someone else was restored */
    drift(resource: string): void;
    /** `policy` for the objects MirrorPolicies select (kubemirror_sync_errors_total{controller}) */
    syncError(reason: string, controller?: 'source' | 'policy'): void;
    transformSkipped(resource: string): void;
    fightStarted(resource: string): void;
    /** new source content reached its last target after `seconds` (kubemirror_propagation_duration_seconds) */
    propagated(resource: string, seconds: number): void;
  };
  log: Logger;
  now: () => Date;
}

/** How long an object learned from an AlreadyExists is planned as a conflict without trying the create again. */
const OCCUPANT_TTL_MS = 60_000;

/** Thrown when some targets failed transiently: the key is retried with backoff after status is written. */
class PartialFailure extends Error {
  readonly reason = 'PartialFailure';
}

/**
 * Reconciles one source: gather from the caches → `decide` (pure core, core/decide.ts) → act through the
 * writer → report. Level-based: it reads the current state and never asks which event woke it. A source is an
 * annotated object or an object a MirrorPolicy selects (its key says which); both go through the same decision.
 */
export class SourceReconciler {
  private readonly annotated: Governor;
  /** the executor of each other cluster: its writer, memory and own-write tracking */
  private readonly remoteActions = new WeakMap<RemoteCluster, MirrorActions>();
  /** the objects MirrorPolicies select, decided through `decideAndAct` with the policy as governor */
  private readonly policySources: PolicySourceReconciler | null;

  constructor(private readonly d: SourceReconcilerDeps) {
    const actions = new MirrorActions({ ...d, fightPolicy: () => fightPolicy(d.config()) });
    this.annotated = {
      keys: d.keys,
      finalizers: true,
      controller: 'source',
      actions,
      actionsIn: (c) => {
        let a = this.remoteActions.get(c);
        if (!a) {
          a = this.executorIn(c, d.keys, d.events, d.hooks);
          this.remoteActions.set(c, a);
        }
        return a;
      },
      lastLine: (source) => source.metadata.annotations?.[d.keys.syncStatus],
      report: (w, source, report) => this.reportOnSource(w, source, report),
      synced: (w, source, lastWriteAt) => this.propagated(w, source, lastWriteAt),
      forgetStatus: (w, source) =>
        d.status.delete(w.id, { namespace: source.metadata.namespace ?? '', name: source.metadata.name }),
    };
    const { policies, enqueuePolicy } = d;
    this.policySources =
      policies && enqueuePolicy
        ? new PolicySourceReconciler(
            { ...d, policies, enqueuePolicy },
            {
              decideAndAct: (w, source, g, log) => this.decideAndAct(w, source, g, log),
              executorIn: (c, keys, events, hooks) => this.executorIn(c, keys, events, hooks),
            },
          )
        : null;
  }

  /** The executor of a source's share in another cluster (its writer, memory and own-write tracking). */
  private executorIn(
    c: RemoteCluster,
    keys: MirrorKeys,
    events: EventSink,
    hooks: MirrorActionsDeps['hooks'],
  ): MirrorActions {
    return new MirrorActions({
      ...this.d,
      keys: withOrigin(keys, this.d.config().clusterName),
      events,
      hooks,
      writer: c.writer,
      ownWrites: c.ownWrites,
      memory: c.memory,
      occupants: c.occupants,
      readSource: (w, ref) => this.d.readRemote(c, w, ref),
      fightPolicy: () => fightPolicy(this.d.config()),
      where: (ns) => `${c.name}/${ns}`,
    });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (isPolicyKey(key)) {
      const ref = parsePolicyKey(key);
      return ref && isPolicySourceRef(ref) && this.policySources ? this.policySources.reconcile(ref) : done;
    }
    const ref = parseSourceKey(key);
    const w = this.d.watchedType(ref.typeId);
    if (!w) return done; // the type stopped being watched; its mirrors are left as they are
    let source = w.sources.get(`${ref.namespace}/${ref.name}`);
    if (!source) return this.sourceGone(w, ref);
    if (this.d.config().verifySourceFreshness) {
      // One GET before fanning out, for clusters where a lagging cache must never write stale content.
      const fresh = await this.d.readSource(w, ref);
      if (!fresh || fresh.metadata.uid !== source.metadata.uid) return this.sourceGone(w, ref);
      source = fresh;
    }
    const log = this.d.log.child({ resource: w.type.plural, key: `${ref.namespace}/${ref.name}` });
    return this.decideAndAct(w, source, this.annotated, log);
  }

  /** The one path of a source: decide on what is gathered, then act as the decision says, through its governor. */
  private async decideAndAct(
    w: WatchedType,
    source: KubeObject,
    g: Governor,
    log: Logger,
  ): Promise<ReconcileResult> {
    const decision = decide(this.gather(w, source, g));
    switch (decision.type) {
      case 'cleanup':
        return this.cleanup(w, source, decision, log, g);
      case 'fail':
        return this.fail(w, source, decision.reason, decision.message, log, g);
      case 'sync':
        return this.sync(w, source, decision, log, g);
    }
  }

  /** Everything the decision reads, from the caches: no API call. */
  private gather(w: WatchedType, source: KubeObject, g: Governor): SourceSnapshot {
    const cfg = this.d.config();
    const { keys } = g;
    const spec = g.spec ?? this.d.specs.of(source);
    const config = decideConfig(cfg, keys);
    return {
      source,
      denied: w.denied,
      spec,
      transform: g.transform ?? transformFor(this.d.transforms, spec, transformLimits(cfg), keys.prefix),
      namespaces: this.d.namespaces(),
      namespace: this.d.namespace,
      live: this.d.mirrors.mirrorsOf(w.id, source.metadata.namespace ?? '', source.metadata.name),
      occupant: (ns) => w.mirrors?.get(`${ns}/${source.metadata.name}`) ?? this.occupant(w, ns, source),
      isSourceLive: (ns, name, uid) => w.sources.get(`${ns}/${name}`)?.metadata.uid === uid,
      config: { ...config, finalizers: config.finalizers && g.finalizers },
      now: this.d.now,
      lastWrite: (ns) => this.d.memory.lastWrite(w.id, ns, source.metadata.name),
      fight: (ns) => this.d.memory.fight(w.id, ns, source.metadata.name),
      refused: (ns) => this.d.memory.refusal(w.id, ns, source.metadata.name),
      remotes: this.d.remotes().map((c) => this.gatherRemote(c, w, source)),
    };
  }

  /** The (cluster, namespace) targets of one other cluster, from its caches (SPEC §8). */
  private gatherRemote(c: RemoteCluster, w: WatchedType, source: KubeObject): RemoteTargets {
    const name = source.metadata.name;
    const rw = c.cache.watched(w.id);
    const down = c.unavailable(this.d.now().getTime());
    const notServed = !down && !rw;
    return {
      cluster: c.name,
      unavailable: down ?? (notServed ? `${w.type.plural} are not served there` : null),
      ...(notServed ? { holdsNoMirrors: true } : {}),
      namespaces: c.cache.namespaceList(),
      namespace: (ns) => c.cache.namespace(ns),
      live: c.cache.index.mirrorsOf(w.id, source.metadata.namespace ?? '', name),
      occupant: (ns) =>
        rw?.mirrors?.get(`${ns}/${name}`) ?? occupantIn(c.occupants, w, ns, name, this.d.now()),
      lastWrite: (ns) => c.memory.lastWrite(w.id, ns, name),
      fight: (ns) => c.memory.fight(w.id, ns, name),
      refused: (ns) => c.memory.refusal(w.id, ns, name),
    };
  }

  private occupant(w: WatchedType, ns: string, source: KubeObject): KubeObject | undefined {
    return occupantIn(this.d.occupants, w, ns, source.metadata.name, this.d.now());
  }

  private async sync(
    w: WatchedType,
    source: KubeObject,
    decision: Extract<Decision, { type: 'sync' }>,
    log: Logger,
    g: Governor,
  ): Promise<ReconcileResult> {
    let current = source;
    if (decision.addFinalizer) {
      // Before the first mirror is written. With the resourceVersion, so a concurrent change gives 409 (and
      // a retry from the cache); the echo of this patch does not re-plan (type-watcher's isOwnEcho).
      const ref = { namespace: source.metadata.namespace ?? '', name: source.metadata.name };
      current = await this.d.writer.mergePatch(w.type, ref, {
        metadata: {
          resourceVersion: source.metadata.resourceVersion,
          finalizers: [...(source.metadata.finalizers ?? []), this.d.keys.finalizer],
        },
      });
    }
    if (decision.skipped.length > 0) {
      this.d.hooks.transformSkipped(w.type.plural);
      log.warn({ skipped: decision.skipped.slice(0, 20).map(skippedText) }, 'transform rules skipped');
    }
    // every cluster's share at once: a slow cluster delays the report, never another cluster's writes
    const runs: Promise<ActionsOutcome>[] = [g.actions.run(w, current, decision.actions, log)];
    let unavailable = 0;
    for (const p of decision.remote) {
      const c = this.d.remotes().find((x) => x.name === p.cluster);
      if ('actions' in p && c)
        runs.push(g.actionsIn(c).run(w, current, p.actions, log.child({ cluster: p.cluster })));
      else {
        unavailable++;
        const why = 'unavailable' in p ? p.unavailable : 'unregistered';
        runs.push(Promise.resolve(unavailableOutcome(p.cluster, why)));
      }
    }
    const r = mergeOutcomes(await Promise.all(runs));
    await g.report(w, current, syncReport(decision.wanted, r, decision.skipped));
    if (r.transient === 0) g.synced(w, source, r.lastWriteAt);
    if (r.transient > 0) throw new PartialFailure(`${r.transient} target(s) failed, retrying`);
    // a fight: look again when its hold ends, or when a quiet window may have ended it
    if (r.lookAgainAt !== undefined) return requeueAfter(Math.max(1, r.lookAgainAt - this.d.now().getTime()));
    // a cluster that is down is planned again when it comes back (RemoteClusters' `up`); this is the safety net
    if (unavailable > 0) return requeueAfter(UNAVAILABLE_RECHECK_MS);
    return done;
  }

  /**
   * The fan-out of `source` finished with nothing left to retry. When the content it carried arrived as new
   * (type-watcher.ts `contentArrivals`) and this run wrote a target, the time from that watch event to the
   * last write is its propagation. Content that needed no write (a change mirrors do not carry) is forgotten.
   */
  private propagated(w: WatchedType, source: KubeObject, lastWriteAt: number | undefined): void {
    const ref = { namespace: source.metadata.namespace ?? '', name: source.metadata.name };
    const at = this.d.now();
    const arrivals = contentArrivals(w);
    const key = `${ref.namespace}/${ref.name}`;
    const pending = arrivals?.get(key);
    let seconds: number | undefined;
    // only the content this run carried: a newer version that arrived meanwhile stays pending for its run
    if (pending && pending.hash === sourceContentHash(source, this.d.keys)) {
      arrivals?.delete(key);
      if (lastWriteAt !== undefined) {
        seconds = Math.max(0, lastWriteAt - pending.at) / 1000;
        this.d.hooks.propagated(w.type.plural, seconds);
      }
    }
    this.d.status.synced(w.id, ref, at, seconds);
  }

  private async fail(
    w: WatchedType,
    source: KubeObject,
    reason: string,
    message: string,
    log: Logger,
    g: Governor,
  ): Promise<ReconcileResult> {
    this.d.hooks.syncError(reason, g.controller);
    const report = failedReport(message);
    // said once when it starts (the status annotation and an Event keep saying it), not on every re-check
    const changed = g.lastLine(source) !== report.line;
    // "maximum targets" is the phrase KubeMirror's troubleshooting guide greps the logs for
    const msg =
      reason === 'TooManyTargets' ? 'source not mirrored: maximum targets exceeded' : 'source not mirrored';
    log[changed ? 'warn' : 'debug']({ reason, err: message }, msg);
    await g.report(w, source, report, { reason });
    return done;
  }

  /**
   * Writes `P/sync-status` only when it changes (a patch, never hashed) and keeps /status coverage. When it
   * changes, the report's Events say what a person must act on with the whole reasons (the line abbreviates).
   */
  private async reportOnSource(w: WatchedType, source: KubeObject, report: StatusReport): Promise<void> {
    const { summary, line } = report;
    const ref = { namespace: source.metadata.namespace ?? '', name: source.metadata.name };
    this.d.status.set(w.id, w.type.plural, ref, { ...summary, skipped: summary.skipped ?? 0, line });
    if (source.metadata.annotations?.[this.d.keys.syncStatus] === line) return;
    await this.d.writer.mergePatch(w.type, ref, {
      metadata: { annotations: { [this.d.keys.syncStatus]: line } },
    });
    for (const e of report.events) await this.d.events.record(w.type, source, e.type, e.reason, e.message);
  }

  /** Sync off or source deleting: remove every mirror provably ours, then the finalizer. */
  private async cleanup(
    w: WatchedType,
    source: KubeObject,
    decision: Extract<Decision, { type: 'cleanup' }>,
    log: Logger,
    g: Governor,
  ): Promise<ReconcileResult> {
    const deletions = [
      ...decision.deletes.map((mirror) => ({ mirror, cluster: undefined as string | undefined })),
      ...decision.remote.flatMap((r) => r.deletes.map((mirror) => ({ mirror, cluster: r.cluster }))),
    ];
    for (const { mirror: m, cluster } of deletions) {
      const writer = cluster ? this.d.remotes().find((c) => c.name === cluster)?.writer : this.d.writer;
      if (!writer) continue; // unregistered meanwhile: its mirrors are left (and reported) with it
      // the version judged ours: one a MirrorPolicy took over meanwhile answers Conflict (retried from the cache)
      await writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
        resourceVersion: m.metadata.resourceVersion,
      });
      log.info({ cluster, namespace: m.metadata.namespace, why: decision.why }, 'mirror deleted');
    }
    g.forgetStatus(w, source);
    if (decision.waitingFor.length > 0) {
      log.info({ clusters: decision.waitingFor }, 'finalizer kept until these clusters can be cleaned up');
      return requeueAfter(UNAVAILABLE_RECHECK_MS);
    }
    // an object a policy selects is never written (its finalizer, if any, is its annotations' business)
    if (decision.removeFinalizer && g.finalizers) await this.removeFinalizer(w, source);
    return done;
  }

  private async removeFinalizer(w: WatchedType, source: KubeObject): Promise<void> {
    const finalizers = source.metadata.finalizers ?? [];
    if (!finalizers.includes(this.d.keys.finalizer)) return;
    try {
      await this.d.writer.mergePatch(
        w.type,
        { namespace: source.metadata.namespace ?? '', name: source.metadata.name },
        {
          metadata: {
            resourceVersion: source.metadata.resourceVersion,
            finalizers: finalizers.filter((f) => f !== this.d.keys.finalizer),
          },
        },
      );
    } catch (err) {
      if (classifyApiError(err).reason !== 'NotFound') throw err;
    }
  }

  /**
   * The source left the label-filtered cache: deleted, or its `P/enabled` label removed. Read it once to tell
   * which, then delete its mirrors and drop our finalizer. A mirror is this source's when it names the uid
   * of the source (live, or last seen in the cache); one naming another uid is collected only with proof
   * that kubemirror wrote it (an orphan of an earlier incarnation, e.g. after downtime), otherwise it is
   * someone's copy or a forgery: left alone and reported.
   */
  private async sourceGone(w: WatchedType, ref: SourceRef): Promise<ReconcileResult> {
    this.d.status.delete(w.id, ref);
    const key = `${ref.namespace}/${ref.name}`;
    const seen = w.lastSeen.get(key);
    // imports from other clusters' sources (P/source-cluster) are never this source's, nor are the mirrors a
    // MirrorPolicy made of the object (P/policy): that policy cleans those up
    const annotated = (m: KubeObject) => m.metadata.annotations?.[this.d.keys.policy] === undefined;
    const mirrors = this.d.mirrors
      .mirrorsOf(w.id, ref.namespace, ref.name)
      .filter((m) => m.metadata.annotations?.[this.d.keys.sourceCluster] === undefined && annotated(m));
    const now = this.d.now().getTime();
    const remote = remoteMirrorsOf(this.d.remotes(), w.id, ref, annotated, now);
    const mayHoldFinalizer = this.d.config().finalizers && seen?.finalizer === true;
    if (mirrors.length === 0 && remote.every((r) => r.mirrors.length === 0) && !mayHoldFinalizer) {
      w.lastSeen.delete(key);
      return done;
    }
    const live = await this.d.readSource(w, ref);
    const decision = decideGone({
      ref,
      mirrors,
      live,
      lastSeenUid: seen?.uid,
      cachedUid: w.sources.get(key)?.metadata.uid,
      keys: this.d.keys,
      clusterName: this.d.config().clusterName,
      remote,
    });
    if (decision.stillSource) return done; // the cache will see it again; nothing to clean
    for (const { mirror: m, cluster } of decision.leftAlone) {
      this.d.hooks.conflict(w.type.plural);
      this.d.log.warn(
        { resource: w.type.plural, source: key, cluster, namespace: m.metadata.namespace },
        'object labelled as a mirror of a deleted source but not written by kubemirror: left alone',
      );
    }
    for (const { mirror: m, why, cluster } of decision.deletes) {
      const writer = cluster ? this.d.remotes().find((c) => c.name === cluster)?.writer : this.d.writer;
      if (!writer) continue;
      await writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
        resourceVersion: m.metadata.resourceVersion,
      });
      this.d.log.info(
        { resource: w.type.plural, source: key, cluster, namespace: m.metadata.namespace },
        why,
      );
    }
    if (decision.waitingFor.length > 0) {
      this.d.log.info(
        { resource: w.type.plural, source: key, clusters: decision.waitingFor },
        'finalizer kept until these clusters can be cleaned up',
      );
      return requeueAfter(UNAVAILABLE_RECHECK_MS);
    }
    if (live && decision.removeFinalizer) await this.removeFinalizer(w, live);
    w.lastSeen.delete(key);
    return done;
  }
}

/** How soon a source with a target in a cluster that is down is looked at again, besides the cluster's `up`. */
const UNAVAILABLE_RECHECK_MS = 30_000;

/** An object learned from an AlreadyExists, trusted for OCCUPANT_TTL_MS. */
function occupantIn(
  occupants: Map<string, { object: KubeObject; seenAt: number }>,
  w: WatchedType,
  ns: string,
  name: string,
  now: Date,
): KubeObject | undefined {
  const key = `${w.id}|${ns}/${name}`;
  const seen = occupants.get(key);
  if (!seen) return undefined;
  if (now.getTime() - seen.seenAt <= OCCUPANT_TTL_MS) return seen.object;
  occupants.delete(key);
  return undefined;
}

/** A targeted cluster that cannot be planned: one error naming it, retried when it is back. */
function unavailableOutcome(cluster: string, why: string): ActionsOutcome {
  const reason = `cluster ${why}`;
  return {
    synced: 0,
    conflicts: [],
    errors: [{ namespace: `${cluster}/*`, reason, detail: `cluster ${cluster}: ${why}`, retrying: true }],
    transient: 0,
  };
}

/** The outcomes of every cluster's share of one fan-out, as one. */
function mergeOutcomes(all: ActionsOutcome[]): ActionsOutcome {
  const out: ActionsOutcome = { synced: 0, conflicts: [], errors: [], transient: 0 };
  for (const r of all) {
    out.synced += r.synced;
    out.conflicts.push(...r.conflicts);
    out.errors.push(...r.errors);
    out.transient += r.transient;
    if (r.fighting?.length) out.fighting = [...(out.fighting ?? []), ...r.fighting];
    if (r.lookAgainAt !== undefined) out.lookAgainAt = Math.min(out.lookAgainAt ?? Infinity, r.lookAgainAt);
    if (r.lastWriteAt !== undefined) out.lastWriteAt = Math.max(out.lastWriteAt ?? 0, r.lastWriteAt);
  }
  return out;
}
