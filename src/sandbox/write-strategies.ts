import type { KubeObject } from '../core/types.js';
import { apiErrors } from './api-error.js';
import type { ResourceDef } from './resource-def.js';
import type { DeleteOptions } from './validation/request-options.js';

/**
 * What each kind's registry strategy decides about a write, beyond validation (pkg/registry/<group>/<kind>/strategy.go
 * and storage): whether an update needs a resourceVersion, whether a PUT may create, what a create or a /status write
 * keeps, and the few registry-specific refusals. ResourceService (resource-service.ts) asks these.
 */

export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The etcd key a storage error names, e.g. /registry/configmaps/ns/name (CRs: /registry/<group>/<plural>/...). */
export function etcdKey(def: ResourceDef, obj: KubeObject): string {
  const resource =
    def.crdName !== undefined
      ? `${def.group}/${def.plural}`
      : def.kind === 'Service' && def.group === ''
        ? 'services/specs'
        : def.plural;
  return `/registry/${resource}/${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
}

/** The first status of a built-in object whose registry resets it on create (each strategy's PrepareForCreate). */
const INITIAL_STATUS: Record<string, () => Record<string, unknown>> = {
  '/Service': () => ({ loadBalancer: {} }),
  '/Pod': () => ({ phase: 'Pending' }),
};

/** A create cannot set the status of a kind with a /status subresource: the registry starts it afresh. */
export function resetStatusOnCreate(def: ResourceDef, obj: KubeObject): void {
  if (!def.statusSubresource || isNamespaceDef(def) || isCrdDef(def)) return;
  const initial = INITIAL_STATUS[`${def.group}/${def.kind}`];
  if (initial) obj.status = initial();
  else obj.status = {};
}

/** the registries whose strategy says AllowUnconditionalUpdate() false (of the kinds served here) */
const CONDITIONAL_UPDATES = new Set([
  'coordination.k8s.io/Lease',
  'policy/PodDisruptionBudget',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'apiextensions.k8s.io/CustomResourceDefinition',
]);
/** the registries whose strategy says AllowCreateOnUpdate() true (of the kinds served here) */
const CREATE_ON_UPDATE = new Set([
  '/Service',
  '/Endpoints',
  '/Event',
  'events.k8s.io/Event',
  'coordination.k8s.io/Lease',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
]);

export const allowsUnconditionalUpdate = (def: ResourceDef) =>
  def.crdName === undefined && !CONDITIONAL_UPDATES.has(`${def.group}/${def.kind}`);

export const allowsCreateOnUpdate = (def: ResourceDef) => CREATE_ON_UPDATE.has(`${def.group}/${def.kind}`);

/**
 * A built-in kind's PrepareForUpdate with a /status subresource: a main-resource write keeps the stored status; a
 * /status write keeps the stored spec (and, for a Deployment, its labels) but takes the rest of what was sent,
 * metadata included (each registry's statusStrategy.PrepareForUpdate).
 */
export function prepareBuiltinUpdate(
  def: ResourceDef,
  old: KubeObject,
  next: KubeObject,
  statusWrite: boolean,
): void {
  if (!statusWrite) {
    if (old.status !== undefined) next.status = structuredClone(old.status);
    else delete next.status;
    return;
  }
  if (old.spec !== undefined) next.spec = structuredClone(old.spec);
  else delete next.spec;
  if (def.group === 'apps' && def.kind === 'Deployment') {
    if (old.metadata.labels !== undefined) next.metadata.labels = structuredClone(old.metadata.labels);
    else delete next.metadata.labels;
  }
}

/** a status strategy's GetResetFields: custom resources metadata and spec, built-ins their spec (Deployment: labels) */
export function statusResets(def: ResourceDef): string[][] {
  if (def.crdName !== undefined) return [['metadata'], ['spec']];
  if (def.group === 'apps' && def.kind === 'Deployment') return [['spec'], ['metadata', 'labels']];
  return [['spec']];
}

/** the group an error names: a view of another resource's storage is that resource's internal kind (Event) */
export const errorGroup = (def: ResourceDef) => (def.storedAs === '/events' ? '' : def.group);

/**
 * The namespace registry's own Delete (pkg/registry/core/namespace/storage): its preconditions are checked before the
 * generic ones and worded as the storage's precondition error.
 */
export function namespacePreconditions(pre: DeleteOptions['preconditions'], obj: KubeObject): void {
  const fail = (what: string, expected: string, actual: string) =>
    apiErrors.conflict(
      { group: '', plural: 'namespaces' },
      obj.metadata.name,
      `Precondition failed: ${what} in precondition: ${expected}, ${what} in object meta: ${actual}`,
    );
  if (pre.uid !== undefined && pre.uid !== obj.metadata.uid)
    throw fail('UID', pre.uid, obj.metadata.uid ?? '');
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion)
    throw fail('ResourceVersion', pre.resourceVersion, obj.metadata.resourceVersion ?? '');
}

export const isNamespaceDef = (def: ResourceDef) => def.group === '' && def.kind === 'Namespace';
export const isCrdDef = (def: ResourceDef) =>
  def.group === 'apiextensions.k8s.io' && def.kind === 'CustomResourceDefinition';

/**
 * A Service without a name that needs a cluster IP: the service registry allocates the address before it
 * validates, and the IPAddress object naming the nameless service is refused; that refusal is the answer.
 */
export function refuseNamelessService(
  def: ResourceDef,
  obj: KubeObject,
  dryRun: boolean,
  allocateIp: () => string,
): void {
  if (def.group !== '' || def.kind !== 'Service' || obj.metadata.name || dryRun) return;
  const spec = (obj.spec ?? {}) as { type?: string; clusterIP?: string };
  if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
  const ip = spec.clusterIP || allocateIp();
  throw apiErrors.invalid('', 'Service', '', [
    {
      field: 'spec.clusterIPs',
      message: `Invalid value: [""]: failed to allocate IP: IPAddress.networking.k8s.io "${ip}" is invalid: spec.parentRef.name: Required value`,
    },
  ]);
}
