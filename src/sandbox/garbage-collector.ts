import type { KubeObject } from '../core/types.js';
import { isObject } from './json-patches.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import { type ResourceDef, type ResourceRegistry, storageKey } from './resource-registry.js';
import type { ResourceService } from './resource-service.js';

/** metav1.FinalizerOrphanDependents / FinalizerDeleteDependents */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

/** The well-formed entries of metadata.ownerReferences (validation keeps malformed ones out anyway). */
export function ownerRefs(obj: KubeObject): OwnerRef[] {
  const refs = obj.metadata.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.filter(
    (r): r is OwnerRef =>
      isObject(r) &&
      typeof r.apiVersion === 'string' &&
      typeof r.kind === 'string' &&
      typeof r.name === 'string' &&
      typeof r.uid === 'string',
  );
}

interface Key {
  resource: string;
  namespace: string | undefined;
  name: string;
  uid: string;
}

export type OwnerState = 'solid' | 'dangling' | 'waiting' | 'unresolvable';

export type DependentAction =
  | { type: 'none'; reason: string }
  | { type: 'removeOwnerRefs'; uids: string[]; reason: string }
  | { type: 'delete'; propagationPolicy: 'Background' | 'Foreground' | 'Orphan'; reason: string };

/**
 * What attemptToDeleteItem (garbagecollector.go) does with a dependent, given its classified owners:
 * 'solid' exists, 'dangling' is absent (or has another uid), 'waiting' is being deleted in foreground,
 * 'unresolvable' cannot be looked up (isDangling errors: retried, never collected).
 */
export function planDependent(
  owners: { ref: OwnerRef; state: OwnerState }[],
  finalizers: string[],
  hasDependents: boolean,
): DependentAction {
  if (owners.length === 0) return { type: 'none', reason: 'no owner references' };
  if (owners.some((o) => o.state === 'unresolvable'))
    return { type: 'none', reason: 'an owner reference cannot be resolved' };
  const stale = owners.filter((o) => o.state !== 'solid').map((o) => o.ref.uid);
  if (owners.some((o) => o.state === 'solid')) {
    return stale.length > 0
      ? {
          type: 'removeOwnerRefs',
          uids: stale,
          reason: 'has a live owner; drops references to absent or foreground-deleting owners',
        }
      : { type: 'none', reason: 'has a live owner' };
  }
  if (owners.some((o) => o.state === 'waiting') && hasDependents)
    return {
      type: 'delete',
      propagationPolicy: 'Foreground',
      reason: 'an owner waits in foreground and this object has dependents of its own',
    };
  if (finalizers.includes(ORPHAN_FINALIZER))
    return {
      type: 'delete',
      propagationPolicy: 'Orphan',
      reason: 'no live owner; honours its orphan finalizer',
    };
  if (finalizers.includes(FOREGROUND_FINALIZER))
    return {
      type: 'delete',
      propagationPolicy: 'Foreground',
      reason: 'no live owner; honours its foregroundDeletion finalizer',
    };
  return { type: 'delete', propagationPolicy: 'Background', reason: 'no live owner' };
}

const beingDeleted = (o: KubeObject) => o.metadata.deletionTimestamp !== undefined;
const hasFinalizer = (o: KubeObject, f: string) => (o.metadata.finalizers ?? []).includes(f);

/**
 * The garbage collector of kube-controller-manager, simplified to the in-memory store
 * (pkg/controller/garbagecollector/garbagecollector.go attemptToDeleteItem, classifyReferences,
 * isDangling, processDeletingDependentsItem, attemptToOrphanWorker; graph_builder.go
 * processTransitions, reportInvalidNamespaceOwnerRef). Store events only become keys; each key is
 * reconciled from the current store on a later turn of the event loop, never inside the write that
 * caused it. Every write goes through ResourceService, so finalizers and watch events are as for clients.
 */
