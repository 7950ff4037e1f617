import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { decideGone, type StatusReport } from '../core/decide.js';
import type { MirrorKeys } from '../core/keys.js';
import { MIRROR_POLICIES } from '../core/mirror-policy.js';
import type { KubeObject } from '../core/types.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import { done, type ReconcileResult, requeueAfter } from '../runtime/reconcile-result.js';
import { type EventSink, MirrorActions, type MirrorActionsDeps } from './mirror-actions.js';
import type { MirrorIndex } from './mirror-index.js';
import type { PolicyController } from './policy-controller.js';
import type { PolicyObjectEntry } from './policy-status.js';
import type { PolicySourceView } from './policy-view.js';
import { type RemoteCluster, remoteMirrorsOf } from './remote-clusters.js';
import type { Governor } from './source-governor.js';
import { type PolicySourceRef, policyKey } from './source-key.js';
import { fightPolicy } from './target-policy.js';
import { sourceContentHash } from './type-watcher.js';
import type { WatchedType } from './watched-type.js';

/** What the policy side of the source reconciler uses: the executor's needs, the policies, the queue of policies. */
export interface PolicySourceDeps
  extends Omit<MirrorActionsDeps, 'events' | 'fightPolicy' | 'hooks' | 'where'> {
  config: () => Config;
  watchedType: (typeId: string) => WatchedType | undefined;
  policies: PolicyController;
  /** a policy key for the policy queue (its status is recounted) */
  enqueuePolicy: (key: string) => void;
  events: EventRecorder;
  mirrors: MirrorIndex;
  remotes: () => readonly RemoteCluster[];
  hooks: MirrorActionsDeps['hooks'] & {
    syncError(reason: string, controller?: 'source' | 'policy'): void;
    propagated(resource: string, seconds: number): void;
  };
  log: Logger;
  now: () => Date;
}

/** What it borrows from the source reconciler: the one decide-and-act path, and executors in other clusters. */
export interface SourcePath {
  decideAndAct(w: WatchedType, source: KubeObject, g: Governor, log: Logger): Promise<ReconcileResult>;
  executorIn(
    c: RemoteCluster,
    keys: MirrorKeys,
    events: EventSink,
    hooks: MirrorActionsDeps['hooks'],
  ): MirrorActions;
}

/** How soon an object whose released mirrors may be in a cluster that is down is looked at again. */
const UNAVAILABLE_RECHECK_MS = 30_000;

/**
 * The objects MirrorPolicies select, as sources of the source reconciler (SPEC §11): what `PolicyController.view`
 * allows is done through the same decide-and-act path as an annotated source, with the policy as its governor
 * (status and Events on the policy, mirrors marked `P/policy`, the object never written), or the policy's own
 * mirrors of an object it no longer governs are deleted.
 */
export class PolicySourceReconciler {
  /** per MirrorPolicy (`ns/name`): its executors, here and in each other cluster */
  private readonly policyActions = new Map<
    string,
    { local: MirrorActions; remote: WeakMap<RemoteCluster, MirrorActions> }
  >();

  constructor(
    private readonly d: PolicySourceDeps,
    private readonly run: SourcePath,
  ) {}

