import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { buildDesiredMirror } from '../core/desired-mirror.js';
import { KubemirrorError } from '../core/errors.js';
import { globMatch } from '../core/glob.js';
import { mirrorContentHash } from '../core/hash.js';
import type { MirrorKeys } from '../core/keys.js';
import { classifyExisting, isProvablyMirrorOf } from '../core/ownership.js';
import { type Action, planSource } from '../core/plan.js';
import { neverMirrorReason } from '../core/sanitize.js';
import { readSourceSpec } from '../core/source-spec.js';
import { formatSyncStatus } from '../core/sync-status.js';
import { resolveTargets } from '../core/targeting.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Writer } from '../kube/writer.js';
import { done, type ReconcileResult } from '../runtime/reconcile-result.js';
import type { MirrorIndex } from './mirror-index.js';
import { parseSourceKey, type SourceRef } from './source-key.js';
import type { SourceStatusStore } from './source-status.js';
import { type TransformCache, transformFor } from './transform-cache.js';
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
  /** mirrors written by this reconciler, so their watch echo is recognised without re-hashing */
  recentWrites: Map<string, string>;
  transforms: TransformCache;
  /** a GET of the source, outside the label-filtered cache; used only when the source left the cache */
  readSource: (w: WatchedType, ref: SourceRef) => Promise<KubeObject | null>;
  hooks: {
    conflict(resource: string): void;
    syncError(reason: string): void;
    transformSkipped(resource: string): void;
  };
  log: Logger;
  now: () => Date;
}

/** Thrown when some targets failed transiently: the key is retried with backoff after status is written. */
class PartialFailure extends Error {
  readonly reason = 'PartialFailure';
}

/**
 * Reconciles one source: gather from caches → plan (pure core) → act through the writer → report.
 * Level-based: it reads the current state and never asks which event woke it.
 */
export class SourceReconciler {
  constructor(private readonly d: SourceReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
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
    const { keys } = this.d;
    const log = this.d.log.child({ resource: w.type.plural, key: `${ref.namespace}/${ref.name}` });
    const spec = readSourceSpec(source, keys);
    const deleting = Boolean(source.metadata.deletionTimestamp);
    if (deleting || !spec.syncEnabled)
      return this.cleanupAll(w, source, deleting ? 'source deleted' : 'sync turned off');

    const refusal = this.refusal(w, source);
    if (refusal) return this.fail(w, source, 'Refused', refusal, log);

    if (this.d.config().finalizers && !(source.metadata.finalizers ?? []).includes(keys.finalizer)) {
      // Added with the resourceVersion, so a concurrent change gives 409; the update event runs us again.
      await this.d.writer.mergePatch(w.type, ref, {
        metadata: {
          resourceVersion: source.metadata.resourceVersion,
          finalizers: [...(source.metadata.finalizers ?? []), keys.finalizer],
        },
      });
      return done;
    }

    const cfg = this.d.config();
    if (spec.errors.length > 0) return this.fail(w, source, 'InvalidSpec', spec.errors.join('; '), log);
    const targets = resolveTargets(source, spec, this.d.namespaces(), {
      keys,
      excludedNamespaces: cfg.excludedNamespaces,
      includedNamespaces: cfg.includedNamespaces,
      systemNamespaces: cfg.systemNamespaces,
      maxTargets: cfg.maxTargets,
    });
    if (!targets.ok) return this.fail(w, source, targets.reason, targets.message, log);

    const transform = transformFor(this.d.transforms, spec, cfg, keys.prefix);
    if (!transform.ok) return this.fail(w, source, 'TransformFailed', transform.error, log);
    const skipped: string[] = [];
    // Without a transform every target gets the same content (the hash covers neither name nor namespace):
    // build it once and only change the namespace.
    let shared: { mirror: KubeObject; hash: string } | null = null;
    const actions = planSource({
      source,
      targets: targets.targets,
      keys,
      deleting: false,
      existingMirrors: this.d.mirrors.mirrorsOf(w.id, ref.namespace, ref.name),
      isSourceLive: (ns, name, uid) => w.sources.get(`${ns}/${name}`)?.metadata.uid === uid,
      desired: (ns) => {
        try {
          const nsInfo = this.d.namespace(ns);
          const apply = transform.program
            ? (obj: KubeObject) => {
                const out = transform.program!.apply(obj, transformContext(source, ns, nsInfo), {
                  strict: spec.transformStrict,
                });
                for (const s of out.skipped) skipped.push(`${ns}: rule ${s.rule} (${s.path}): ${s.message}`);
                return out.object;
              }
            : undefined;
          if (apply) {
            return buildDesiredMirror(source, ns, {
              keys,
              stripKeys: cfg.stripKeys,
              transform: apply,
              now: this.d.now,
            });
          }
          shared ??= buildDesiredMirror(source, ns, { keys, stripKeys: cfg.stripKeys, now: this.d.now });
          return {
            hash: shared.hash,
            mirror: { ...shared.mirror, metadata: { ...shared.mirror.metadata, namespace: ns } },
          };
        } catch (err) {
          return { error: err instanceof Error ? err.message : String(err) };
        }
      },
    });
    if (skipped.length > 0) {
      this.d.hooks.transformSkipped(w.type.plural);
      log.warn({ skipped: skipped.slice(0, 20) }, 'transform rules skipped');
    }
    return this.act(w, source, targets.targets.length, actions, skipped, log);
  }

