import type { KubeObject } from '../core/types.js';
import type { ResourceDef } from './resource-def.js';
import { SCALABLE_KINDS } from './scale-subresource.js';

interface Spec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  generation?: boolean;
  nameRule?: 'subdomain' | 'label';
  /** `all` for the kinds `kubectl get all` lists, as the real registries declare them */
  categories?: string[];
}

/**
 * Kinds whose registry serves a /status subresource (pkg/registry/<group>/<kind>/storage/storage.go
 * NewREST returns a StatusREST), by group/Kind.
 */
const WITH_STATUS = new Set([
  '/Namespace',
  '/Service',
  '/Pod',
  '/ReplicationController',
  '/PersistentVolumeClaim',
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'batch/Job',
  'batch/CronJob',
  'policy/PodDisruptionBudget',
  'networking.k8s.io/Ingress',
  'autoscaling/HorizontalPodAutoscaler',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
]);

function builtin(s: Spec): ResourceDef {
  return {
    group: s.group,
    versions: [s.version],
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    tracksGeneration: s.generation ?? false,
    strategicMerge: true,
    nameRule: s.nameRule ?? 'subdomain',
    statusSubresource: WITH_STATUS.has(`${s.group}/${s.kind}`),
    ...(SCALABLE_KINDS.has(`${s.group}/${s.kind}`) ? { scaleSubresource: true } : {}),
  };
}

/**
 * The built-in kinds the sandbox serves from start (Pod/Endpoints exist so the controller can prove it skips
 * them): every group/version a Helm chart or kustomize base commonly holds. Short names, categories and
 * whether `metadata.generation` is kept follow the real registries (pkg/registry/<group>/<kind>/storage and
 * each strategy's PrepareForUpdate). Their defaults are in defaulting/.
 */
export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  builtin({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    nameRule: 'label',
  }),
  builtin({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    nameRule: 'label',
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
  }),
  builtin({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'] }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
  }),
  {
    ...builtin({
      group: 'events.k8s.io',
      version: 'v1',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
    }),
    storedAs: '/events',
  },
  builtin({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true }),
  builtin({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    namespaced: true,
    shortNames: ['ing'],
    generation: true,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'Role',
    plural: 'roles',
    namespaced: true,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'RoleBinding',
    plural: 'rolebindings',
    namespaced: true,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    namespaced: false,
  }),
  builtin({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    generation: true,
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
    shortNames: ['sts'],
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    namespaced: true,
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    generation: true,
    categories: ['all'],
  }),
  builtin({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    plural: 'ingressclasses',
    namespaced: false,
  }),
  builtin({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    namespaced: true,
    shortNames: ['netpol'],
    generation: true,
  }),
  builtin({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
    generation: true,
  }),
  builtin({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
  }),
  builtin({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    generation: true,
  }),
  builtin({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingWebhookConfiguration',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
    generation: true,
  }),
  builtin({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'MutatingWebhookConfiguration',
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
    generation: true,
  }),
  // stored and served, never evaluated: the sandbox runs no admission (docs/sandbox.md)
  builtin({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingAdmissionPolicy',
    plural: 'validatingadmissionpolicies',
    namespaced: false,
    generation: true,
  }),
  builtin({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    plural: 'validatingadmissionpolicybindings',
    namespaced: false,
    generation: true,
  }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    generation: true,
  }),
];

/**
 * events.k8s.io/v1 Event ↔ core/v1 Event field names (pkg/apis/events/v1/conversion.go): the real server keeps
 * one storage for both (etcd /registry/events) and converts on read and write. [events.k8s.io name, core name]
 */
const EVENT_FIELDS: readonly [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function renameFields(obj: KubeObject, pairs: readonly (readonly [string, string])[]): KubeObject {
  const out: KubeObject = { ...obj };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

/** An events.k8s.io/v1 Event as the core/v1 Event it is stored as (a copy). */
export function coreEventFromEventsV1(obj: KubeObject): KubeObject {
  return { ...renameFields(obj, EVENT_FIELDS), apiVersion: 'v1', kind: 'Event' };
}

/** A stored core/v1 Event shown as events.k8s.io/v1 (a copy). */
export function eventsV1FromCoreEvent(obj: KubeObject): KubeObject {
  const back = EVENT_FIELDS.map(([a, b]) => [b, a] as const);
  return { ...renameFields(obj, back), apiVersion: 'events.k8s.io/v1', kind: 'Event' };
}
