import type { MirrorKeys } from '../core/keys.js';
import type { KubeObject } from '../core/types.js';

/**
 * In-memory index over the mirror caches: which mirrors claim which source. Fed by the mirror informers'
 * handlers; answers "the mirrors of this source" without any API call.
 */
export class MirrorIndex {
  /** typeId → `srcNs/srcName` → targetNs → mirror */
  private readonly byType = new Map<string, Map<string, Map<string, KubeObject>>>();

  constructor(private readonly keys: MirrorKeys) {}

  private sourceOf(obj: KubeObject): string | null {
    const a = obj.metadata.annotations ?? {};
    const ns = a[this.keys.sourceNamespace];
    const name = a[this.keys.sourceName];
    return ns && name ? `${ns}/${name}` : null;
  }

  upsert(typeId: string, old: KubeObject | undefined, obj: KubeObject): void {
    if (old) this.remove(typeId, old);
    const src = this.sourceOf(obj);
    if (!src || !obj.metadata.namespace) return;
    let bySource = this.byType.get(typeId);
    if (!bySource) {
      bySource = new Map();
      this.byType.set(typeId, bySource);
    }
    let byNs = bySource.get(src);
    if (!byNs) {
      byNs = new Map();
      bySource.set(src, byNs);
    }
    byNs.set(obj.metadata.namespace, obj);
  }

  remove(typeId: string, obj: KubeObject): void {
    const src = this.sourceOf(obj);
    if (!src || !obj.metadata.namespace) return;
    const byNs = this.byType.get(typeId)?.get(src);
    if (!byNs) return;
    const cur = byNs.get(obj.metadata.namespace);
    if (cur && cur.metadata.name === obj.metadata.name) byNs.delete(obj.metadata.namespace);
    if (byNs.size === 0) this.byType.get(typeId)?.delete(src);
  }

  mirrorsOf(typeId: string, namespace: string, name: string): KubeObject[] {
    return [...(this.byType.get(typeId)?.get(`${namespace}/${name}`)?.values() ?? [])];
  }

  /** Source refs (`ns/name`) that have at least one mirror in `namespace`. */
  sourcesWithMirrorIn(typeId: string, namespace: string): string[] {
    const out: string[] = [];
    for (const [src, byNs] of this.byType.get(typeId) ?? []) if (byNs.has(namespace)) out.push(src);
    return out;
  }

  /** Every source ref that has mirrors of this type. */
  sources(typeId: string): string[] {
    return [...(this.byType.get(typeId)?.keys() ?? [])];
  }

  count(typeId: string): number {
    let n = 0;
    for (const byNs of this.byType.get(typeId)?.values() ?? []) n += byNs.size;
    return n;
  }

  dropType(typeId: string): void {
    this.byType.delete(typeId);
  }
}