export class GarbageCollector {
  private readonly pending = new Map<string, Key>();
  private timer: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;
  /** dependent uid/owner uid pairs already reported as OwnerRefInvalidNamespace (the recorder dedupes too) */
  private readonly reported = new Set<string>();
  private eventCounter = 0;
  /** where objects with ownerReferences were last seen (entries are re-checked against the store) */
  private readonly withRefs = new Map<
    string,
    { resource: string; namespace: string | undefined; name: string }
  >();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly service: ResourceService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((e) => this.map(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  /** A change → the keys it concerns: the object, its owners (old and new), and on deletion its dependents. */
  private map(e: StoreEvent): void {
    const obj = e.object;
    // the graph's nodes with owners, so dependents are found without scanning every object
    const at = `${e.resource}|${obj.metadata.namespace ?? ''}|${obj.metadata.name}`;
    if (e.type !== 'DELETED' && ownerRefs(obj).length > 0)
      this.withRefs.set(at, {
        resource: e.resource,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
      });
    if (e.type !== 'DELETED') this.enqueue(e.resource, obj);
    for (const o of [obj, ...(e.prev ? [e.prev] : [])]) {
      for (const ref of ownerRefs(o)) {
        const owner = this.lookupOwner(ref, o.metadata.namespace);
        if (owner.object) this.enqueue(owner.resource, owner.object);
      }
    }
    if (e.type === 'DELETED' && obj.metadata.uid) {
      for (const d of this.dependentsOf(obj.metadata.uid)) this.enqueue(d.resource, d.object);
    }
  }

  private enqueue(resource: string, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.pending.set(uid, { resource, namespace: obj.metadata.namespace, name: obj.metadata.name, uid });
    this.timer ??= setImmediate(() => {
      this.timer = undefined;
      const keys = [...this.pending.values()];
      this.pending.clear();
      for (const k of keys) {
        try {
          this.reconcile(k);
        } catch {
          // a conflicting or vanished object: the write that raced us produces an event, hence a retry
        }
      }
    });
  }

  private reconcile(key: Key): void {
    const obj = this.store.get(key.resource, key.namespace, key.name);
    const def = this.registry.byStorageKey(key.resource);
    if (!obj || obj.metadata.uid !== key.uid || !def) return;
    if (beingDeleted(obj) && hasFinalizer(obj, ORPHAN_FINALIZER)) {
      this.orphanDependents(def, obj);
      return;
    }
    if (beingDeleted(obj) && hasFinalizer(obj, FOREGROUND_FINALIZER)) {
      this.deleteDependentsInForeground(def, obj);
      return;
    }
    // attemptToDeleteItem: "being deleted" is a one-way trip, wait for it to finish
    if (beingDeleted(obj)) return;
    this.attemptToDelete(def, obj);
  }

  /** attemptToDeleteItem: classify the owners, then act on planDependent's decision. */
  private attemptToDelete(def: ResourceDef, obj: KubeObject): void {
    const refs = ownerRefs(obj);
    if (refs.length === 0) return;
    const owners = refs.map((ref) => ({ ref, state: this.classify(ref, obj) }));
    const hasDependents =
      owners.some((o) => o.state === 'waiting') && this.dependentsOf(obj.metadata.uid ?? '').length > 0;
    const action = planDependent(owners, obj.metadata.finalizers ?? [], hasDependents);
    if (action.type === 'removeOwnerRefs') this.removeOwnerRefs(def, obj, action.uids);
    else if (action.type === 'delete') {
      this.service.delete(def, obj.metadata.namespace, obj.metadata.name, {
        dryRun: false,
        propagationPolicy: action.propagationPolicy,
        preconditions: { uid: obj.metadata.uid },
      });
    }
  }

  /** classifyReferences/isDangling: owners are namespace-local and identified by uid. */
  private classify(ref: OwnerRef, dependent: KubeObject): OwnerState {
    const found = this.lookupOwner(ref, dependent.metadata.namespace);
    if (!found.def) return 'unresolvable';
    if (found.def.namespaced && !dependent.metadata.namespace) {
      this.reportInvalidNamespace(dependent, ref);
      return 'unresolvable';
    }
    const owner = found.object;
    if (!owner || owner.metadata.uid !== ref.uid) {
      if (found.def.namespaced) this.reportIfElsewhere(found.def, dependent, ref);
      return 'dangling';
    }
    return beingDeleted(owner) && hasFinalizer(owner, FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
  }

  private lookupOwner(
    ref: OwnerRef,
    namespace: string | undefined,
  ): { def?: ResourceDef; resource: string; object?: KubeObject } {
    const [group, version] = ref.apiVersion.includes('/')
      ? ref.apiVersion.split('/', 2)
      : ['', ref.apiVersion];
    const def = this.registry.findByKind(group ?? '', version ?? '', ref.kind);
    if (!def) return { resource: '' };
    const resource = storageKey(def);
    const object = this.store.get(resource, def.namespaced ? namespace : undefined, ref.name);
    return { def, resource, ...(object ? { object } : {}) };
  }

  /** processDeletingDependentsItem: the owner goes once no dependent with blockOwnerDeletion is left. */
  private deleteDependentsInForeground(def: ResourceDef, owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    const dependents = this.dependentsOf(uid);
    // processTransitions puts every dependent into attemptToDelete when the owner starts waiting
    for (const d of dependents) if (!beingDeleted(d.object)) this.enqueue(d.resource, d.object);
    const blocking = dependents.filter((d) =>
      ownerRefs(d.object).some((r) => r.uid === uid && r.blockOwnerDeletion === true),
    );
    if (blocking.length === 0) this.removeFinalizer(def, owner, FOREGROUND_FINALIZER);
  }

  /** attemptToOrphanWorker: drop the owner's reference from every dependent, then the orphan finalizer. */
  private orphanDependents(def: ResourceDef, owner: KubeObject): void {
    const uid = owner.metadata.uid ?? '';
    for (const d of this.dependentsOf(uid)) {
      const ddef = this.registry.byStorageKey(d.resource);
      if (ddef) this.removeOwnerRefs(ddef, d.object, [uid]);
    }
    this.removeFinalizer(def, owner, ORPHAN_FINALIZER);
  }

  /** Objects whose ownerReferences name `uid` (the graph's dependents of the node). */
  private dependentsOf(uid: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const [k, at] of this.withRefs) {
      const o = this.store.get(at.resource, at.namespace, at.name);
      if (!o || ownerRefs(o).length === 0) this.withRefs.delete(k);
      else if (ownerRefs(o).some((r) => r.uid === uid)) out.push({ resource: at.resource, object: o });
    }
    return out;
  }

  /** The GC's deleteOwnerRefJSONMergePatch, with the dependent's uid as precondition. */
  private removeOwnerRefs(def: ResourceDef, obj: KubeObject, uids: string[]): void {
    const all = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
    const kept = all.filter((r) => !(isObject(r) && uids.includes(r.uid as string)));
    if (kept.length === all.length) return;
    this.service.patch(def, obj.metadata.namespace, obj.metadata.name, 'merge', {
      metadata: { uid: obj.metadata.uid, ownerReferences: kept.length > 0 ? kept : null },
    });
  }

  private removeFinalizer(def: ResourceDef, obj: KubeObject, finalizer: string): void {
    const kept = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.service.patch(def, obj.metadata.namespace, obj.metadata.name, 'merge', {
      metadata: {
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        finalizers: kept.length > 0 ? kept : null,
      },
    });
  }

  /** graph_builder.go: an owner uid observed in another namespace is a definitely invalid reference. */
  private reportIfElsewhere(def: ResourceDef, dependent: KubeObject, ref: OwnerRef): void {
    const elsewhere = this.store
      .list(storageKey(def))
      .some((o) => o.metadata.uid === ref.uid && o.metadata.namespace !== dependent.metadata.namespace);
    if (elsewhere) this.reportInvalidNamespace(dependent, ref);
  }

  /**
   * reportInvalidNamespaceOwnerRef: a Warning Event on the dependent, message as
   * `ownerRef %s does not exist in namespace %q` with objectReference.String() (graph.go).
   */
  private reportInvalidNamespace(dependent: KubeObject, ref: OwnerRef): void {
    const key = `${dependent.metadata.uid}/${ref.uid}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const eventDef = this.registry.findByKind('', 'v1', 'Event');
    if (!eventDef) return;
    const ns = dependent.metadata.namespace ?? '';
    const now = this.now();
    const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const identity = `[${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}]`;
    try {
      this.service.create(eventDef, ns || 'default', {
        metadata: {
          // client-go record: <involved object name>.<unix nanos in hex>
          name: `${dependent.metadata.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(this.eventCounter++ % 1_000_000)).toString(16)}`,
          namespace: ns || 'default',
        },
        involvedObject: {
          apiVersion: dependent.apiVersion,
          kind: dependent.kind,
          name: dependent.metadata.name,
          uid: dependent.metadata.uid,
          ...(ns ? { namespace: ns } : {}),
        },
        reason: 'OwnerRefInvalidNamespace',
        message: `ownerRef ${identity} does not exist in namespace ${JSON.stringify(ns)}`,
        type: 'Warning',
        source: { component: 'garbage-collector-controller' },
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
        reportingComponent: 'garbage-collector-controller',
        reportingInstance: '',
      });
    } catch {
      // the namespace is terminating or gone: nowhere to record it
    }
  }
}
