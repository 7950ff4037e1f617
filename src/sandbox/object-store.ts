import type { KubeObject } from '../core/types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change to one object, at the global resourceVersion `rv`. `prev` is the object before the change. */
export interface StoreEvent {
  type: ChangeType;
  /** storage key of the resource (`group/plural`) */
  resource: string;
  rv: number;
  object: KubeObject;
  prev?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * Objects of every resource under one global, increasing resourceVersion, plus a bounded history window of
 * changes for watches. Objects handed out are never mutated afterwards (writes store fresh copies).
 */
export class ObjectStore {
  private rv = 0;
  /** watches from a resourceVersion below this cannot be served any more (410) */
  private compacted = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** per resource, its keys in order; rebuilt lazily after a key is added or removed (updates keep it) */
  private readonly sorted = new Map<string, string[]>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly historyWindow: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may start from. */
  get oldestWatchable(): number {
    return this.compacted;
  }

  nextResourceVersion(): number {
    this.rv += 1;
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of a resource sorted like etcd keys (namespace, then name), optionally in one namespace. */
  list(resource: string, namespace?: string): KubeObject[] {
    const objs = this.objects.get(resource);
    if (!objs) return [];
    const items = this.keysOf(resource).map((k) => objs.get(k)!);
    return namespace === undefined ? items : items.filter((o) => o.metadata.namespace === namespace);
  }

  /**
   * Objects of a resource in key order, starting after `after` (a `namespace/name` key; '' = from the start),
   * until `visit` returns false: one page of a list costs its page, not the whole store.
   */
  scan(resource: string, after: string, visit: (o: KubeObject) => boolean): void {
    const objs = this.objects.get(resource);
    if (!objs) return;
    const keys = this.keysOf(resource);
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length; i++) if (!visit(objs.get(keys[i]!)!)) return;
  }

  private keysOf(resource: string): string[] {
    let keys = this.sorted.get(resource);
    if (!keys) {
      keys = [...(this.objects.get(resource)?.keys() ?? [])].sort();
      this.sorted.set(resource, keys);
    }
    return keys;
  }

  /** Every stored object in a namespace, across resources. */
  inNamespace(namespace: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const [resource, objs] of this.objects) {
      for (const o of objs.values())
        if (o.metadata.namespace === namespace) out.push({ resource, object: o });
    }
    return out;
  }

  /** Stores `object` (whose metadata.resourceVersion must already be `rv`) and publishes the change. */
  put(type: 'ADDED' | 'MODIFIED', resource: string, object: KubeObject, rv: number): void {
    const objs = this.objects.get(resource) ?? new Map<string, KubeObject>();
    this.objects.set(resource, objs);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const prev = objs.get(key);
    objs.set(key, object);
    if (!prev) this.sorted.delete(resource);
    this.publish({ type, resource, rv, object, ...(prev ? { prev } : {}) });
  }

  remove(resource: string, object: KubeObject, rv: number): void {
    const objs = this.objects.get(resource);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const prev = objs?.get(key);
    if (objs?.delete(key)) this.sorted.delete(resource);
    this.publish({ type: 'DELETED', resource, rv, object, ...(prev ? { prev } : {}) });
  }

  /** Drops a whole resource's storage without events (used when its CRD goes, after DELETED events). */
  dropResource(resource: string): void {
    this.objects.delete(resource);
    this.sorted.delete(resource);
  }

  /** Changes after `rv` of one resource, or undefined when they have left the window (→ 410). */
  eventsSince(resource: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.compacted) return undefined;
    return this.history.filter((e) => e.rv > rv && e.resource === resource);
  }

  /** Forget all history: every resourceVersion handed out so far becomes too old to watch from. */
  compact(): void {
    this.history = [];
    this.rv += 1;
    this.compacted = this.rv;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyWindow) {
      const dropped = this.history.shift()!;
      this.compacted = Math.max(this.compacted, dropped.rv);
    }
    for (const l of [...this.listeners]) l(event);
  }
}
