import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import { deepEqual } from './json-patches.js';
import type { ResourceDef } from './resource-registry.js';

/** Per-kind defaulting and validation the real API server applies on create and update. */

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

interface Cause {
  field: string;
  message: string;
  type?: string;
}

function nameCauses(def: ResourceDef, name: string | undefined, generateName: unknown): Cause[] {
  if (!name) {
    return generateName
      ? []
      : [
          {
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
            type: 'FieldValueRequired',
          },
        ];
  }
  if (def.nameRule === 'label' && (!LABEL.test(name) || name.length > 63)) {
    return [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      },
    ];
  }
  if (!SUBDOMAIN.test(name) || name.length > 253) {
    return [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ];
  }
  return [];
}

function metadataCauses(obj: KubeObject): Cause[] {
  const causes: Cause[] = [];
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (!QUALIFIED_NAME.test(k))
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (!QUALIFIED_NAME.test(k))
      causes.push({
        field: 'metadata.annotations',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    if (typeof v !== 'string')
      causes.push({
        field: `metadata.annotations`,
        message: `Invalid value: annotation values must be strings`,
      });
  }
  return causes;
}

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

export function validateCreate(def: ResourceDef, obj: KubeObject): void {
  const causes = [...nameCauses(def, obj.metadata.name, obj.metadata.generateName), ...metadataCauses(obj)];
  if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io')
    causes.push(...crdCauses(obj));
  throwIfAny(def, obj, causes);
}

function same(a: unknown, b: unknown): boolean {
  return deepEqual(a ?? null, b ?? null);
}

/** Update validation: immutability rules and the finalizer rule for objects being deleted. */
export function validateUpdate(def: ResourceDef, old: KubeObject, next: KubeObject): void {
  const causes = metadataCauses(next);
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
