import type { MirrorKeys } from '../core/keys.js';
import { type PolicySelection, selectionMatches } from '../core/mirror-policy.js';
import type { KubeObject, ResourceType } from '../core/types.js';
import type { KubeClient } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import type { Clock } from '../runtime/clock.js';
import { Informer, type RestartReason } from '../runtime/informer.js';
import { sourceContentHash } from './type-watcher.js';

/** One selection of a policy, resolved to a watched resource type. */
export interface ResolvedSelection {
  typeId: string;
  type: ResourceType;
  selection: PolicySelection;
}

export interface PolicySelectionsDeps {
  client: KubeClient;
  keys: MirrorKeys;
  clock: Clock;
  /** a selected object was added, changed, or left the selection (deleted, relabelled) */
  changed(policyKey: string, typeId: string, name: string): void;
  /** every watch of the policy has listed (first time after it started) */
  synced(policyKey: string): void;
  onRestart(resource: string, reason: RestartReason): void;
}

/**
 * One watch: a single name is watched with a field selector (`metadata.name=`), several names with a watch of
 * the namespace whose other objects are kept as bare metadata and never reported (so a policy naming three
 * Secrets does not hold every Secret of the namespace), a label selector server-side. Never cluster-wide.
 */
interface SelectionWatch {
  id: string;
  typeId: string;
  selection: PolicySelection;
  informer: Informer<KubeObject>;
}

/**
 * The watches of the objects MirrorPolicies select (SPEC §11): per policy, one per selection, scoped to the
 * policy's namespace and filtered by its names or selector, so a policy costs no watch (and no LIST) of objects it
 * does not select. Run on every replica (standbys keep them warm); they never write. Handlers only report keys.
 */
export class PolicySelections {
  /** policy key → selection id → watch */
  private readonly watches = new Map<string, Map<string, SelectionWatch>>();
  /** `policyKey|typeId/name` → uid last seen selected, for the cleanup once it leaves */
  private readonly lastSeen = new Map<string, string>();
  /** `policyKey|typeId/name` → when content not yet propagated arrived, and its hash */
  readonly arrivals = new Map<string, { at: number; hash: string }>();
  private readonly lastContent = new Map<string, string>();

  constructor(private readonly d: PolicySelectionsDeps) {}

  /** Starts and stops the policy's watches so they are exactly `wanted`. */
  ensure(
    policyKey: string,
    namespace: string,
    wanted: readonly ResolvedSelection[],
    signal: AbortSignal,
  ): void {
    const current = this.watches.get(policyKey) ?? new Map<string, SelectionWatch>();
    this.watches.set(policyKey, current);
    const ids = new Map(wanted.map((r) => [selectionId(r), r]));
    for (const [id, w] of current)
      if (!ids.has(id)) {
        current.delete(id);
        void w.informer.stop();
        // what it selected is decided again: it may have left the selection (or another watch holds it)
        for (const o of w.informer.list()) this.d.changed(policyKey, w.typeId, o.metadata.name);
      }
    for (const [id, r] of ids) {
      if (current.has(id)) continue;
      const w = this.start(policyKey, namespace, id, r, signal);
      current.set(id, w);
    }
  }

  /** Stops every watch of the policy (it is gone). */
  drop(policyKey: string): void {
    for (const w of this.watches.get(policyKey)?.values() ?? []) void w.informer.stop();
    this.watches.delete(policyKey);
    for (const k of [...this.lastContent.keys()])
      if (k.startsWith(`${policyKey}|`)) this.lastContent.delete(k);
  }

  /** True once every watch of the policy has listed at least once (and the policy has some). */
  synced(policyKey: string): boolean {
    const ws = this.watches.get(policyKey);
    if (!ws) return false;
    for (const w of ws.values()) if (!w.informer.hasSynced()) return false;
    return true;
  }

  /** The object of `typeId` named `name` that the policy selects now, if any. */
  find(policyKey: string, typeId: string, name: string): KubeObject | undefined {
    for (const w of this.watches.get(policyKey)?.values() ?? []) {
      if (w.typeId !== typeId) continue;
      const o = w.informer.get(`${namespaceOf(policyKey)}/${name}`);
      if (o && selectionMatches(w.selection, o)) return o;
    }
    return undefined;
  }

  /** Every object the policy selects now, once (two selections of one object count once). */
  selected(policyKey: string): Array<{ typeId: string; object: KubeObject }> {
    const out = new Map<string, { typeId: string; object: KubeObject }>();
    for (const w of this.watches.get(policyKey)?.values() ?? [])
      for (const o of w.informer.list())
        if (selectionMatches(w.selection, o))
          out.set(`${w.typeId}/${o.metadata.name}`, { typeId: w.typeId, object: o });
    return [...out.values()];
  }

