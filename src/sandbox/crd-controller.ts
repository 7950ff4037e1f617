import type { KubeObject } from '../core/types.js';
import type { ObjectStore } from './object-store.js';
import { type ResourceDef, type ResourceRegistry, storageKey } from './resource-registry.js';

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: { name: string; served?: boolean; storage?: boolean; subresources?: { status?: unknown } }[];
}

export function defFromCrd(crd: KubeObject): ResourceDef {
  const spec = crd.spec as CrdSpec;
  const served = spec.versions.filter((v) => v.served !== false);
  const storage = served.find((v) => v.storage);
  const versions = [
    ...(storage ? [storage.name] : []),
    ...served.filter((v) => v !== storage).map((v) => v.name),
  ];
  return {
    group: spec.group,
    versions,
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    tracksGeneration: true,
    crdName: crd.metadata.name,
    strategicMerge: false,
    nameRule: 'subdomain',
    statusSubresource:
      typeof storage?.subresources?.status === 'object' && storage.subresources.status !== null,
  };
}

/**
 * Keeps the registry in step with CustomResourceDefinitions: a written CRD serves its resource at once
 * (the real server takes a moment to establish it); a deleted one takes its objects and open watches along.
 */
export class CrdController {
  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStore,
    private readonly removeObject: (def: ResourceDef, obj: KubeObject) => void,
    private readonly resourceGone: (storageKey: string) => void,
  ) {}

  written(crd: KubeObject): void {
    const def = defFromCrd(crd);
    if (def.versions.length === 0) {
      this.registry.remove(def.group, def.plural);
      return;
    }
    this.registry.add(def);
  }

  deleting(crd: KubeObject): void {
    const def = defFromCrd(crd);
    const key = storageKey(def);
    for (const obj of this.store.list(key)) this.removeObject(def, obj);
    this.store.dropResource(key);
    this.registry.remove(def.group, def.plural);
    this.resourceGone(key);
  }
}

/** The status a real server reports for an accepted, established CRD. Mutates `crd`. */
export function crdStatus(crd: KubeObject, now: string): void {
  const spec = (crd.spec ?? {}) as {
    names?: Record<string, unknown>;
    versions?: { name: string; storage?: boolean }[];
  };
  const names = { ...(spec.names ?? {}) };
  if (!names.singular && typeof names.kind === 'string') names.singular = names.kind.toLowerCase();
  if (!names.listKind && typeof names.kind === 'string') names.listKind = `${names.kind}List`;
  const stamp = crd.metadata.creationTimestamp ?? now;
  crd.status = {
    acceptedNames: names,
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: stamp,
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: stamp,
      },
    ],
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}
