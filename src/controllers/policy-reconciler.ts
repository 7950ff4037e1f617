import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { type MirrorKeys, withOrigin, withPolicy } from '../core/keys.js';
import { MIRROR_POLICIES } from '../core/mirror-policy.js';
import {
  type MirrorPolicyStatus,
  type PolicyObjectResult,
  policyStatus,
  type ReadyCondition,
  sameStatus,
} from '../core/mirror-policy-status.js';
import { isProvablyMirrorOf, writtenByKubemirror } from '../core/ownership.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import type { Writer } from '../kube/writer.js';
import { done, type ReconcileResult, requeueAfter } from '../runtime/reconcile-result.js';
import { runLimited } from '../runtime/run-limited.js';
import { FANOUT_CONCURRENCY } from './mirror-actions.js';
import type { MirrorIndex } from './mirror-index.js';
import type { PolicyController } from './policy-controller.js';
import type { RemoteCluster } from './remote-clusters.js';
import type { PolicyRef } from './source-key.js';
import type { WatchedType } from './watched-type.js';

export interface PolicyReconcilerDeps {
  policies: PolicyController;
  keys: MirrorKeys;
  config: () => Config;
  writer: Writer;
  events: EventRecorder;
  watchedTypes: () => WatchedType[];
  index: MirrorIndex;
  remotes: () => readonly RemoteCluster[];
  log: Logger;
  now: () => Date;
}

/** How soon a deleted policy whose mirrors may be in a cluster that is down is looked at again. */
const UNAVAILABLE_RECHECK_MS = 30_000;

/**
 * Reconciles one MirrorPolicy object (SPEC §11): its finalizer (added before any mirror of it is written, removed
 * once every mirror it made is gone) and its status, computed from what its selected objects' decisions came to
 * (policy-status.ts) and written to the status subresource only when it changes. The selected objects themselves
 * are decided by the source reconciler; nothing here writes a mirror except deleting a deleted policy's.
 */
export class PolicyReconciler {
  /**
   * per policy uid: the status this reconciler last wrote and the resourceVersion it was based on. The cache may
   * still hold the policy from before that write: what it says then is not what the server holds.
   */
  private readonly written = new Map<string, { status: MirrorPolicyStatus; basedOn?: string }>();

  constructor(private readonly d: PolicyReconcilerDeps) {}

  /** The status the server holds, as far as this replica knows: its cache, unless the cache predates our write. */
  private currentStatus(p: KubeObject): unknown {
    const mine = this.written.get(p.metadata.uid ?? '');
    return mine && mine.basedOn === p.metadata.resourceVersion ? mine.status : p.status;
  }

  async reconcile(ref: PolicyRef): Promise<ReconcileResult> {
    const p = this.d.policies.policy(ref.namespace, ref.policy);
    if (!p) {
      // gone: its selected objects' keys were queued by the delete event and remove what is left (orphans)
      this.d.policies.results.dropPolicy(ref.namespace, ref.policy);
      return done;
    }
    if (p.metadata.deletionTimestamp) return this.cleanup(p);
    const cfg = this.d.config();
    if (cfg.finalizers && !(p.metadata.finalizers ?? []).includes(this.d.keys.finalizer)) {
      // before the first mirror of it is written; the update event brings the policy and its objects back
      await this.d.writer.mergePatch(
        MIRROR_POLICIES,
        { namespace: ref.namespace, name: ref.policy },
        {
          metadata: {
            resourceVersion: p.metadata.resourceVersion,
            finalizers: [...(p.metadata.finalizers ?? []), this.d.keys.finalizer],
          },
        },
      );
      return done;
    }
    const analysis = this.d.policies.analyze(p);
    const results: PolicyObjectResult[] = [];
    if (analysis.problems.length === 0) {
      // counted once every selected object has been decided (each one that reports queues the policy again)
      if (!this.d.policies.selectionsSynced(ref.namespace, ref.policy)) return done;
      const entries = this.d.policies.results.entries(ref.namespace, ref.policy);
      for (const { typeId, object } of this.d.policies.selected(ref.namespace, ref.policy)) {
        const e = entries.get(`${typeId}/${object.metadata.name}`);
        if (!e) return done;
        results.push(e);
      }
    }
    const current = this.currentStatus(p);
    const status = policyStatus({
      generation: p.metadata.generation ?? 0,
      problems: analysis.problems,
      results,
      previous: readyOf(current),
      now: this.d.now(),
    });
    this.d.policies.results.setStatus(ref.namespace, ref.policy, status);
    if (sameStatus(current, status)) return done;
    await this.d.writer.mergePatch(
      MIRROR_POLICIES,
      { namespace: ref.namespace, name: ref.policy },
      { status },
      'status',
    );
    this.written.set(p.metadata.uid ?? '', {
      status,
      ...(p.metadata.resourceVersion ? { basedOn: p.metadata.resourceVersion } : {}),
    });
    await this.announce(
      readyOf(current),
      p,
      status,
      analysis.problems.map((x) => x.message),
    );
    return done;
  }

