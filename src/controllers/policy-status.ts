import type { MirrorPolicyStatus, PolicyObjectResult } from '../core/mirror-policy-status.js';
import type { PolicySourceRef } from './source-key.js';
import type { SourceStatusEntry } from './source-status.js';

/** One selected object as the policy's status and `/status` report it. */
export type PolicyObjectEntry = PolicyObjectResult & {
  typeId: string;
  /** the sync-status line an annotated source would carry (decided and failed objects) */
  line?: string;
  /** when a fan-out of it last finished with nothing to retry (ISO 8601) */
  lastSyncTime?: string;
  lastPropagationSeconds?: number;
};

/**
 * What the last reconcile of each object a MirrorPolicy selects came to, per policy; in memory, rebuilt by
 * reconciles (like source-status.ts for annotated sources). The policy's status is computed from it; `/status`
 * lists it.
 */
export class PolicyResultStore {
  /** `ns/policy` → `typeId/name` → entry */
  private readonly byPolicy = new Map<string, Map<string, PolicyObjectEntry>>();
  /** `ns/policy` → the status last computed for it */
  private readonly statuses = new Map<string, MirrorPolicyStatus>();

  /** Records the object's result; true when it says something else than before (the policy is recounted). */
  set(ref: PolicySourceRef, entry: PolicyObjectEntry): boolean {
    const k = `${ref.namespace}/${ref.policy}`;
    const m = this.byPolicy.get(k) ?? new Map<string, PolicyObjectEntry>();
    this.byPolicy.set(k, m);
    const prev = m.get(`${ref.typeId}/${ref.name}`);
    const kept = {
      ...(prev?.lastSyncTime !== undefined ? { lastSyncTime: prev.lastSyncTime } : {}),
      ...(prev?.lastPropagationSeconds !== undefined
        ? { lastPropagationSeconds: prev.lastPropagationSeconds }
        : {}),
    };
    m.set(`${ref.typeId}/${ref.name}`, { ...kept, ...entry });
    return !prev || JSON.stringify(comparable(prev)) !== JSON.stringify(comparable(entry));
  }

  get(ref: PolicySourceRef): PolicyObjectEntry | undefined {
    return this.byPolicy.get(`${ref.namespace}/${ref.policy}`)?.get(`${ref.typeId}/${ref.name}`);
  }

  /** A fan-out finished with nothing to retry at `at`. */
  synced(ref: PolicySourceRef, at: Date, propagationSeconds?: number): void {
    const e = this.get(ref);
    if (!e) return;
    e.lastSyncTime = at.toISOString();
    if (propagationSeconds !== undefined) e.lastPropagationSeconds = propagationSeconds;
  }

  /** The object is no longer this policy's to report; true when it was reported. */
  delete(ref: PolicySourceRef): boolean {
    return this.byPolicy.get(`${ref.namespace}/${ref.policy}`)?.delete(`${ref.typeId}/${ref.name}`) ?? false;
  }

  dropPolicy(namespace: string, policy: string): void {
    this.byPolicy.delete(`${namespace}/${policy}`);
    this.statuses.delete(`${namespace}/${policy}`);
  }

  entries(namespace: string, policy: string): Map<string, PolicyObjectEntry> {
    return this.byPolicy.get(`${namespace}/${policy}`) ?? new Map();
  }

  setStatus(namespace: string, policy: string, status: MirrorPolicyStatus): void {
    this.statuses.set(`${namespace}/${policy}`, status);
  }

  /** Policy sources whose last result names `namespace` as a conflict or error (it may have cleared). */
  mentioning(namespace: string): PolicySourceRef[] {
    const out: PolicySourceRef[] = [];
    for (const [k, m] of this.byPolicy)
      for (const [obj, e] of m) {
        if (e.state !== 'decided') continue;
        const s = e.summary;
        if (s.conflicts.includes(namespace) || s.errors.some((x) => x.namespace === namespace)) {
          const [ns = '', policy = ''] = k.split('/');
          const slash = obj.indexOf('/');
          out.push({ namespace: ns, policy, typeId: obj.slice(0, slash), name: obj.slice(slash + 1) });
        }
      }
    return out;
  }

  /** `/status`: every policy with its last status and its sources, sorted. */
  snapshot(): PolicyStatusEntry[] {
    const keys = new Set([...this.byPolicy.keys(), ...this.statuses.keys()]);
    return [...keys].sort().map((k) => {
      const [namespace = '', name = ''] = k.split('/');
      const status = this.statuses.get(k);
      const sources = [...(this.byPolicy.get(k) ?? new Map<string, PolicyObjectEntry>()).values()]
        .map((e) => sourceView(e))
        .sort((a, b) => (`${a.kind}/${a.name}` < `${b.kind}/${b.name}` ? -1 : 1));
      return { namespace, name, ...(status ? { status } : {}), sources };
    });
  }
}

export interface PolicyStatusEntry {
  namespace: string;
  name: string;
  status?: MirrorPolicyStatus;
  sources: Array<Record<string, unknown> & { kind: string; name: string; state: string }>;
}

function comparable(e: PolicyObjectEntry): unknown {
  const { lastSyncTime: _t, lastPropagationSeconds: _p, ...rest } = e;
  return rest;
}

function sourceView(e: PolicyObjectEntry): PolicyStatusEntry['sources'][number] {
  const base = { resource: e.typeId, kind: e.kind, name: e.name, state: e.state };
  const fresh = {
    ...(e.lastSyncTime ? { lastSyncTime: e.lastSyncTime } : {}),
    ...(e.lastPropagationSeconds !== undefined ? { lastPropagationSeconds: e.lastPropagationSeconds } : {}),
  };
  if (e.state === 'skipped') return { ...base, skipped: e.why };
  if (e.state === 'failed') return { ...base, reason: e.reason, line: e.line ?? `Error: ${e.message}` };
  const s = e.summary;
  return {
    ...base,
    wanted: s.wanted,
    synced: s.synced,
    conflicts: s.conflicts,
    errors: s.errors,
    line: e.line ?? '',
    ...fresh,
  };
}

/** The objects policies govern as `/status` lists sources: each with the policy that governs it. */
export function statusEntries(
  results: PolicyResultStore,
  plural: (typeId: string) => string | undefined,
): SourceStatusEntry[] {
  const out: SourceStatusEntry[] = [];
  for (const p of results.snapshot())
    for (const s of p.sources) {
      if (s.state === 'skipped') continue;
      const decided = s.state === 'decided';
      const wanted = decided ? Number(s.wanted) : 0;
      const synced = decided ? Number(s.synced) : 0;
      out.push({
        resource: plural(String(s.resource)) ?? String(s.resource),
        namespace: p.namespace,
        name: s.name,
        policy: `${p.namespace}/${p.name}`,
        wanted,
        synced,
        conflicts: decided ? (s.conflicts as string[]) : [],
        errors: decided ? (s.errors as Array<{ namespace: string; reason: string }>) : [],
        ...(decided ? {} : { fatal: String(s.line ?? '') }),
        skipped: 0,
        line: String(s.line ?? ''),
        coverage: decided ? (wanted === 0 ? 100 : Math.round((synced / wanted) * 1000) / 10) : 0,
        ...(typeof s.lastSyncTime === 'string' ? { lastSyncTime: s.lastSyncTime } : {}),
        ...(typeof s.lastPropagationSeconds === 'number'
          ? { lastPropagationSeconds: s.lastPropagationSeconds }
          : {}),
      });
    }
  return out;
}
