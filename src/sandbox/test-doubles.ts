import type { KubeObject } from '../core/types.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import type { ResourceDef, ResourceRegistry } from './resource-registry.js';
import type { ResourceService } from './resource-service.js';
import { objectFilter } from './selectors.js';

/**
 * Stand-ins for the parts of a real cluster that change objects besides their writer, switchable per test
 * through the sandbox's fault API. They run inside the sandbox, so a controller meets them over HTTP exactly
 * as it would meet a webhook or another controller.
 */

/** Which objects a double acts on. */
export interface DoubleScope {
  /** plural resource, e.g. `configmaps` */
  resource: string;
  /** API group, '' (core) when absent */
  group?: string;
  /** label selector over the labels of the object's namespace; every namespace when absent */
  namespaceSelector?: string;
  /** label selector over the object's own labels; every object when absent */
  labelSelector?: string;
}

/**
 * A mutating admission rule (what a mutating webhook does): on create and/or update of a matching object it sets
 * labels and annotations before validation and storage. The change is part of the request that triggered it,
 * so the writer gets the mutated object back, as from a real webhook.
 */
export interface AdmissionRule extends DoubleScope {
  /** default both */
  operations?: ('CREATE' | 'UPDATE')[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * A "field owner" (what the Deployment controller does with `deployment.kubernetes.io/revision`): after every
 * change to a matching object it makes sure one annotation has its value, with a separate write under its own
 * field manager, off the request path like a controller reacting to a watch event. It writes only when the value
 * differs, so it is quiet unless someone keeps changing what it owns.
 */
export interface FieldOwnerRule extends DoubleScope {
  /** the field manager its writes are recorded under */
  manager: string;
  annotation: string;
  /** the value it keeps; a function sees the object as stored (e.g. a counter of template changes) */
  value: string | ((obj: KubeObject) => string);
}

/** What a running field owner reports: how many writes it made (tests assert on a fight's cost with it). */
export interface FieldOwnerHandle {
  readonly writes: number;
  stop(): void;
}

interface ActiveOwner {
  rule: FieldOwnerRule;
  matches: (obj: KubeObject) => boolean;
  writes: number;
}

export class TestDoubles {
  private admissions: { rule: AdmissionRule; matches: (obj: KubeObject) => boolean }[] = [];
  private owners: ActiveOwner[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly service: () => ResourceService,
  ) {}

  addAdmission(rule: AdmissionRule): () => void {
    const entry = { rule, matches: this.matcher(rule) };
    this.admissions.push(entry);
    return () => {
      this.admissions = this.admissions.filter((a) => a !== entry);
    };
  }

  addFieldOwner(rule: FieldOwnerRule): FieldOwnerHandle {
    const owner: ActiveOwner = { rule, matches: this.matcher(rule), writes: 0 };
    this.owners.push(owner);
    this.unsubscribe ??= this.store.subscribe((e) => this.changed(e));
    // objects that exist already get the field too, as a controller's initial list would do
    const def = this.registry.byStorageKey(`${rule.group ?? ''}/${rule.resource}`);
    if (def) for (const obj of this.store.list(`${def.group}/${def.plural}`)) this.schedule(owner, def, obj);
    return {
      get writes() {
        return owner.writes;
      },
      stop: () => {
        this.owners = this.owners.filter((o) => o !== owner);
      },
    };
  }

  clear(): void {
    this.admissions = [];
    this.owners = [];
  }

  /** Mutating admission of one write, in place; called after defaulting and before validation. */
  admit(def: ResourceDef, obj: KubeObject, operation: 'CREATE' | 'UPDATE'): void {
    for (const { rule, matches } of this.admissions) {
      if (!sameResource(rule, def) || !(rule.operations ?? ['CREATE', 'UPDATE']).includes(operation))
        continue;
      if (!matches(obj)) continue;
      if (rule.labels) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...rule.labels };
      if (rule.annotations)
        obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...rule.annotations };
    }
  }

  private matcher(scope: DoubleScope): (obj: KubeObject) => boolean {
    const own = objectFilter(scope.labelSelector ?? null, null, { group: '', kind: '' });
    const ns = scope.namespaceSelector
      ? objectFilter(scope.namespaceSelector, null, { group: '', kind: 'Namespace' })
      : undefined;
    return (obj) => {
      if (!own(obj)) return false;
      if (!ns) return true;
      const namespace = this.store.get('/namespaces', undefined, obj.metadata.namespace ?? '');
      return namespace !== undefined && ns(namespace);
    };
  }

  private changed(e: StoreEvent): void {
    if (e.type === 'DELETED' || this.owners.length === 0) return;
    const def = this.registry.byStorageKey(e.resource);
    if (!def) return;
    for (const owner of this.owners) if (sameResource(owner.rule, def)) this.schedule(owner, def, e.object);
  }

  private schedule(owner: ActiveOwner, def: ResourceDef, obj: KubeObject): void {
    if (obj.metadata.deletionTimestamp || !owner.matches(obj)) return;
    setImmediate(() => {
      if (!this.owners.includes(owner)) return;
      const live = this.store.get(`${def.group}/${def.plural}`, obj.metadata.namespace, obj.metadata.name);
      if (!live || live.metadata.deletionTimestamp || !owner.matches(live)) return;
      const { annotation, value, manager } = owner.rule;
      const want = typeof value === 'function' ? value(live) : value;
      if (live.metadata.annotations?.[annotation] === want) return;
      try {
        this.service().patch(
          def,
          live.metadata.namespace,
          live.metadata.name,
          'merge',
          {
            metadata: { annotations: { [annotation]: want }, resourceVersion: live.metadata.resourceVersion },
          },
          { fieldManager: manager },
        );
        owner.writes += 1;
      } catch {
        // a conflict or a concurrent delete: the next event brings the object round again
      }
    });
  }
}

function sameResource(scope: DoubleScope, def: ResourceDef): boolean {
  return def.plural === scope.resource && def.group === (scope.group ?? '');
}
