import type { ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { ResourceService } from './resource-service.js';

const NAMESPACES = '/namespaces';

/**
 * The namespace controller, simplified: a terminating namespace has its contents deleted (objects with
 * finalizers only get a deletionTimestamp and are waited for); once empty, the namespace itself goes.
 * Work runs on a later turn of the event loop, like the real controller, never inside the DELETE request.
 */
export class NamespaceLifecycle {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly service: ResourceService,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((e) => {
      const ns = e.object.metadata.namespace;
      if (
        e.type === 'DELETED' &&
        ns &&
        this.store.get(NAMESPACES, undefined, ns)?.metadata.deletionTimestamp
      ) {
        this.schedule(ns);
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  schedule(namespace: string): void {
    this.pending.add(namespace);
    this.timer ??= setImmediate(() => {
      this.timer = undefined;
      const names = [...this.pending];
      this.pending.clear();
      for (const n of names) this.sweep(n);
    });
  }

  private sweep(name: string): void {
    const ns = this.store.get(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const { resource, object } of this.store.inNamespace(name)) {
      const def = this.registry.byStorageKey(resource);
      if (!def) continue;
      if (object.metadata.deletionTimestamp) continue;
      try {
        this.service.delete(def, name, object.metadata.name);
      } catch {
        // already gone: nothing to do
      }
    }
    if (this.store.inNamespace(name).length > 0) return;
    const current = this.store.get(NAMESPACES, undefined, name);
    if (!current || (current.metadata.finalizers ?? []).length > 0) return;
    const nsDef = this.registry.byStorageKey(NAMESPACES);
    if (nsDef) this.service.remove(nsDef, current);
  }
}
