import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { MirrorKeys } from '../core/keys.js';
import { MIRROR_POLICIES, type PolicyRef } from '../core/mirror-policy.js';
import type { SourceSpec } from '../core/source-spec.js';
import { newTransformCache } from '../core/transform-cache.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import type { Clock } from '../runtime/clock.js';
import { Informer, type RestartReason } from '../runtime/informer.js';
import { statusCodeOf } from '../runtime/list-watch.js';
import type { MirrorIndex } from './mirror-index.js';
import { analyzePolicy, type PolicyAnalysis } from './policy-analysis.js';
import { PolicySelections } from './policy-selections.js';
import { PolicyResultStore, statusEntries } from './policy-status.js';
import { type PolicySourceView, policySourceView } from './policy-view.js';
import { type PolicySourceRef, policyKey, policySourceKey } from './source-key.js';
import type { SourceStatusEntry } from './source-status.js';
import type { WatchedType } from './watched-type.js';

export interface PolicyControllerDeps {
  client: KubeClient;
  keys: MirrorKeys;
  config: () => Config;
  clock: Clock;
  log: Logger;
  watched: (typeId: string) => WatchedType | undefined;
  watchedTypes: () => WatchedType[];
  /** the mirror indexes to look for marked mirrors in: this cluster's, then each other cluster's */
  indexes: () => MirrorIndex[];
  /** a policy source key for the source queue */
  enqueueSource: (key: string) => void;
  /** a policy key for the policy queue */
  enqueuePolicy: (key: string) => void;
  watchRestart: (resource: string, reason: RestartReason) => void;
}

/** How long the first sync waits for the selections of the policies there are at start-up. */
const SELECTIONS_GRACE_MS = 30_000;

/** How often the API is asked again whether MirrorPolicies are served, while they are not. */
const PROBE_RETRY_MS = 30_000;

/**
 * The caches of MirrorPolicies (SPEC §11): one cluster-wide watch of the policies (once the CRD is served) and the
 * selection watches of each (policy-selections.ts). Handlers only map events to keys: the policy's own (the policy
 * queue: finalizer, cleanup, status) and its selected objects' (the source queue: the one decision). `view` tells
 * the source reconciler what it may do with a selected object; nothing here writes.
 */
export class PolicyController {
  readonly results = new PolicyResultStore();
  private readonly selections: PolicySelections;
  private informer: Informer<KubeObject> | null = null;
  private signal: AbortSignal | null = null;
  private probed = false;
  private probeTimer: unknown = null;
  private latched = false;
  private probing: Promise<void> = Promise.resolve();
  private listedAt: number | undefined;
  private typesVersion = 0;
  private readonly analyses = new WeakMap<KubeObject, { version: number; analysis: PolicyAnalysis }>();
  private readonly transforms = newTransformCache();

  constructor(private readonly d: PolicyControllerDeps) {
    this.selections = new PolicySelections({
      client: d.client,
      keys: d.keys,
      clock: d.clock,
      changed: (pk, typeId, name) => this.objectChanged(pk, typeId, name),
      synced: (pk) => this.selectionSynced(pk),
      onRestart: d.watchRestart,
    });
  }