  /** Source-level refusals: deny-listed kind, secret types never mirrored, source-namespace policy. */
  private refusal(w: WatchedType, source: KubeObject): string | null {
    if (w.denied) return w.denied;
    const never = neverMirrorReason(source);
    if (never) return never;
    const allowed = this.d.config().sourceNamespaces;
    const ns = source.metadata.namespace ?? '';
    if (allowed.length > 0 && !allowed.some((p) => globMatch(p, ns))) {
      return `namespace ${ns} may not publish sources (controller source-namespaces: ${allowed.join(',')})`;
    }
    return null;
  }

  private async act(
    w: WatchedType,
    source: KubeObject,
    wanted: number,
    actions: Action[],
    skipped: string[],
    log: Logger,
  ): Promise<ReconcileResult> {
    const conflicts: string[] = [];
    const errors: Array<{ namespace: string; reason: string }> = [];
    let synced = 0;
    let transient = 0;
    const run = async (a: Action): Promise<void> => {
      try {
        const outcome = await this.apply(w, source, a, log);
        if (outcome === 'synced') synced++;
        else if (outcome === 'conflict') conflicts.push(a.namespace);
      } catch (err) {
        if (err instanceof TargetError) {
          errors.push({ namespace: a.namespace, reason: err.message });
          this.d.hooks.syncError(err.reason);
          return;
        }
        const e = classifyApiError(err);
        errors.push({
          namespace: a.namespace,
          reason: e.reason === 'Unknown' ? e.message : e.reason.toLowerCase(),
        });
        this.d.hooks.syncError(e.reason);
        if (e.reason !== 'Forbidden' && e.reason !== 'Invalid') transient++;
        log.warn(
          { namespace: a.namespace, action: a.type, reason: e.reason, err: e.message },
          'mirror write failed',
        );
      }
    };
    await runLimited(actions, 8, run);
    const writes: Record<string, number> = {};
    for (const a of actions)
      if (a.type !== 'noop' && a.type !== 'error') writes[a.type] = (writes[a.type] ?? 0) + 1;
    if (Object.keys(writes).length > 0)
      log.info({ ...writes, wanted, synced, failed: errors.length }, 'source reconciled');
    for (let i = 0; i < conflicts.length; i++) this.d.hooks.conflict(w.type.plural);
    const summary = { wanted, synced, conflicts, errors };
    await this.report(w, source, formatSyncStatus(summary), summary, skipped);
    if (transient > 0) throw new PartialFailure(`${transient} target(s) failed, retrying`);
    return done;
  }