  /**
   * One object a MirrorPolicy selects (SPEC §11). Governed by the policy: decided like an annotated source, with
   * the policy's spec and keys. Not governed (no longer selected, its own annotations or an older policy govern
   * it, the policy gone): the mirrors the policy made of it go. A policy with a problem changes nothing.
   */
  async reconcile(ref: PolicySourceRef): Promise<ReconcileResult> {
    const w = this.d.watchedType(ref.typeId);
    const policies = this.d.policies;
    if (!w) return done;
    const view = policies.view(ref);
    const log = this.d.log.child({
      resource: w.type.plural,
      policy: `${ref.namespace}/${ref.policy}`,
      key: `${ref.namespace}/${ref.name}`,
    });
    switch (view.state) {
      case 'wait':
        log.debug({ why: view.why }, 'policy source not decided yet');
        return done;
      case 'frozen':
        log.debug({ why: view.why }, 'policy has a problem: nothing written or deleted');
        return done;
      case 'released':
        return this.release(w, ref, view, log);
      case 'governed': {
        // one GET before fanning out, as for annotated sources, when a lagging cache must never write stale content
        let object = view.object;
        if (this.d.config().verifySourceFreshness) {
          const fresh = await this.d.readSource(w, {
            typeId: w.id,
            namespace: ref.namespace,
            name: ref.name,
          });
          if (!fresh || fresh.metadata.uid !== object.metadata.uid) return done; // the watch brings the change
          object = fresh;
        }
        return this.run.decideAndAct(w, object, this.governor(ref, view), log);
      }
    }
  }

  /** The governor of an object `view.policy` governs: its keys, its spec, its status and Events on the policy. */
  private governor(ref: PolicySourceRef, view: Extract<PolicySourceView, { state: 'governed' }>): Governor {
    const pk = `${ref.namespace}/${ref.policy}`;
    const events: EventSink = {
      record: (_t, obj, type, reason, message) =>
        this.d.events.record(
          MIRROR_POLICIES,
          view.policy,
          type,
          reason,
          `${obj.kind} ${obj.metadata.name}: ${message}`,
        ),
    };
    const hooks = {
      ...this.d.hooks,
      syncError: (reason: string) => this.d.hooks.syncError(reason, 'policy'),
    };
    let entry = this.policyActions.get(pk);
    if (!entry) {
      entry = {
        local: new MirrorActions({
          ...this.d,
          keys: view.keys,
          events,
          hooks,
          fightPolicy: () => fightPolicy(this.d.config()),
        }),
        remote: new WeakMap(),
      };
      this.policyActions.set(pk, entry);
    }
    const cached = entry;
    const results = this.d.policies.results;
    return {
      keys: view.keys,
      spec: view.spec,
      transform: view.transform,
      finalizers: false,
      controller: 'policy',
      actions: cached.local,
      actionsIn: (c) => {
        let a = cached.remote.get(c);
        if (!a) {
          a = this.run.executorIn(c, view.keys, events, hooks);
          cached.remote.set(c, a);
        }
        return a;
      },
      lastLine: () => results?.get(ref)?.line,
      report: (_w, source, report, failure) => this.report(ref, view.policy, source, report, failure),
      synced: (w, source, lastWriteAt) => {
        const arrival = this.d.policies.takeArrival(ref, sourceContentHash(source, this.d.keys));
        let seconds: number | undefined;
        if (arrival && lastWriteAt !== undefined) {
          seconds = Math.max(0, lastWriteAt - arrival.at) / 1000;
          this.d.hooks.propagated(w.type.plural, seconds);
        }
        results?.synced(ref, this.d.now(), seconds);
      },
      forgetStatus: () => {
        if (results?.delete(ref)) this.d.enqueuePolicy(policyKey(ref.namespace, ref.policy));
      },
    };
  }

  /** A policy source's status goes to the policy (recounted when it changes); its Events too, when the line changes. */
  private async report(
    ref: PolicySourceRef,
    policy: KubeObject,
    source: KubeObject,
    report: StatusReport,
    failure?: { reason: string },
  ): Promise<void> {
    const results = this.d.policies.results;
    if (!results) return;
    const s = report.summary;
    const base = { typeId: ref.typeId, kind: source.kind, name: source.metadata.name, line: report.line };
    const entry: PolicyObjectEntry = failure
      ? { ...base, state: 'failed', reason: failure.reason, message: s.fatal ?? report.line }
      : {
          ...base,
          state: 'decided',
          summary: {
            wanted: s.wanted,
            synced: s.synced,
            conflicts: [...s.conflicts],
            errors: s.errors.map((e) => ({ namespace: e.namespace, reason: e.reason })),
            ...(s.skipped ? { skipped: s.skipped } : {}),
            ...(s.fighting?.length ? { fighting: [...s.fighting] } : {}),
          },
        };
    const before = results.get(ref)?.line;
    if (results.set(ref, entry)) this.d.enqueuePolicy(policyKey(ref.namespace, ref.policy));
    if (before === report.line) return;
    for (const e of report.events)
      await this.d.events.record(
        MIRROR_POLICIES,
        policy,
        e.type,
        e.reason,
        `${source.kind} ${source.metadata.name}: ${e.message}`,
      );
  }

