/** Coverage per source as last reconciled; served at `/status`. In memory, rebuilt by reconciles. */
export interface SourceCoverage {
  wanted: number;
  synced: number;
  conflicts: readonly string[];
  errors: ReadonlyArray<{ namespace: string; reason: string }>;
  fatal?: string;
  skipped: number;
  line: string;
}

export interface SourceStatusEntry extends SourceCoverage {
  resource: string;
  /** `ns/name` of the MirrorPolicy that governs this source (SPEC §11); absent for an annotated source */
  policy?: string;
  namespace: string;
  name: string;
  coverage: number;
  /** when a fan-out of this source last finished with no target left to retry (ISO 8601) */
  lastSyncTime?: string;
  /** seconds from the watch event carrying the source's last new content to the write of its last target */
  lastPropagationSeconds?: number;
}

export class SourceStatusStore {
  private readonly entries = new Map<string, SourceStatusEntry>();
  /** sources kept elsewhere (the objects MirrorPolicies govern), listed beside these */
  private readonly others: Array<() => SourceStatusEntry[]> = [];

  /** Lists the entries `more` gives beside this store's own in every snapshot. */
  include(more: () => SourceStatusEntry[]): void {
    this.others.push(more);
  }

  /** `typeId|ns/name` of sources that are the controller's own (the canary): kept out of every figure */
  private readonly internal = new Set<string>();

  set(typeId: string, resource: string, ref: { namespace: string; name: string }, c: SourceCoverage): void {
    const coverage = c.wanted === 0 ? (c.fatal ? 0 : 100) : Math.round((c.synced / c.wanted) * 1000) / 10;
    const key = `${typeId}|${ref.namespace}/${ref.name}`;
    const prev = this.entries.get(key);
    const kept = {
      ...(prev?.lastSyncTime !== undefined ? { lastSyncTime: prev.lastSyncTime } : {}),
      ...(prev?.lastPropagationSeconds !== undefined
        ? { lastPropagationSeconds: prev.lastPropagationSeconds }
        : {}),
    };
    this.entries.set(key, { ...c, resource, ...ref, coverage, ...kept });
  }

  /** A fan-out finished with nothing to retry at `at`; `propagationSeconds` when it carried new content. */
  synced(
    typeId: string,
    ref: { namespace: string; name: string },
    at: Date,
    propagationSeconds?: number,
  ): void {
    const e = this.entries.get(`${typeId}|${ref.namespace}/${ref.name}`);
    if (!e) return;
    e.lastSyncTime = at.toISOString();
    if (propagationSeconds !== undefined) e.lastPropagationSeconds = propagationSeconds;
  }

  /** Marks a source as the controller's own (the canary): never listed in `snapshot`. */
  markInternal(typeId: string, ref: { namespace: string; name: string }): void {
    this.internal.add(`${typeId}|${ref.namespace}/${ref.name}`);
  }

  unmarkInternal(typeId: string, ref: { namespace: string; name: string }): void {
    this.internal.delete(`${typeId}|${ref.namespace}/${ref.name}`);
  }

  /** The entry of one source, internal ones included (the canary reads its own). */
  get(typeId: string, ref: { namespace: string; name: string }): SourceStatusEntry | undefined {
    return this.entries.get(`${typeId}|${ref.namespace}/${ref.name}`);
  }

  delete(typeId: string, ref: { namespace: string; name: string }): void {
    this.entries.delete(`${typeId}|${ref.namespace}/${ref.name}`);
  }

  dropType(typeId: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(`${typeId}|`)) this.entries.delete(k);
  }

  /** `{typeId, namespace, name}` of sources whose last status names `namespace` as a conflict or error. */
  mentioning(namespace: string): Array<{ typeId: string; namespace: string; name: string }> {
    const out: Array<{ typeId: string; namespace: string; name: string }> = [];
    for (const [k, e] of this.entries) {
      if (e.conflicts.includes(namespace) || e.errors.some((x) => x.namespace === namespace)) {
        out.push({ typeId: k.slice(0, k.indexOf('|')), namespace: e.namespace, name: e.name });
      }
    }
    return out;
  }

  snapshot(): SourceStatusEntry[] {
    return [...this.entries]
      .filter(([k]) => !this.internal.has(k))
      .map(([, e]) => ({ ...e }))
      .concat(this.others.flatMap((more) => more()))
      .sort((a, b) =>
        `${a.resource}/${a.namespace}/${a.name}`.localeCompare(`${b.resource}/${b.namespace}/${b.name}`),
      );
  }
}
