import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import { crdSchemaCauses } from './crd-schema.js';
import { deepEqual } from './json-patches.js';
import type { ResourceDef } from './resource-registry.js';
import { configMapCauses, secretCauses, serviceCauses } from './validation/core-kinds.js';
import type { Cause } from './validation/field-errors.js';
import { metadataCauses, nameCauses } from './validation/object-meta.js';

/** Per-kind defaulting and validation the real API server applies on create and update. */

function crdCauses(obj: KubeObject): Cause[] {
  const spec = (obj.spec ?? {}) as {
    group?: string;
    names?: { plural?: string; kind?: string };
    scope?: string;
    versions?: { name: string; served?: boolean; storage?: boolean }[];
  };
  const causes: Cause[] = [];
  if (!spec.group)
    causes.push({ field: 'spec.group', message: 'Required value', type: 'FieldValueRequired' });
  if (!spec.names?.plural)
    causes.push({ field: 'spec.names.plural', message: 'Required value', type: 'FieldValueRequired' });
  if (!spec.names?.kind)
    causes.push({ field: 'spec.names.kind', message: 'Required value', type: 'FieldValueRequired' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    causes.push({
      field: 'spec.scope',
      message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`,
      type: 'FieldValueNotSupported',
    });
  if (spec.group && spec.names?.plural && obj.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group`,
    });
  }
  const storage = (spec.versions ?? []).filter((v) => v.storage);
  if (storage.length !== 1)
    causes.push({
      field: 'spec.versions',
      message: 'Invalid value: must have exactly one version marked as storage version',
    });
  causes.push(...crdSchemaCauses(obj));
  return causes;
}

function throwIfAny(def: ResourceDef, obj: KubeObject, causes: Cause[]): void {
  if (causes.length > 0) throw apiErrors.invalid(def.group, def.kind, obj.metadata.name ?? '', causes);
}

/** Defaulting shared by create and update (Secret stringData folding etc.). Mutates `obj`. */
export function normalize(def: ResourceDef, obj: KubeObject): void {
  if (def.group !== '') return;
  if (def.kind === 'Secret') {
    const stringData = obj.stringData as Record<string, string> | undefined;
    if (stringData) {
      const data = { ...((obj.data as Record<string, string>) ?? {}) };
      for (const [k, v] of Object.entries(stringData))
        data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      obj.data = data;
      delete obj.stringData;
    }
    if (!obj.type) obj.type = 'Opaque';
  }
  if (def.kind === 'Namespace') {
    obj.metadata.labels = {
      ...(obj.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': obj.metadata.name,
    };
    obj.spec = { finalizers: ['kubernetes'], ...((obj.spec as object) ?? {}) };
    obj.status = { phase: obj.metadata.deletionTimestamp ? 'Terminating' : 'Active' };
  }
}

/** The kind's own validation (pkg/apis/core/validation/validation.go), on create and update alike. */
function kindCauses(def: ResourceDef, obj: KubeObject): Cause[] {
  if (def.group !== '') return [];
  if (def.kind === 'ConfigMap') return configMapCauses(obj);
  if (def.kind === 'Secret') return secretCauses(obj);
  if (def.kind === 'Service') return serviceCauses(obj);
  return [];
}

export function validateCreate(def: ResourceDef, obj: KubeObject): void {
  const causes = [
    ...nameCauses(def, obj.metadata.name, obj.metadata.generateName),
    ...metadataCauses(obj),
    ...kindCauses(def, obj),
  ];
  if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io')
    causes.push(...crdCauses(obj));
  throwIfAny(def, obj, causes);
}

function same(a: unknown, b: unknown): boolean {
  return deepEqual(a ?? null, b ?? null);
}

/** Update validation: immutability rules and the finalizer rule for objects being deleted. */
export function validateUpdate(def: ResourceDef, old: KubeObject, next: KubeObject): void {
  const causes = [...metadataCauses(next), ...kindCauses(def, next)];
  if (def.group === '' && (def.kind === 'Secret' || def.kind === 'ConfigMap')) {
    if (old.immutable === true) {
      if (next.immutable !== true)
        causes.push({
          field: 'immutable',
          message: 'Forbidden: field is immutable when `immutable` is set',
          type: 'FieldValueForbidden',
        });
      if (!same(old.data, next.data))
        causes.push({
          field: 'data',
          message: 'Forbidden: field is immutable when `immutable` is set',
          type: 'FieldValueForbidden',
        });
      if (def.kind === 'ConfigMap' && !same(old.binaryData, next.binaryData)) {
        causes.push({
          field: 'binaryData',
          message: 'Forbidden: field is immutable when `immutable` is set',
          type: 'FieldValueForbidden',
        });
      }
    }
    if (def.kind === 'Secret' && old.type !== next.type) {
      causes.push({ field: 'type', message: `Invalid value: "${String(next.type)}": field is immutable` });
    }
  }
  if (def.group === '' && def.kind === 'Service') {
    const o = (old.spec ?? {}) as Record<string, unknown>;
    const n = (next.spec ?? {}) as Record<string, unknown>;
    if (o.clusterIP && n.clusterIP && o.clusterIP !== n.clusterIP && o.clusterIP !== 'None') {
      causes.push({
        field: 'spec.clusterIPs[0]',
        message: `Invalid value: "${String(n.clusterIP)}": may not change once set`,
      });
    }
  }
  if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io')
    causes.push(...crdCauses(next));
  if (old.metadata.deletionTimestamp) {
    const added = (next.metadata.finalizers ?? []).filter(
      (f) => !(old.metadata.finalizers ?? []).includes(f),
    );
    if (added.length > 0) {
      causes.push({
        field: 'metadata.finalizers',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`,
        type: 'FieldValueForbidden',
      });
    }
  }
  throwIfAny(def, next, causes);
}

/** Server-allocated fields that an update without them keeps (Service clusterIP, like patchAllocatedValues). */
export function carryAllocated(
  def: ResourceDef,
  old: KubeObject,
  next: KubeObject,
  allocateIp: () => string,
): void {
  if (def.group !== '' || def.kind !== 'Service') return;
  const spec = ((next.spec as Record<string, unknown>) ?? {}) as Record<string, unknown>;
  next.spec = spec;
  const oldSpec = (old.spec ?? {}) as Record<string, unknown>;
  if (!spec.type) spec.type = 'ClusterIP';
  if (!spec.clusterIP) spec.clusterIP = oldSpec.clusterIP ?? allocateIp();
  if (!spec.clusterIPs) spec.clusterIPs = oldSpec.clusterIPs ?? [spec.clusterIP];
}

/** True when something besides metadata/status changed (drives metadata.generation). */
export function specChanged(old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !same(strip(old), strip(next));
}