  /** Finds out whether MirrorPolicies are served and, if so, starts watching them. */
  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    await this.probe();
  }

  async stop(): Promise<void> {
    if (this.probeTimer) this.d.clock.clearTimeout(this.probeTimer);
    await this.informer?.stop();
    await this.selections.stop();
  }

  /** True once the policies (when served) and the selections of those present at the start have listed. */
  hasSynced(): boolean {
    if (!this.probed) return false;
    if (!this.informer) return true;
    if (!this.informer.hasSynced()) return false;
    // a selection that cannot list (a kind going away) must not hold every source's workers back for long
    this.listedAt ??= this.d.clock.now();
    if (!this.latched)
      this.latched = this.selections.allSynced() || this.d.clock.now() - this.listedAt > SELECTIONS_GRACE_MS;
    return this.latched;
  }

  brokenSince(): number | null {
    const a = this.informer?.brokenSince() ?? null;
    const b = this.selections.brokenSince();
    if (a === null) return b;
    if (b === null) return a;
    return Math.min(a, b);
  }

  /** The watched types changed (a CRD came or went): selections are resolved again, the API probed again. */
  typesChanged(): void {
    this.typesVersion++;
    void this.probe();
    for (const p of this.informer?.list() ?? []) this.ensureWatches(p);
    for (const p of this.informer?.list() ?? []) this.d.enqueuePolicy(keyOf(p));
  }

  /**
   * Discovery looked at the API again (a CRD came or went, or the periodic refresh): while MirrorPolicies are
   * not served, ask at once whether they are now, rather than at the next 30 s retry.
   */
  typesRefreshed(): void {
    if (!this.informer) void this.probe();
  }

  /** Every policy, every object it selects and every mirror marked as a policy's, decided again. */
  resyncAll(): void {
    for (const p of this.informer?.list() ?? []) {
      this.d.enqueuePolicy(keyOf(p));
      this.enqueueObjectsOf(p.metadata.namespace ?? '', p.metadata.name);
    }
    for (const m of this.markedMirrors())
      this.d.enqueueSource(policySourceKey(m.namespace, m.policy, m.typeId, m.name));
  }

  policy(namespace: string, name: string): KubeObject | undefined {
    return this.informer?.get(`${namespace}/${name}`);
  }

  policies(): KubeObject[] {
    return this.informer?.list() ?? [];
  }

  /** The objects the policy selects now (for its status: an object no longer selected is not counted). */
  selected(namespace: string, name: string): Array<{ typeId: string; object: KubeObject }> {
    return this.selections.selected(policyKey(namespace, name));
  }

  selectionsSynced(namespace: string, name: string): boolean {
    return this.selections.synced(policyKey(namespace, name));
  }

  /** When new content of a selected object arrived (propagation), taken once its fan-out is written. */
  takeArrival(ref: PolicySourceRef, hash: string): { at: number } | undefined {
    const k = `${policyKey(ref.namespace, ref.policy)}|${ref.typeId}/${ref.name}`;
    const a = this.selections.arrivals.get(k);
    if (!a || a.hash !== hash) return undefined;
    this.selections.arrivals.delete(k);
    return a;
  }

  /** Policy source keys whose last result names `namespace` as a conflict or error. */
  mentioningKeys(namespace: string): string[] {
    return this.results
      .mentioning(namespace)
      .map((r) => policySourceKey(r.namespace, r.policy, r.typeId, r.name));
  }

  /** The objects policies govern, as `/status` lists sources (with the policy that governs each). */
  sourceEntries(): SourceStatusEntry[] {
    return statusEntries(this.results, (typeId) => this.d.watched(typeId)?.type.plural);
  }

  /** `/status` `policies`: every policy with its last status and its sources. */
  statusSnapshot() {
    return this.results.snapshot();
  }

  /** The object left the policy's selection and its mirrors are gone: its last seen uid is not needed. */
  forgetSeen(ref: PolicySourceRef): void {
    this.selections.forgetSeen(policyKey(ref.namespace, ref.policy), ref.typeId, ref.name);
  }

  /** What the policy asks for, checked; memoised per policy version and set of watched types. */
  analyze(policy: KubeObject): PolicyAnalysis {
    const hit = this.analyses.get(policy);
    if (hit && hit.version === this.typesVersion) return hit.analysis;
    const analysis = analyzePolicy(policy, {
      config: this.d.config(),
      watchedTypes: this.d.watchedTypes(),
      prefix: this.d.keys.prefix,
      transforms: this.transforms,
    });
    this.analyses.set(policy, { version: this.typesVersion, analysis });
    return analysis;
  }

  /** What the source reconciler may do with one selected object; from the caches only. */
  view(ref: PolicySourceRef): PolicySourceView {
    const pk = policyKey(ref.namespace, ref.policy);
    return policySourceView(ref, {
      keys: this.d.keys,
      finalizers: this.d.config().finalizers,
      policiesListed: this.informer?.hasSynced() ?? false,
      policy: this.informer?.get(`${ref.namespace}/${ref.policy}`),
      analyze: (p) => this.analyze(p),
      namespaceListed: () => this.namespaceListed(ref.namespace),
      selected: () => this.selections.find(pk, ref.typeId, ref.name),
      selecting: () => this.selecting(ref.namespace, ref.typeId, ref.name),
      lastSeenUid: this.selections.lastSeenUid(pk, ref.typeId, ref.name),
    });
  }

  /** The object a policy governs under this key and the spec it is decided with (for the event mappers). */
  governed(
    namespace: string,
    policy: string,
    typeId: string,
    name: string,
  ): { object: KubeObject; spec: SourceSpec } | null {
    const v = this.view({ namespace, policy, typeId, name });
    return v.state === 'governed' ? { object: v.object, spec: v.spec } : null;
  }

  /** Every object some policy governs now, with its key and spec (a namespace event asks which want it). */
  *governedAll(): Iterable<{ key: string; object: KubeObject; spec: SourceSpec }> {
    for (const p of this.informer?.list() ?? []) {
      const ns = p.metadata.namespace ?? '';
      for (const { typeId, object } of this.selections.selected(keyOf(p))) {
        const ref = { namespace: ns, policy: p.metadata.name, typeId, name: object.metadata.name };
        const v = this.view(ref);
        if (v.state === 'governed')
          yield {
            key: policySourceKey(ns, p.metadata.name, typeId, object.metadata.name),
            object,
            spec: v.spec,
          };
      }
    }
  }

  /** Policy source keys of the policy-marked mirrors in namespace `target` (of this cluster's index or another's). */
  markedMirrorKeysIn(index: MirrorIndex, target: string): string[] {
    const out: string[] = [];
    for (const w of this.d.watchedTypes())
      for (const ref of index.sourcesWithMirrorIn(w.id, target)) {
        const slash = ref.indexOf('/');
        const [ns, name] = [ref.slice(0, slash), ref.slice(slash + 1)];
        for (const m of index.mirrorsOf(w.id, ns, name)) {
          const mark = m.metadata.annotations?.[this.d.keys.policy];
          if (mark && m.metadata.namespace === target) out.push(policySourceKey(ns, mark, w.id, name));
        }
      }
    return out;
  }

  /** Whether the selections of every policy in `namespace` have listed. */
  private namespaceListed(namespace: string): boolean {
    for (const p of this.informer?.list() ?? [])
      if (p.metadata.namespace === namespace && !this.selections.synced(keyOf(p))) return false;
    return true;
  }

  /** The policies in `namespace` that select this object now (deleting ones too: a policy governs until gone). */
  private selecting(namespace: string, typeId: string, name: string): PolicyRef[] {
    const out: PolicyRef[] = [];
    for (const p of this.informer?.list() ?? []) {
      if (p.metadata.namespace !== namespace) continue;
      if (this.selections.find(keyOf(p), typeId, name))
        out.push({
          name: p.metadata.name,
          ...(p.metadata.creationTimestamp ? { creationTimestamp: p.metadata.creationTimestamp } : {}),
        });
    }
    return out;
  }

  /** Every policy-marked mirror in every index: `{namespace, policy, typeId, name}` of the object it mirrors. */
  private *markedMirrors(namespace?: string, policy?: string) {
    for (const index of this.d.indexes())
      for (const w of this.d.watchedTypes())
        for (const ref of index.sources(w.id)) {
          const slash = ref.indexOf('/');
          const ns = ref.slice(0, slash);
          if (namespace !== undefined && ns !== namespace) continue;
          const name = ref.slice(slash + 1);
          const marks = new Set<string>();
          for (const m of index.mirrorsOf(w.id, ns, name)) {
            const mark = m.metadata.annotations?.[this.d.keys.policy];
            if (mark && (policy === undefined || mark === policy)) marks.add(mark);
          }
          for (const mark of marks) yield { namespace: ns, policy: mark, typeId: w.id, name };
        }
  }

  /** Every object the policy selects and every one it has marked mirrors of goes to the source queue. */
  private enqueueObjectsOf(namespace: string, name: string): void {
    for (const { typeId, object } of this.selections.selected(policyKey(namespace, name)))
      this.d.enqueueSource(policySourceKey(namespace, name, typeId, object.metadata.name));
    for (const m of this.markedMirrors(namespace, name))
      this.d.enqueueSource(policySourceKey(m.namespace, m.policy, m.typeId, m.name));
  }

  /** A policy came, changed or went: it and every policy of its namespace (governance may change) again. */
  private policyChanged(p: KubeObject): void {
    const ns = p.metadata.namespace ?? '';
    this.d.enqueuePolicy(keyOf(p));
    for (const other of this.informer?.list() ?? [])
      if (other.metadata.namespace === ns) this.enqueueObjectsOf(ns, other.metadata.name);
    this.enqueueObjectsOf(ns, p.metadata.name);
  }

  private objectChanged(pk: string, typeId: string, name: string): void {
    const ns = pk.slice('policy:'.length, pk.indexOf('/'));
    // every policy of the namespace that selects it (or did): who governs may have changed
    for (const p of this.informer?.list() ?? [])
      if (p.metadata.namespace === ns)
        this.d.enqueueSource(policySourceKey(ns, p.metadata.name, typeId, name));
    this.d.enqueueSource(`${pk}/${typeId}/${name}`);
  }

  /** A policy's selections listed: its objects, and those of its namespace's others (which waited), again. */
  private selectionSynced(pk: string): void {
    const p = this.informer?.get(pk.slice('policy:'.length));
    this.d.enqueuePolicy(pk);
    if (p) this.policyChanged(p);
  }

  private ensureWatches(p: KubeObject): void {
    if (!this.signal) return;
    const a = this.analyze(p);
    this.selections.ensure(keyOf(p), p.metadata.namespace ?? '', a.resolved, this.signal);
  }

  /** Whether the API serves MirrorPolicies: starts (or stops) the policy watch accordingly. One at a time. */
  private probe(): Promise<void> {
    const next = this.probing.then(() => this.probeOnce());
    this.probing = next.catch(() => {});
    return next;
  }

  private async probeOnce(): Promise<void> {
    const signal = this.signal;
    if (!signal || signal.aborted) return;
    let served = false;
    try {
      const body = await this.d.client.request<{ resources?: Array<{ name?: string }> }>({
        method: 'GET',
        path: `/apis/${MIRROR_POLICIES.group}/${MIRROR_POLICIES.version}`,
        verb: 'get',
        resource: 'discovery',
      });
      served = (body?.resources ?? []).some((r) => r.name === MIRROR_POLICIES.plural);
    } catch (err) {
      const e = classifyApiError(err);
      if (e.reason !== 'NotFound')
        this.d.log.warn({ err: e.message }, 'cannot tell whether MirrorPolicies are served');
    }
    this.probed = true;
    if (served && !this.informer) this.startInformer(signal);
    else if (!served && this.informer) {
      this.d.log.info('MirrorPolicies are no longer served: policy watches stopped');
      const old = this.informer;
      this.informer = null;
      await old.stop();
      await this.selections.stop();
    }
    if (!served && !signal.aborted) {
      if (this.probeTimer) this.d.clock.clearTimeout(this.probeTimer);
      const every = Math.min(PROBE_RETRY_MS, this.d.config().discoveryIntervalMs);
      this.probeTimer = this.d.clock.setTimeout(() => void this.probe(), every);
    }
  }

  private startInformer(signal: AbortSignal): void {
    this.d.log.info('watching MirrorPolicies');
    const informer = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(this.d.client, MIRROR_POLICIES),
      clock: this.d.clock,
      onRestart: (reason, err) => {
        this.d.watchRestart(MIRROR_POLICIES.plural, reason);
        // the CRD was removed: stop watching (and stop counting as a broken watch) instead of retrying forever
        if (statusCodeOf(err) === 404) void this.probe();
      },
    });
    informer.onAdd((p) => {
      this.ensureWatches(p);
      this.policyChanged(p);
    });
    informer.onUpdate((old, p) => {
      if (!specChanged(old, p)) return; // our own status write (or a label): nothing to decide again
      this.ensureWatches(p);
      this.policyChanged(p);
    });
    informer.onDelete((p) => {
      this.selections.drop(keyOf(p));
      this.policyChanged(p);
    });
    informer.start(signal);
    this.informer = informer;
  }
}

function keyOf(p: KubeObject): string {
  return policyKey(p.metadata.namespace ?? '', p.metadata.name);
}

/** Anything a decision reads besides the status: the spec (generation), deletion, finalizers. */
function specChanged(a: KubeObject, b: KubeObject): boolean {
  return (
    a.metadata.generation !== b.metadata.generation ||
    JSON.stringify(a.spec) !== JSON.stringify(b.spec) ||
    Boolean(a.metadata.deletionTimestamp) !== Boolean(b.metadata.deletionTimestamp) ||
    JSON.stringify(a.metadata.finalizers ?? []) !== JSON.stringify(b.metadata.finalizers ?? [])
  );
}
