import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import { coreEventFromEventsV1 } from './builtin-resources.js';
import { crdSchemaCauses } from './crd-schema.js';
import { ipFamilyDefaults } from './defaulting/core.js';
import { deepEqual } from './json-patches.js';
import type { ResourceDef } from './resource-registry.js';
import {
  configMapCauses,
  secretCauses,
  serviceCauses,
  serviceStatusCauses,
} from './validation/core-kinds.js';
import type { Cause } from './validation/field-errors.js';
import {
  commonUpdateMetaCauses,
  createMetaCauses,
  genericCreateMetaCauses,
  updateMetaCauses,
} from './validation/object-meta.js';
import {
  endpointSliceCauses,
  eventCauses,
  eventUpdateCauses,
  leaseCauses,
  namespaceCauses,
} from './validation/other-kinds.js';
import { tlsKeyPairError } from './validation/tls-pair.js';
import {
  deploymentCauses,
  deploymentUpdateCauses,
  podDisruptionBudgetCauses,
} from './validation/workload-kinds.js';

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

/**
 * The same error found by two validations (common and the strategy's) is reported once for a built-in kind; a custom
 * resource's validator checks ObjectMeta again itself and the real server lists each finding (the message, an
 * aggregate, names it once).
 */
function throwIfAny(def: ResourceDef, obj: KubeObject, causes: Cause[]): void {
  const seen = new Set<string>();
  const unique = causes.filter((c) => {
    if (def.crdName !== undefined) return true;
    const key = `${c.type ?? ''}\u0000${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // a view of another resource's storage is validated as that resource's internal kind (Event, not Event.events.k8s.io)
  const group = def.storedAs === '/events' ? '' : def.group;
  if (unique.length > 0) throw apiErrors.invalid(group, def.kind, obj.metadata.name ?? '', unique);
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
  if (def.kind === 'Namespace' && obj.metadata.name) {
    obj.metadata.labels = {
      ...(obj.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': obj.metadata.name,
    };
  }
}

/**
 * job strategy generateSelectorIfNeeded: unless `manualSelector`, the pod template is labelled with the Job's name
 * and uid (legacy and batch.kubernetes.io keys, where not set) and the selector matches the uid label. The Job's own
 * labels then default to its template's when it has none (SetDefaults_Job, applied again as the stored object is
 * decoded).
 */
function generateJobSelector(obj: KubeObject): void {
  type Labels = Record<string, string>;
  const spec = (obj.spec ?? {}) as {
    manualSelector?: boolean;
    selector?: { matchLabels?: Labels };
    template?: { metadata?: { labels?: Labels } };
  };
  if (spec.manualSelector === true) return;
  const template = spec.template ?? {};
  const tmeta = template.metadata ?? {};
  const labels: Labels = { ...(tmeta.labels ?? {}) };
  const name = obj.metadata.name ?? '';
  const uid = obj.metadata.uid ?? '';
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) labels[key] ??= name;
  for (const key of ['controller-uid', 'batch.kubernetes.io/controller-uid']) labels[key] ??= uid;
  const selector = spec.selector ?? {};
  const matchLabels: Labels = { ...(selector.matchLabels ?? {}) };
  matchLabels['batch.kubernetes.io/controller-uid'] ??= uid;
  obj.spec = {
    ...spec,
    selector: { ...selector, matchLabels },
    template: { ...template, metadata: { ...tmeta, labels } },
  };
  if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0)
    obj.metadata.labels = { ...labels };
}

/**
 * What a kind's strategy sets on create after the field manager ran (PrepareForCreate), so no writer owns it: a
 * Namespace is Active and always carries the `kubernetes` finalizer.
 */
export function prepareForCreate(def: ResourceDef, obj: KubeObject): void {
  if (def.group === 'batch' && def.kind === 'Job') {
    generateJobSelector(obj);
    return;
  }
  if (def.group !== '' || def.kind !== 'Namespace') return;
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
  obj.status = { phase: 'Active' };
  const spec = (obj.spec ?? {}) as { finalizers?: string[] };
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
  if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
  obj.spec = spec;
}

const FORBIDDEN_WHEN_IMMUTABLE = 'Forbidden: field is immutable when `immutable` is set';

/** ConfigMap/Secret `immutable: true`: the flag and the data stay as they are */
function immutableDataCauses(def: ResourceDef, old: KubeObject, next: KubeObject): Cause[] {
  if (old.immutable !== true) return [];
  const causes: Cause[] = [];
  const forbidden = (field: string) =>
    causes.push({ field, message: FORBIDDEN_WHEN_IMMUTABLE, type: 'FieldValueForbidden' });
  if (next.immutable !== true) forbidden('immutable');
  if (!same(old.data, next.data)) forbidden('data');
  if (def.kind === 'ConfigMap' && !same(old.binaryData, next.binaryData)) forbidden('binaryData');
  return causes;
}

/**
 * The kind's own validation after its ObjectMeta (each group's pkg/apis/<group>/validation ValidateX /
 * ValidateXUpdate, in their order); `old` on update. Events are validated in their core form, strictly when written
 * through events.k8s.io/v1.
 */
function kindCauses(def: ResourceDef, obj: KubeObject, old?: KubeObject, subresource?: string): Cause[] {
  const o = obj as unknown as Record<string, unknown>;
  switch (`${def.group}/${def.kind}`) {
    case '/ConfigMap':
      return [...(old ? immutableDataCauses(def, old, obj) : []), ...configMapCauses(obj)];
    case '/Secret': {
      const causes: Cause[] = [];
      if (old && old.type !== obj.type)
        causes.push({
          field: 'type',
          message: `Invalid value: "${String(obj.type)}": field is immutable`,
          type: 'FieldValueInvalid',
        });
      if (old) causes.push(...immutableDataCauses(def, old, obj));
      return [...causes, ...secretCauses(obj)];
    }
    case '/Service': {
      if (subresource === 'status') return serviceStatusCauses(obj);
      const causes: Cause[] = [];
      const os = (old?.spec ?? {}) as Record<string, unknown>;
      const ns = (obj.spec ?? {}) as Record<string, unknown>;
      if (
        old &&
        os.clusterIP &&
        ns.clusterIP &&
        os.clusterIP !== ns.clusterIP &&
        os.clusterIP !== 'None' &&
        ns.type !== 'ExternalName'
      )
        causes.push({
          field: 'spec.clusterIPs[0]',
          message: `Invalid value: ${JSON.stringify(ns.clusterIPs ?? [ns.clusterIP])}: may not change once set`,
          type: 'FieldValueInvalid',
        });
      return [...causes, ...serviceCauses(obj)];
    }
    case '/Namespace':
      return old ? [] : namespaceCauses(o);
    case '/Event':
    case 'events.k8s.io/Event': {
      const core = def.group === '' ? o : (coreEventFromEventsV1(obj) as unknown as Record<string, unknown>);
      if (!old) return eventCauses(def, core, obj.metadata);
      const oldCore = def.group === '' ? old : coreEventFromEventsV1(old);
      return eventUpdateCauses(
        def,
        core,
        oldCore as unknown as Record<string, unknown>,
        obj.metadata,
        old.metadata,
      );
    }
    case 'apps/Deployment':
      if (subresource === 'status') return [];
      return [
        ...deploymentCauses(o),
        ...(old ? deploymentUpdateCauses(old as unknown as Record<string, unknown>, o) : []),
      ];
    case 'policy/PodDisruptionBudget':
      return subresource === 'status' ? [] : podDisruptionBudgetCauses(o);
    case 'discovery.k8s.io/EndpointSlice':
      return endpointSliceCauses(o, old as unknown as Record<string, unknown> | undefined);
    case 'coordination.k8s.io/Lease':
      return leaseCauses(o);
    default:
      return [];
  }
}

/** The strategy's WarningsOnCreate/WarningsOnUpdate: a TLS Secret whose certificate and key are no key pair. */
export function kindWarnings(def: ResourceDef, obj: KubeObject): string[] {
  if (def.group !== '' || def.kind !== 'Secret' || obj.type !== 'kubernetes.io/tls') return [];
  const data = (obj.data ?? {}) as Record<string, unknown>;
  const text = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64').toString('utf8');
  const err = tlsKeyPairError(text('tls.crt'), text('tls.key'));
  return err ? [err] : [];
}

/**
 * rest/create.go ValidateCreate: the kind's strategy (its ObjectMeta flavour, then its own fields); when that found
 * nothing, ObjectMeta once more with only the path-segment name rule.
 */
export function validateCreate(def: ResourceDef, obj: KubeObject): void {
  const causes = [...createMetaCauses(def, obj.metadata), ...kindCauses(def, obj)];
  if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io')
    causes.push(...crdCauses(obj));
  if (causes.length === 0) causes.push(...genericCreateMetaCauses(def, obj.metadata));
  throwIfAny(def, obj, causes);
}

function same(a: unknown, b: unknown): boolean {
  return deepEqual(a ?? null, b ?? null);
}

/** rest/update.go ValidateUpdate: the common ObjectMeta checks, then the kind's strategy (ObjectMeta, its own rules). */
export function validateUpdate(
  def: ResourceDef,
  old: KubeObject,
  next: KubeObject,
  subresource?: string,
): void {
  const causes = [
    ...commonUpdateMetaCauses(def, next.metadata, old.metadata),
    ...updateMetaCauses(def, next.metadata, old.metadata),
    ...kindCauses(def, next, old, subresource),
  ];
  if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io')
    causes.push(...crdCauses(next));
  throwIfAny(def, next, causes);
}

/**
 * service strategy dropTypeDependentFields: a Service changing type loses what only the old type had, when the update
 * left it as it was (the cluster IPs and families of a service that becomes an ExternalName, node ports of one that is
 * no longer NodePort or LoadBalancer).
 */
export function dropTypeDependentFields(def: ResourceDef, old: KubeObject, next: KubeObject): void {
  if (def.group !== '' || def.kind !== 'Service') return;
  const o = (old.spec ?? {}) as Record<string, unknown>;
  const n = (next.spec ?? {}) as Record<string, unknown>;
  const needsIP = (s: Record<string, unknown>) => s.type !== 'ExternalName';
  if (needsIP(o) && !needsIP(n)) {
    if (same(o.clusterIP, n.clusterIP) && same(o.clusterIPs, n.clusterIPs)) {
      delete n.clusterIP;
      delete n.clusterIPs;
    }
    if (same(o.ipFamilies, n.ipFamilies)) delete n.ipFamilies;
    if (same(o.ipFamilyPolicy, n.ipFamilyPolicy)) delete n.ipFamilyPolicy;
  }
  const needsNodePort = (s: Record<string, unknown>) => s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (needsNodePort(o) && !needsNodePort(n) && Array.isArray(n.ports))
    for (const p of n.ports as Record<string, unknown>[]) delete p.nodePort;
}

/** Server-allocated fields that an update without them keeps (Service clusterIP, like patchAllocatedValues). */
export function carryAllocated(
  def: ResourceDef,
  old: KubeObject,
  next: KubeObject,
  allocate: { ip(): string; nodePort(): number },
): void {
  if (def.group !== '' || def.kind !== 'Service') return;
  const spec = ((next.spec as Record<string, unknown>) ?? {}) as Record<string, unknown>;
  next.spec = spec;
  const oldSpec = (old.spec ?? {}) as Record<string, unknown>;
  if (!spec.type) spec.type = 'ClusterIP';
  // an ExternalName service is a DNS name: no address, no families (storage/alloc.go needsClusterIP)
  if (spec.type === 'ExternalName') return;
  // an update without them keeps what was allocated (patchAllocatedValues)
  if (!spec.clusterIP && oldSpec.clusterIP) {
    spec.clusterIP = oldSpec.clusterIP;
    if (!isNonEmptyList(spec.clusterIPs)) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (!isNonEmptyList(spec.ipFamilies) && isNonEmptyList(oldSpec.ipFamilies))
    spec.ipFamilies = oldSpec.ipFamilies;
  if (!spec.ipFamilyPolicy && oldSpec.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
  if (!spec.clusterIP) spec.clusterIP = allocate.ip();
  if (!isNonEmptyList(spec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
  ipFamilyDefaults(spec);
  // NodePort and LoadBalancer (unless allocateLoadBalancerNodePorts is false) get a node port per port, kept on update
  const nodePorts =
    spec.type === 'NodePort' ||
    (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  if (!nodePorts || !Array.isArray(spec.ports)) return;
  const oldPorts = Array.isArray(oldSpec.ports) ? (oldSpec.ports as Record<string, unknown>[]) : [];
  for (const port of spec.ports as Record<string, unknown>[]) {
    if (typeof port.nodePort === 'number' && port.nodePort !== 0) continue;
    const same = oldPorts.find(
      (o) => o.port === port.port && (o.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
    );
    port.nodePort =
      typeof same?.nodePort === 'number' && same.nodePort !== 0 ? same.nodePort : allocate.nodePort();
  }
}

const isNonEmptyList = (v: unknown) => Array.isArray(v) && v.length > 0;

/** True when something besides metadata/status changed (drives metadata.generation). */
export function specChanged(old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !same(strip(old), strip(next));
}
