import { BUILTIN_RESOURCES } from './builtin-resources.js';
import type { ResourceDef } from './resource-def.js';

export type { ResourceDef };

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** Storage identity of a resource: versions share it, and so do resources that are views of another's storage. */
export function storageKey(def: Pick<ResourceDef, 'group' | 'plural' | 'storedAs'>): string {
  return def.storedAs ?? `${def.group}/${def.plural}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The set of served resources: built-ins plus whatever CRDs currently register. */
export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();
  private generationCounter = 0;

  static withBuiltins(): ResourceRegistry {
    const r = new ResourceRegistry();
    for (const d of BUILTIN_RESOURCES) r.add(d);
    return r;
  }

  /** Changes whenever the set of resources changes (used as the openapi hash). */
  get generation(): number {
    return this.generationCounter;
  }

  add(def: ResourceDef): void {
    this.defs.set(`${def.group}/${def.plural}`, def);
    this.generationCounter++;
  }

  remove(group: string, plural: string): ResourceDef | undefined {
    const key = `${group}/${plural}`;
    const def = this.defs.get(key);
    this.defs.delete(key);
    this.generationCounter++;
    return def;
  }

  /** The resource served at /{group}/{version}/{plural}, if that version is served. */
  find(group: string, version: string, plural: string): ResourceDef | undefined {
    const def = this.defs.get(`${group}/${plural}`);
    return def?.versions.includes(version) ? def : undefined;
  }

  /** The resource that owns a storage key (not a view of it, like events.k8s.io's of core events). */
  byStorageKey(key: string): ResourceDef | undefined {
    return this.defs.get(key);
  }

  findByKind(group: string, version: string, kind: string): ResourceDef | undefined {
    for (const d of this.defs.values()) {
      if (d.group === group && d.kind === kind && d.versions.includes(version)) return d;
    }
    return undefined;
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  /** group → versions, the preferred version first; the core group is ''. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.defs.values()) {
      const versions = out.get(d.group) ?? [];
      for (const v of d.versions) if (!versions.includes(v)) versions.push(v);
      out.set(d.group, versions);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.versions.includes(version));
  }
}