  /** Performs one planned action; returns whether the target now holds an in-sync mirror. */
  private async apply(
    w: WatchedType,
    source: KubeObject,
    a: Action,
    log: Logger,
  ): Promise<'synced' | 'conflict' | 'other'> {
    const { writer } = this.d;
    switch (a.type) {
      case 'noop':
        return 'synced';
      case 'create':
        try {
          this.remember(w, await writer.create(w.type, a.desired));
          log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror created');
          return 'synced';
        } catch (err) {
          if (classifyApiError(err).reason !== 'AlreadyExists') throw err;
          return this.alreadyExists(w, source, a.namespace, a.hash);
        }
      case 'update':
        try {
          const written = await writer.replace(w.type, {
            ...a.desired,
            metadata: { ...a.desired.metadata, resourceVersion: a.live.metadata.resourceVersion },
          });
          this.remember(w, written);
          log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror updated');
          return 'synced';
        } catch (err) {
          if (classifyApiError(err).reason !== 'Invalid') throw err;
          // 422 on update: an immutable field; delete and recreate.
          return this.recreate(
            w,
            source,
            a.live,
            a.desired,
            'the API server rejected the update as invalid',
            log,
          );
        }
      case 'recreate':
        return this.recreate(w, source, a.live, a.desired, a.reason, log);
      case 'delete':
        await writer.delete(w.type, {
          namespace: a.namespace,
          name: a.live.metadata.name,
          uid: a.live.metadata.uid,
        });
        log.debug({ namespace: a.namespace, reason: a.reason }, 'mirror deleted');
        return 'other';
      case 'conflict':
        await this.conflict(w, source, a.namespace, a.reason);
        return 'conflict';
      case 'error':
        throw new TargetError(a.reason);
    }
  }

  private remember(w: WatchedType, written: KubeObject): void {
    const { namespace, name, resourceVersion } = written.metadata;
    if (!resourceVersion) return;
    if (this.d.recentWrites.size > 100_000) this.d.recentWrites.clear(); // echoes that never came
    this.d.recentWrites.set(`${w.id}|${namespace}/${name}`, resourceVersion);
  }

  /**
   * Create found the name taken by an object the mirror cache has not shown us. Usually it is our own mirror
   * written moments ago (the cache lags the write): read it once and tell apart ours (in sync, or retry once
   * the cache has it) from somebody else's object (a conflict, never touched).
   */
  private async alreadyExists(
    w: WatchedType,
    source: KubeObject,
    namespace: string,
    desiredHash: string,
  ): Promise<'synced' | 'conflict'> {
    const live = await this.d.readSource(w, { typeId: w.id, namespace, name: source.metadata.name });
    if (!live) throw new CacheLagError(`${namespace}/${source.metadata.name} vanished after AlreadyExists`);
    const sourceNs = source.metadata.namespace ?? '';
    const isSourceLive = (ns: string, name: string, uid: string) =>
      w.sources.get(`${ns}/${name}`)?.metadata.uid === uid;
    const ownership = classifyExisting(live, source, this.d.keys, isSourceLive);
    if (ownership === 'owned' || ownership === 'adoptable') {
      const recorded = live.metadata.annotations?.[this.d.keys.contentHash];
      if (
        ownership === 'owned' &&
        recorded === desiredHash &&
        mirrorContentHash(live, this.d.keys) === recorded
      )
        return 'synced';
      throw new CacheLagError(
        `mirror in ${namespace} of ${sourceNs}/${source.metadata.name} not in the cache yet`,
      );
    }
    const why =
      ownership === 'foreign-other-source'
        ? 'a mirror of another source holds this name'
        : 'an object not managed by kubemirror holds this name';
    await this.conflict(w, source, namespace, why);
    return 'conflict';
  }

  private async recreate(
    w: WatchedType,
    source: KubeObject,
    live: KubeObject,
    desired: KubeObject,
    reason: string,
    log: Logger,
  ): Promise<'synced'> {
    await this.d.writer.delete(w.type, {
      namespace: live.metadata.namespace ?? '',
      name: live.metadata.name,
      uid: live.metadata.uid,
    });
    this.remember(w, await this.d.writer.create(w.type, desired));
    log.info({ namespace: live.metadata.namespace, reason }, 'mirror recreated');
    await this.d.events.record(
      w.type,
      source,
      'Normal',
      'MirrorRecreated',
      `mirror in ${live.metadata.namespace} deleted and recreated: ${reason}`,
    );
    return 'synced';
  }

  private async conflict(w: WatchedType, source: KubeObject, ns: string, why: string): Promise<void> {
    await this.d.events.record(w.type, source, 'Warning', 'MirrorConflict', `not mirrored to ${ns}: ${why}`);
  }

  private async fail(
    w: WatchedType,
    source: KubeObject,
    reason: string,
    message: string,
    log: Logger,
  ): Promise<ReconcileResult> {
    this.d.hooks.syncError(reason);
    log.warn({ reason, err: message }, 'source not mirrored');
    const summary = { wanted: 0, synced: 0, conflicts: [], errors: [], fatal: message };
    await this.report(w, source, formatSyncStatus(summary), summary, []);
    return done;
  }

