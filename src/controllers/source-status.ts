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
  namespace: string;
  name: string;
  coverage: number;
}

export class SourceStatusStore {
  private readonly entries = new Map<string, SourceStatusEntry>();

  set(typeId: string, resource: string, ref: { namespace: string; name: string }, c: SourceCoverage): void {
    const coverage = c.wanted === 0 ? (c.fatal ? 0 : 100) : Math.round((c.synced / c.wanted) * 1000) / 10;
    this.entries.set(`${typeId}|${ref.namespace}/${ref.name}`, { ...c, resource, ...ref, coverage });
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
    return [...this.entries.values()].sort((a, b) =>
      `${a.resource}/${a.namespace}/${a.name}`.localeCompare(`${b.resource}/${b.namespace}/${b.name}`),
    );
  }
}
