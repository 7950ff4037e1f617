import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { buildDesiredMirror } from '../core/desired-mirror.js';
import { InvalidMirrorError } from '../core/desired-validity.js';
import { globMatch } from '../core/glob.js';
import type { MirrorKeys } from '../core/keys.js';
import { isProvablyMirrorOf, writtenByKubemirror } from '../core/ownership.js';
import { type Action, planSource } from '../core/plan.js';
import { neverMirrorReason } from '../core/sanitize.js';
import { readSourceSpec } from '../core/source-spec.js';
import { formatSyncStatus } from '../core/sync-status.js';
import { resolveTargets } from '../core/targeting.js';
import { transformContextFor } from '../core/transform/index.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Writer } from '../kube/writer.js';
import { done, type ReconcileResult } from '../runtime/reconcile-result.js';
import { MirrorActions } from './mirror-actions.js';
import type { MirrorIndex } from './mirror-index.js';
import { parseSourceKey, type SourceRef } from './source-key.js';
import type { SourceStatusStore } from './source-status.js';
import { targetPolicy } from './target-policy.js';
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

/** Failed targets named one Event each (the first ones); the SyncPartial Event counts them all. */
const MAX_TARGET_EVENTS = 10;

/** Thrown when some targets failed transiently: the key is retried with backoff after status is written. */
class PartialFailure extends Error {
  readonly reason = 'PartialFailure';
}

/**
 * Reconciles one source: gather from caches → plan (pure core) → act through the writer → report.
 * Level-based: it reads the current state and never asks which event woke it.
 */
export class SourceReconciler {
  private readonly actions: MirrorActions;

  constructor(private readonly d: SourceReconcilerDeps) {
    this.actions = new MirrorActions(d);
  }

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
    const targets = resolveTargets(source, spec, this.d.namespaces(), targetPolicy(cfg, keys));
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
                const out = transform.program!.apply(
                  obj,
                  transformContextFor(source, ns, nsInfo, keys.prefix),
                  {
                    strict: spec.transformStrict,
                  },
                );
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
          if (err instanceof InvalidMirrorError) return { error: err.message, code: err.reason };
          return { error: err instanceof Error ? err.message : String(err), code: 'TransformFailed' };
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
    const r = await this.actions.run(w, source, actions, log);
    const summary = { wanted, synced: r.synced, conflicts: r.conflicts, errors: r.errors };
    await this.report(w, source, summary, skipped);
    if (r.transient > 0) throw new PartialFailure(`${r.transient} target(s) failed, retrying`);
    return done;
  }

  private async fail(
    w: WatchedType,
    source: KubeObject,
    reason: string,
    message: string,
    log: Logger,
  ): Promise<ReconcileResult> {
    this.d.hooks.syncError(reason);
    const summary = { wanted: 0, synced: 0, conflicts: [], errors: [], fatal: message };
    // said once when it starts (the status annotation and an Event keep saying it), not on every re-check
    const changed = source.metadata.annotations?.[this.d.keys.syncStatus] !== formatSyncStatus(summary);
    log[changed ? 'warn' : 'debug']({ reason, err: message }, 'source not mirrored');
    await this.report(w, source, summary, []);
    return done;
  }

  /**
   * Writes `P/sync-status` only when it changes (a patch, never hashed) and keeps /status coverage. When it
   * changes, Events say what a person must act on with the whole reasons (the line abbreviates): the source
   * failing, each failed target, skipped transform rules.
   */
  private async report(
    w: WatchedType,
    source: KubeObject,
    summary: {
      wanted: number;
      synced: number;
      conflicts: string[];
      errors: Array<{ namespace: string; reason: string; detail?: string; retrying?: boolean }>;
      fatal?: string;
    },
    skipped: string[],
  ): Promise<void> {
    const line = formatSyncStatus({ ...summary, skipped: skipped.length });
    const ref = { namespace: source.metadata.namespace ?? '', name: source.metadata.name };
    this.d.status.set(w.id, w.type.plural, ref, { ...summary, skipped: skipped.length, line });
    const current = source.metadata.annotations?.[this.d.keys.syncStatus];
    if (current === line) return;
    await this.d.writer.mergePatch(w.type, ref, {
      metadata: { annotations: { [this.d.keys.syncStatus]: line } },
    });
    const { events } = this.d;
    if (summary.fatal) await events.record(w.type, source, 'Warning', 'SyncFailed', summary.fatal);
    else if (summary.errors.length > 0 || summary.conflicts.length > 0)
      await events.record(w.type, source, 'Warning', 'SyncPartial', line);
    for (const e of summary.errors.filter((x) => !x.retrying).slice(0, MAX_TARGET_EVENTS))
      await events.record(
        w.type,
        source,
        'Warning',
        'MirrorFailed',
        `not mirrored to ${e.namespace}: ${e.detail ?? e.reason}`,
      );
    if (skipped.length > 0) {
      const n = skipped.length;
      await events.record(
        w.type,
        source,
        'Warning',
        'TransformRuleSkipped',
        `${n} transform rule${n === 1 ? '' : 's'} skipped: ${skipped.join('; ')}`,
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
   * which, then delete its mirrors and drop our finalizer. A mirror is this source's when it names the uid
   * of the source (live, or last seen in the cache); one naming another uid is collected only with proof
   * that kubemirror wrote it (an orphan of an earlier incarnation, e.g. after downtime), otherwise it is
   * someone's copy or a forgery: left alone and reported.
   */
  private async sourceGone(w: WatchedType, ref: SourceRef): Promise<ReconcileResult> {
    this.d.status.delete(w.id, ref);
    const key = `${ref.namespace}/${ref.name}`;
    const seen = w.lastSeen.get(key);
    const mirrors = this.d.mirrors.mirrorsOf(w.id, ref.namespace, ref.name);
    const mayHoldFinalizer = this.d.config().finalizers && seen?.finalizer === true;
    if (mirrors.length === 0 && !mayHoldFinalizer) {
      w.lastSeen.delete(key);
      return done;
    }
    const live = await this.d.readSource(w, ref);
    const stillSource =
      live?.metadata.labels?.[this.d.keys.enabled] === 'true' && !live.metadata.deletionTimestamp;
    if (stillSource) return done; // the cache will see it again; nothing to clean
    const knownUid = live?.metadata.uid ?? seen?.uid;
    for (const m of mirrors) {
      const uid = m.metadata.annotations?.[this.d.keys.sourceUid] ?? '';
      if (!isProvablyMirrorOf(m, ref.namespace, ref.name, uid, this.d.keys)) continue;
      if (w.sources.get(key)?.metadata.uid === uid) continue; // a new incarnation owns it now
      const log = { resource: w.type.plural, source: key, namespace: m.metadata.namespace, uid };
      if (uid !== knownUid && !writtenByKubemirror(m, this.d.keys)) {
        this.d.hooks.conflict(w.type.plural);
        this.d.log.warn(
          log,
          'object labelled as a mirror of a deleted source but not written by kubemirror: left alone',
        );
        continue;
      }
      await this.d.writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
      });
      this.d.log.info(
        log,
        uid === knownUid ? 'mirror of a deleted source deleted' : 'orphaned mirror deleted',
      );
    }
    if (live) await this.removeFinalizer(w, live);
    w.lastSeen.delete(key);
    return done;
  }
}