  /**
   * The policy does not govern the object (any more): the mirrors it made of it are deleted, those another
   * governor took over are not (each delete is of the version judged, so a takeover in between answers Conflict).
   */
  private async release(
    w: WatchedType,
    ref: PolicySourceRef,
    view: Extract<PolicySourceView, { state: 'released' }>,
    log: Logger,
  ): Promise<ReconcileResult> {
    const policies = this.d.policies;
    const marked = (m: KubeObject) => m.metadata.annotations?.[this.d.keys.policy] === ref.policy;
    const mirrors = this.d.mirrors.mirrorsOf(w.id, ref.namespace, ref.name).filter(marked);
    const now = this.d.now().getTime();
    const remote = remoteMirrorsOf(this.d.remotes(), w.id, ref, marked, now);
    const lastSeenUid = view.object?.metadata.uid ?? view.lastSeenUid;
    const decision = decideGone({
      ref: { namespace: ref.namespace, name: ref.name },
      mirrors,
      live: null,
      lastSeenUid,
      cachedUid: undefined,
      keys: view.keys,
      clusterName: this.d.config().clusterName,
      remote,
    });
    for (const { mirror: m, cluster } of decision.leftAlone) {
      this.d.hooks.conflict(w.type.plural);
      log.warn(
        { cluster, namespace: m.metadata.namespace },
        'object marked as this policy’s mirror but not written by kubemirror: left alone',
      );
    }
    for (const { mirror: m, cluster } of decision.deletes) {
      const writer = cluster ? this.d.remotes().find((c) => c.name === cluster)?.writer : this.d.writer;
      if (!writer) continue;
      await writer.delete(w.type, {
        namespace: m.metadata.namespace ?? '',
        name: m.metadata.name,
        uid: m.metadata.uid,
        resourceVersion: m.metadata.resourceVersion,
      });
      log.info(
        { cluster, namespace: m.metadata.namespace, why: view.why },
        'mirror of a policy source deleted',
      );
    }
    if (decision.waitingFor.length > 0) return requeueAfter(UNAVAILABLE_RECHECK_MS);
    const results = policies?.results;
    const pk = policyKey(ref.namespace, ref.policy);
    if (view.skipped && view.policy && view.object) {
      const prev = results?.get(ref);
      const entry: PolicyObjectEntry = {
        typeId: ref.typeId,
        kind: view.object.kind,
        name: ref.name,
        state: 'skipped',
        why: view.skipped.why,
      };
      if (results?.set(ref, entry)) {
        this.d.enqueuePolicy(pk);
        if (view.skipped.olderPolicy && (prev?.state !== 'skipped' || prev.why !== entry.why))
          await this.d.events.record(
            MIRROR_POLICIES,
            view.policy,
            'Warning',
            'PolicyOverlap',
            `${view.object.kind} ${ref.name} is also selected by the older MirrorPolicy ${view.skipped.olderPolicy}, which governs it; this policy leaves it alone`,
          );
      }
    } else if (results?.delete(ref)) this.d.enqueuePolicy(pk);
    if (!view.object) policies?.forgetSeen(ref);
    if (view.why === 'policy deleted') this.policyActions.delete(`${ref.namespace}/${ref.policy}`);
    return done;
  }
}
