import type { ResourceType } from './types.js';

/**
 * Which resource types may be mirrored, by group + kind (versions do not matter). Pure data and lookups.
 */

const NEVER: ReadonlyMap<string, string> = new Map([
  ['/Pod', 'pods are run by their controllers, not copied'],
  ['/Event', 'events describe one namespace'],
  ['events.k8s.io/Event', 'events describe one namespace'],
  ['/Endpoints', 'endpoints are maintained by the endpoints controller'],
  ['discovery.k8s.io/EndpointSlice', 'endpoint slices are maintained by the endpointslice controller'],
  ['coordination.k8s.io/Lease', 'leases are per-holder locks'],
  ['/Binding', 'bindings are create-only scheduler requests'],
  ['apps/ControllerRevision', 'controller revisions belong to their workload'],
  ['apps/ReplicaSet', 'replica sets are owned by deployments'],
  ['/ReplicationController', 'replication controllers would run pods in every target'],
  ['/PersistentVolumeClaim', 'a claim binds one volume'],
  ['snapshot.storage.k8s.io/VolumeSnapshot', 'a snapshot refers to one namespace’s volume'],
  [
    'kubemirror.io/MirrorPolicy',
    'a policy publishes from its own namespace; a copy would publish from every target',
  ],
]);

/** Whole groups whose kinds are never mirrored. */
const NEVER_GROUPS: ReadonlyMap<string, string> = new Map([
  ['metrics.k8s.io', 'metrics are read-only views'],
  ['authorization.k8s.io', 'access reviews are create-only requests'],
  ['authentication.k8s.io', 'token reviews are create-only requests'],
]);

const UNLESS_EXPLICIT: ReadonlyMap<string, string> = new Map([
  ['rbac.authorization.k8s.io/Role', 'mirroring RBAC can escalate privileges'],
  ['rbac.authorization.k8s.io/RoleBinding', 'mirroring RBAC can escalate privileges'],
  ['/ServiceAccount', 'mirroring service accounts can escalate privileges'],
]);

const label = (t: Pick<ResourceType, 'group' | 'kind'>) => (t.group === '' ? t.kind : `${t.kind}.${t.group}`);

/**
 * Why this type may not be mirrored, or null. `explicit` = named in `--resource-types` (allows Role,
 * RoleBinding and ServiceAccount, never the hard deny list nor cluster-scoped types).
 */
export function resourceDenyReason(
  t: Pick<ResourceType, 'group' | 'kind'> & { namespaced?: boolean },
  explicit: boolean,
): string | null {
  if (t.namespaced === false) return `${label(t)} is cluster-scoped and is never mirrored`;
  const key = `${t.group}/${t.kind}`;
  const never =
    NEVER.get(key) ??
    NEVER_GROUPS.get(t.group) ??
    (t.group === 'storage.k8s.io' && t.kind.startsWith('CSI')
      ? 'CSI objects are node/driver state'
      : undefined);
  if (never) return `${label(t)} is never mirrored: ${never}`;
  const unless = UNLESS_EXPLICIT.get(key);
  if (unless && !explicit) return `${label(t)} is not mirrored unless listed in --resource-types: ${unless}`;
  return null;
}

export interface ResourceTypeRef {
  kind: string;
  version: string;
  /** '' for the core group */
  group: string;
}

const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses `Kind.version[.group]` entries (`Secret.v1,ConfigMap.v1,Ingress.v1.networking.k8s.io`), from one
 * comma-separated string or a list of them. Blank entries are ignored, duplicates dropped, every bad
 * entry reported.
 */
export function parseResourceTypeList(input: string | readonly string[]): {
  types: ResourceTypeRef[];
  errors: string[];
} {
  const entries = (typeof input === 'string' ? [input] : input).flatMap((s) => s.split(','));
  const types: ResourceTypeRef[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [kind = '', version = '', ...rest] = entry.split('.');
    const group = rest.join('.');
    if (!KIND.test(kind) || !VERSION.test(version) || (group !== '' && !GROUP.test(group))) {
      errors.push(
        `invalid resource type "${entry}": expected Kind.version[.group], e.g. Ingress.v1.networking.k8s.io`,
      );
      continue;
    }
    const id = `${kind}.${version}.${group}`;
    if (seen.has(id)) continue;
    seen.add(id);
    types.push({ kind, version, group });
  }
  return { types, errors };
}