  /** The uid last seen selected under this name (the object may be gone or unselected now). */
  lastSeenUid(policyKey: string, typeId: string, name: string): string | undefined {
    return this.lastSeen.get(`${policyKey}|${typeId}/${name}`);
  }

  forgetSeen(policyKey: string, typeId: string, name: string): void {
    this.lastSeen.delete(`${policyKey}|${typeId}/${name}`);
  }

  /** Epoch ms since when some selection watch has been broken, or null. */
  brokenSince(): number | null {
    let oldest: number | null = null;
    for (const ws of this.watches.values())
      for (const w of ws.values()) {
        const b = w.informer.brokenSince();
        if (b !== null && (oldest === null || b < oldest)) oldest = b;
      }
    return oldest;
  }

  /** Whether every watch there is has listed once (readiness). */
  allSynced(): boolean {
    for (const key of this.watches.keys()) if (!this.synced(key)) return false;
    return true;
  }

  async stop(): Promise<void> {
    const all = [...this.watches.values()].flatMap((ws) => [...ws.values()]);
    this.watches.clear();
    await Promise.all(all.map((w) => w.informer.stop()));
  }

  private start(
    policyKey: string,
    namespace: string,
    id: string,
    r: ResolvedSelection,
    signal: AbortSignal,
  ): SelectionWatch {
    const { selection } = r;
    const names = selection.names;
    const single = names?.length === 1 ? names[0] : undefined;
    const informer = new Informer<KubeObject>({
      listWatch: kubeListWatch<KubeObject>(this.d.client, r.type, {
        namespace,
        ...(single !== undefined ? { fieldSelector: `metadata.name=${single}` } : {}),
      }),
      ...(names === null && selection.labelSelector !== '' ? { labelSelector: selection.labelSelector } : {}),
      clock: this.d.clock,
      onRestart: (reason) => this.d.onRestart(r.type.plural, reason),
      // several names: the namespace's other objects of the kind are kept as bare names, never as payloads
      ...(names && names.length > 1
        ? { transform: (o: KubeObject) => (names.includes(o.metadata.name) ? o : bare(o)) }
        : {}),
    });
    const report = (o: KubeObject) => {
      if (names && !names.includes(o.metadata.name)) return;
      const seen = `${policyKey}|${r.typeId}/${o.metadata.name}`;
      if (o.metadata.uid) this.lastSeen.set(seen, o.metadata.uid);
      this.d.changed(policyKey, r.typeId, o.metadata.name);
    };
    const arrived = (o: KubeObject) => {
      const k = `${policyKey}|${r.typeId}/${o.metadata.name}`;
      const hash = sourceContentHash(o, this.d.keys);
      if (this.lastContent.get(k) === hash) return;
      this.lastContent.set(k, hash);
      this.arrivals.set(k, { at: this.arrivals.get(k)?.at ?? this.d.clock.now(), hash });
    };
    informer.onAdd((o) => {
      if (!names || names.includes(o.metadata.name)) arrived(o);
      report(o);
    });
    informer.onUpdate((_old, o) => {
      if (!names || names.includes(o.metadata.name)) arrived(o);
      report(o);
    });
    informer.onDelete((o) => {
      const k = `${policyKey}|${r.typeId}/${o.metadata.name}`;
      this.lastContent.delete(k);
      this.arrivals.delete(k);
      report(o);
    });
    let announced = false;
    void informer.waitForSync(signal).then(
      () => {
        if (announced || this.watches.get(policyKey)?.get(id)?.informer !== informer) return;
        announced = true;
        if (this.synced(policyKey)) this.d.synced(policyKey);
      },
      () => {},
    );
    informer.start(signal);
    return { id, typeId: r.typeId, selection, informer };
  }
}

/** `typeId|names` or `typeId|?selector`: two policies' equal selections are still two watches (one each). */
function selectionId(r: ResolvedSelection): string {
  const s = r.selection;
  return `${r.typeId}|${s.names ? s.names.join(',') : `?${s.labelSelector}`}`;
}

function namespaceOf(policyKey: string): string {
  const rest = policyKey.slice(policyKey.indexOf(':') + 1);
  return rest.slice(0, rest.indexOf('/'));
}

/** What is kept of an object a multi-name watch does not select: enough to key it, nothing else. */
function bare(o: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace, uid, resourceVersion } };
}
