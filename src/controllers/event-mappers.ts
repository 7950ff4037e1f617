import type { Config } from '../config/config.js';
import { targetsCluster } from '../core/decide.js';
import type { MirrorKeys } from '../core/keys.js';
import type { SourceSpec } from '../core/source-spec.js';
import { sourceWantsNamespace } from '../core/targeting.js';
import type { KubeObject, NamespaceInfo } from '../core/types.js';
import type { MirrorIndex } from './mirror-index.js';
import type { OwnWrites } from './own-writes.js';
import { policySourceKey, sourceKey } from './source-key.js';
import type { SpecCache } from './spec-cache.js';
import { targetPolicy } from './target-policy.js';
import type { WatchedType } from './watched-type.js';

/**
 * Watch events of mirrors and namespaces mapped to the source keys that must be decided again (controller-
 * runtime's EnqueueRequestsFromMapFunc with its predicates). They never write and keep no queue: the source
 * reconciler is the only place a decision is made.
 */

export interface MapperDeps {
  config: () => Config;
  keys: MirrorKeys;
  specs: SpecCache;
  namespace: (name: string) => NamespaceInfo | undefined;
  mirrors: MirrorIndex;
  ownWrites: OwnWrites;
  /** the other cluster these caches are of (SPEC §8); absent: this cluster */
  cluster?: string;
  /** the objects MirrorPolicies govern (SPEC §11), when their API is served */
  policies?: PolicyMapping;
}

/** What the mappers need of the MirrorPolicies (policy-controller.ts). */
export interface PolicyMapping {
  /** the object a policy governs under this key and the spec it is decided with; null when it does not */
  governed(
    namespace: string,
    policy: string,
    typeId: string,
    name: string,
  ): { object: KubeObject; spec: SourceSpec } | null;
  /** every object some policy governs now */
  governedAll(): Iterable<{ key: string; object: KubeObject; spec: SourceSpec }>;
  /** policy source keys whose last result names this namespace (`cluster/ns` in another cluster) */
  mentioning(namespace: string): string[];
}

/** Whether `source` wants namespace `ns` of the mapper's cluster: its target-clusters, then its namespaces. */
function wants(d: MapperDeps, source: KubeObject, spec: SourceSpec, ns: NamespaceInfo): boolean {
  const cfg = d.config();
  if (
    !spec.syncEnabled ||
    !targetsCluster(spec.targetClusters, d.cluster ?? cfg.clusterName, d.cluster === undefined)
  )
    return false;
  const policy = targetPolicy(cfg, d.keys);
  return sourceWantsNamespace(
    source,
    spec,
    ns,
    d.cluster === undefined ? policy : { ...policy, otherCluster: true },
  );
}

/**
 * A mirror was added or changed. Its source is decided again unless the event is the echo of our own write
 * and the source still wants that namespace (the echo can arrive after the namespace changed). A mirror whose
 * source is not in the cache may be an orphan: its source key goes to the reconciler, which finds out.
 * Drift (someone else's edit) is judged there, in the decision, not here.
 */
export function sourceOfMirrorEvent(d: MapperDeps, w: WatchedType, mirror: KubeObject): string | null {
  const a = mirror.metadata.annotations ?? {};
  const srcNs = a[d.keys.sourceNamespace];
  const srcName = a[d.keys.sourceName];
  if (!srcNs || !srcName) return null; // not provably anyone's mirror: never touched
  const ns = mirror.metadata.namespace ?? '';
  const echo = d.ownWrites.isEcho(w.id, ns, mirror.metadata.name, mirror.metadata.resourceVersion);
  const policy = a[d.keys.policy];
  if (policy) {
    // made for a MirrorPolicy (SPEC §11): the policy's decision of that object is the one to make again
    const key = policySourceKey(srcNs, policy, w.id, srcName);
    if (!echo) return key;
    const g = d.policies?.governed(srcNs, policy, w.id, srcName);
    const nsInfo = d.namespace(ns);
    return g && a[d.keys.sourceUid] === g.object.metadata.uid && nsInfo && wants(d, g.object, g.spec, nsInfo)
      ? null
      : key;
  }
  const owner = sourceKey(w.id, srcNs, srcName);
  const source = w.sources.get(`${srcNs}/${srcName}`);
  if (!source) return w.sources.hasSynced() ? owner : null;
  if (!echo) return owner;
  return a[d.keys.sourceUid] === source.metadata.uid && stillWanted(d, source, ns) ? null : owner;
}

function stillWanted(d: MapperDeps, source: KubeObject, namespace: string): boolean {
  const ns = d.namespace(namespace);
  return ns !== undefined && wants(d, source, d.specs.of(source), ns);
}

/**
 * A namespace appeared, changed labels or went away: every source that now wants it, still has a mirror in
 * it, or last reported it (a conflict or error there may have gone away). From the caches and the mirror
 * index, never by listing the API.
 */
export function sourcesAffectedByNamespace(
  d: MapperDeps,
  name: string,
  types: Iterable<WatchedType>,
  mentioning: (namespace: string) => Array<{ typeId: string; namespace: string; name: string }>,
): string[] {
  const keys = new Set<string>();
  for (const m of mentioning(name)) keys.add(sourceKey(m.typeId, m.namespace, m.name));
  for (const k of d.policies?.mentioning(d.cluster ? `${d.cluster}/${name}` : name) ?? []) keys.add(k);
  const ns = d.namespace(name);
  for (const w of types) {
    for (const ref of d.mirrors.sourcesWithMirrorIn(w.id, name)) {
      const slash = ref.indexOf('/');
      const [srcNs, srcName] = [ref.slice(0, slash), ref.slice(slash + 1)];
      const mirror = d.mirrors.mirrorsOf(w.id, srcNs, srcName).find((m) => m.metadata.namespace === name);
      const policy = mirror?.metadata.annotations?.[d.keys.policy];
      keys.add(policy ? policySourceKey(srcNs, policy, w.id, srcName) : sourceKey(w.id, srcNs, srcName));
    }
    if (!ns) continue;
    for (const source of w.sources.list()) {
      if (wants(d, source, d.specs.of(source), ns))
        keys.add(sourceKey(w.id, source.metadata.namespace ?? '', source.metadata.name));
    }
  }
  if (ns)
    for (const g of d.policies?.governedAll() ?? []) if (wants(d, g.object, g.spec, ns)) keys.add(g.key);
  return [...keys];
}

/**
 * Predicate for source update events: the change is only our own bookkeeping (the `P/sync-status`
 * annotation, our finalizer added) and the decision would be the same, so it is not decided again.
 */
export function isOwnSourceEcho(old: KubeObject, cur: KubeObject, keys: MirrorKeys): boolean {
  const strip = (o: KubeObject, dropFinalizer: boolean) => {
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = o.metadata;
    const annotations = { ...(meta.annotations ?? {}) };
    delete annotations[keys.syncStatus];
    const finalizers = (meta.finalizers ?? []).filter((f) => !dropFinalizer || f !== keys.finalizer);
    return JSON.stringify({ ...o, metadata: { ...meta, annotations, finalizers } });
  };
  // our finalizer is ignored only when it was added; one removed by someone else is decided again (re-added)
  const added = (cur.metadata.finalizers ?? []).includes(keys.finalizer);
  return strip(old, added) === strip(cur, added);
}
