import type { ResourceDef } from '../resource-registry.js';

/**
 * The fields the Go types of the built-in kinds have (k8s.io/api core/v1 and apps/v1 types.go, json tags), compactly:
 * what the strict JSON decoder (sigs.k8s.io/json UnmarshalStrict, used by the apiserver's serializer with
 * fieldValidation) reports as `unknown field "<path>"` and what the plain decoder silently drops.
 *
 * Described: ConfigMap, Secret, Service, Deployment (top level, spec, strategy, the pod template's metadata) and
 * Namespace, with ObjectMeta everywhere it appears. NOT described, so kept as they are (as before): the pod
 * template's `spec`, every `status`, label selectors, and every kind not listed in KINDS (their fields are kept; the
 * sandbox has no schema for them).
 */
type Shape =
  | 'leaf' // a scalar, a map of scalars, or a subtree the sandbox does not describe: not descended
  | { fields: Record<string, Shape> }
  | { items: Shape }; // a list of objects

const leaf = 'leaf' as const;
const obj = (fields: Record<string, Shape>): Shape => ({ fields });
const listOf = (items: Shape): Shape => ({ items });

const OBJECT_META = obj({
  name: leaf,
  generateName: leaf,
  namespace: leaf,
  selfLink: leaf,
  uid: leaf,
  resourceVersion: leaf,
  generation: leaf,
  creationTimestamp: leaf,
  deletionTimestamp: leaf,
  deletionGracePeriodSeconds: leaf,
  labels: leaf,
  annotations: leaf,
  ownerReferences: listOf(
    obj({ apiVersion: leaf, kind: leaf, name: leaf, uid: leaf, controller: leaf, blockOwnerDeletion: leaf }),
  ),
  finalizers: leaf,
  managedFields: listOf(
    obj({
      manager: leaf,
      operation: leaf,
      apiVersion: leaf,
      time: leaf,
      fieldsType: leaf,
      fieldsV1: leaf,
      subresource: leaf,
    }),
  ),
});

const SERVICE_PORT = obj({
  name: leaf,
  protocol: leaf,
  appProtocol: leaf,
  port: leaf,
  targetPort: leaf,
  nodePort: leaf,
});

const KINDS: Record<string, Record<string, Shape>> = {
  '/ConfigMap': { data: leaf, binaryData: leaf, immutable: leaf },
  '/Secret': { data: leaf, stringData: leaf, type: leaf, immutable: leaf },
  '/Namespace': { spec: obj({ finalizers: leaf }), status: leaf },
  '/Service': {
    spec: obj({
      ports: listOf(SERVICE_PORT),
      selector: leaf,
      clusterIP: leaf,
      clusterIPs: leaf,
      type: leaf,
      externalIPs: leaf,
      sessionAffinity: leaf,
      loadBalancerIP: leaf,
      loadBalancerSourceRanges: leaf,
      externalName: leaf,
      externalTrafficPolicy: leaf,
      healthCheckNodePort: leaf,
      publishNotReadyAddresses: leaf,
      sessionAffinityConfig: leaf,
      ipFamilies: leaf,
      ipFamilyPolicy: leaf,
      allocateLoadBalancerNodePorts: leaf,
      loadBalancerClass: leaf,
      internalTrafficPolicy: leaf,
      trafficDistribution: leaf,
    }),
    status: leaf,
  },
  'apps/Deployment': {
    spec: obj({
      replicas: leaf,
      selector: leaf,
      template: obj({ metadata: OBJECT_META, spec: leaf }),
      strategy: obj({ type: leaf, rollingUpdate: obj({ maxUnavailable: leaf, maxSurge: leaf }) }),
      minReadySeconds: leaf,
      revisionHistoryLimit: leaf,
      paused: leaf,
      progressDeadlineSeconds: leaf,
    }),
    status: leaf,
  },
};

/** true when the sandbox describes the kind's fields (so unknown ones are dropped and reported) */
export function describesFields(def: ResourceDef): boolean {
  return def.crdName === undefined && Object.hasOwn(KINDS, `${def.group}/${def.kind}`);
}

export interface UnknownField {
  /** the strict decoder's path: `spec.bogus`, `spec.ports[0].bogus` */
  path: string;
  /** structured-merge-diff's path of the same field: `.spec.bogus`, `.spec.ports[port=80,protocol="TCP"].bogus` */
  smdPath: string;
}

/** SMD keys of the described lists of objects (the listMapKeys of k8s.io/api), for smdPath */
const LIST_KEYS: Record<string, { keys: string[]; defaults: Record<string, unknown> }> = {
  ports: { keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } },
  ownerReferences: { keys: ['uid'], defaults: {} },
  managedFields: { keys: [], defaults: {} },
};

function itemPath(field: string, item: unknown, index: number): { path: string; smd: string } {
  const lk = Object.hasOwn(LIST_KEYS, field) ? LIST_KEYS[field]! : undefined;
  const path = `[${index}]`;
  if (!lk || lk.keys.length === 0 || item === null || typeof item !== 'object') return { path, smd: path };
  const o = item as Record<string, unknown>;
  const parts = lk.keys.map((k) => `${k}=${JSON.stringify(o[k] ?? lk.defaults[k] ?? null)}`);
  return { path, smd: `[${parts.join(',')}]` };
}

function walk(v: unknown, shape: Shape, path: string, smd: string, out: UnknownField[], field: string): void {
  if (shape === 'leaf' || v === null || typeof v !== 'object') return;
  if ('items' in shape) {
    if (!Array.isArray(v)) return;
    v.forEach((item, i) => {
      const p = itemPath(field, item, i);
      walk(item, shape.items, `${path}${p.path}`, `${smd}${p.smd}`, out, field);
    });
    return;
  }
  if (Array.isArray(v)) return;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const childPath = path ? `${path}.${k}` : k;
    const childSmd = `${smd}.${k}`;
    if (!Object.hasOwn(shape.fields, k)) {
      out.push({ path: childPath, smdPath: childSmd });
      delete o[k];
      continue;
    }
    walk(o[k], shape.fields[k]!, childPath, childSmd, out, k);
  }
}

/**
 * Drops (in place) the fields of a built-in object that its Go type does not have and returns them in document
 * order; nothing for kinds the sandbox does not describe.
 */
export function dropUnknownFields(def: ResourceDef, body: Record<string, unknown>): UnknownField[] {
  if (!describesFields(def)) return [];
  const shape = obj({
    apiVersion: leaf,
    kind: leaf,
    metadata: OBJECT_META,
    ...KINDS[`${def.group}/${def.kind}`]!,
  });
  const out: UnknownField[] = [];
  walk(body, shape, '', '', out, '');
  return out;
}