  /** An Event when the Ready condition changes: what a person must act on, with the whole reason. */
  private async announce(
    before: Partial<ReadyCondition> | undefined,
    p: KubeObject,
    status: MirrorPolicyStatus,
    problems: string[],
  ): Promise<void> {
    const now = status.conditions[0];
    if (!now || (before?.reason === now.reason && before.status === now.status)) return;
    if (now.status === 'True') {
      if (before) await this.d.events.record(MIRROR_POLICIES, p, 'Normal', 'Synced', now.message);
      return;
    }
    const message = problems.length > 0 ? problems.join('; ') : now.message;
    this.d.log.warn(
      { policy: `${p.metadata.namespace}/${p.metadata.name}`, reason: now.reason, err: message },
      'policy not ready',
    );
    await this.d.events.record(MIRROR_POLICIES, p, 'Warning', now.reason, message);
  }

  /** The policy is being deleted: every mirror it made goes, in every cluster, then its finalizer. */
  private async cleanup(p: KubeObject): Promise<ReconcileResult> {
    const ns = p.metadata.namespace ?? '';
    const name = p.metadata.name;
    const keys = withPolicy(this.d.keys, name);
    const clusterName = this.d.config().clusterName;
    const waiting: string[] = [];
    const now = this.d.now().getTime();
    const sweep = async (index: MirrorIndex, k: MirrorKeys, writer: Writer, cluster?: string) => {
      const doomed: Array<{ w: WatchedType; m: KubeObject }> = [];
      for (const w of this.d.watchedTypes())
        for (const src of index.sources(w.id)) {
          if (!src.startsWith(`${ns}/`)) continue;
          for (const m of index.mirrorsOf(w.id, ns, src.slice(ns.length + 1))) {
            const uid = m.metadata.annotations?.[k.sourceUid] ?? '';
            if (isProvablyMirrorOf(m, ns, m.metadata.name, uid, k) && writtenByKubemirror(m, k))
              doomed.push({ w, m });
          }
        }
      // as many in flight as a fan-out writes (mirror-actions.ts)
      await runLimited(doomed, FANOUT_CONCURRENCY, async ({ w, m }) => {
        await writer.delete(w.type, {
          namespace: m.metadata.namespace ?? '',
          name: m.metadata.name,
          uid: m.metadata.uid,
          resourceVersion: m.metadata.resourceVersion,
        });
        this.d.log.info(
          { policy: `${ns}/${name}`, cluster, namespace: m.metadata.namespace, resource: w.type.plural },
          'mirror of a deleted MirrorPolicy deleted',
        );
      });
    };
    await sweep(this.d.index, keys, this.d.writer);
    for (const c of this.d.remotes()) {
      if (c.unavailable(now) !== null) waiting.push(c.name);
      else await sweep(c.cache.index, withOrigin(keys, clusterName), c.writer, c.name);
    }
    if (waiting.length > 0) {
      this.d.log.info(
        { policy: `${ns}/${name}`, clusters: waiting },
        'finalizer kept until these clusters can be cleaned up',
      );
      return requeueAfter(UNAVAILABLE_RECHECK_MS);
    }
    this.d.policies.results.dropPolicy(ns, name);
    this.written.delete(p.metadata.uid ?? '');
    const finalizers = p.metadata.finalizers ?? [];
    if (!finalizers.includes(this.d.keys.finalizer)) return done;
    try {
      await this.d.writer.mergePatch(
        MIRROR_POLICIES,
        { namespace: ns, name },
        {
          metadata: {
            resourceVersion: p.metadata.resourceVersion,
            finalizers: finalizers.filter((f) => f !== this.d.keys.finalizer),
          },
        },
      );
    } catch (err) {
      if (classifyApiError(err).reason !== 'NotFound') throw err;
    }
    return done;
  }
}

function readyOf(status: unknown): Partial<ReadyCondition> | undefined {
  const conditions = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => (c as { type?: string })?.type === 'Ready') as
    | Partial<ReadyCondition>
    | undefined;
}