  /** Writes `P/sync-status` only when it changes (a patch, never hashed) and keeps /status coverage. */
  private async report(
    w: WatchedType,
    source: KubeObject,
    line: string,
    summary: {
      wanted: number;
      synced: number;
      conflicts: string[];
      errors: Array<{ namespace: string; reason: string }>;
      fatal?: string;
    },
    skipped: string[],
  ): Promise<void> {
    const ref = { namespace: source.metadata.namespace ?? '', name: source.metadata.name };
    this.d.status.set(w.id, w.type.plural, ref, { ...summary, skipped: skipped.length, line });
    const current = source.metadata.annotations?.[this.d.keys.syncStatus];
    if (current === line) return;
    await this.d.writer.mergePatch(w.type, ref, {
      metadata: { annotations: { [this.d.keys.syncStatus]: line } },
    });
    if (summary.fatal || summary.errors.length > 0 || summary.conflicts.length > 0) {
      await this.d.events.record(
        w.type,
        source,
        'Warning',
        summary.fatal ? 'SyncFailed' : 'SyncPartial',
        line,
      );
    }
  }

  /** Sync off or source deleting: remove every mirror provably ours, then the finalizer. */
  private async cleanupAll(w: WatchedType, source: KubeObject, why: string): Promise<ReconcileResult> {
    const { keys } = this.d;
    const ns = source.metadata.namespace ?? '';
    for (const m of this.d.mirrors.mirrorsOf(w.id, ns, source.metadata.name)) {
      if (!isProvablyMirrorOf(m, ns, source.metadata.name, source.metadata.uid ?? '', keys)) continue;
      await this.d.writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
      });
      this.d.log.info(
        {
          resource: w.type.plural,
          source: `${ns}/${source.metadata.name}`,
          namespace: m.metadata.namespace,
          why,
        },
        'mirror deleted',
      );
    }
    this.d.status.delete(w.id, { namespace: ns, name: source.metadata.name });
    await this.removeFinalizer(w, source);
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
   * which, then delete its mirrors (only those provably from a uid that is not live) and drop our finalizer.
   */
  private async sourceGone(w: WatchedType, ref: SourceRef): Promise<ReconcileResult> {
    this.d.status.delete(w.id, ref);
    const mirrors = this.d.mirrors.mirrorsOf(w.id, ref.namespace, ref.name);
    const mayHoldFinalizer =
      this.d.config().finalizers && w.lastSeenWithFinalizer.has(`${ref.namespace}/${ref.name}`);
    if (mirrors.length === 0 && !mayHoldFinalizer) return done;
    const live = await this.d.readSource(w, ref);
    const liveUid = live?.metadata.uid;
    const stillSource =
      live?.metadata.labels?.[this.d.keys.enabled] === 'true' && !live.metadata.deletionTimestamp;
    if (stillSource) return done; // the cache will see it again; nothing to clean
    for (const m of mirrors) {
      const uid = m.metadata.annotations?.[this.d.keys.sourceUid] ?? '';
      if (!isProvablyMirrorOf(m, ref.namespace, ref.name, uid, this.d.keys)) continue;
      if (live && uid !== liveUid && w.sources.get(`${ref.namespace}/${ref.name}`)) continue;
      await this.d.writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
      });
      this.d.log.info(
        { resource: w.type.plural, source: `${ref.namespace}/${ref.name}`, namespace: m.metadata.namespace },
        'orphaned mirror deleted',
      );
    }
    if (live) await this.removeFinalizer(w, live);
    w.lastSeenWithFinalizer.delete(`${ref.namespace}/${ref.name}`);
    return done;
  }
}

/** Our own write is not in the cache yet: retried with backoff, counted as transient. */
class CacheLagError extends KubemirrorError {
  constructor(message: string) {
    super('Transient', message);
  }
}

class TargetError extends Error {
  readonly reason = 'TransformFailed';
}

function transformContext(source: KubeObject, targetNamespace: string, ns: NamespaceInfo | undefined) {
  return {
    targetNamespace,
    sourceNamespace: source.metadata.namespace ?? '',
    sourceName: source.metadata.name,
    targetName: source.metadata.name,
    labels: source.metadata.labels ?? {},
    annotations: source.metadata.annotations ?? {},
    targetLabels: ns?.labels ?? {},
    targetAnnotations: ns?.annotations ?? {},
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
