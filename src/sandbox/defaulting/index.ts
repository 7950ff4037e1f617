import type { KubeObject } from '../../core/types.js';
import type { ResourceDef } from '../resource-registry.js';
import { daemonSetDefaults, deploymentDefaults, replicaSetDefaults, statefulSetDefaults } from './apps.js';
import { cronJobDefaults, jobDefaults } from './batch.js';
import { endpointsDefaults, serviceDefaults } from './core.js';
import { ingressClassDefaults, networkPolicyDefaults } from './networking.js';
import { endpointSliceDefaults, hpaDefaults, priorityClassDefaults } from './other.js';
import type { Obj } from './pod.js';

/**
 * The defaulting the real API server applies to a built-in kind when it decodes a request body (the scheme's
 * registered defaulters, `SetObjectDefaults_<Kind>` of each group's zz_generated.defaults.go), so what the
 * sandbox stores and returns carries the same defaulted fields as a real cluster's object.
 *
 * Integration (resource-service.ts): call `applyDefaults(def, obj)` right after `coerceBody` in `create`,
 * and on the decoded/patched `next` in `update`, `patch` and `apply` — i.e. before `normalize` and
 * `carryAllocated` (which allocates the Service clusterIP and is not duplicated here) and before
 * `validateCreate`/`validateUpdate`, because the real server defaults at decode time, then validates.
 * Custom resources are not handled here (crd-schema.ts `defaultCustomResource`).
 *
 * Defaulting is idempotent: applying it to an already-defaulted object changes nothing, so an update that
 * resends the stored object stays a no-op.
 */

type Defaulter = (obj: Obj) => void;

const DEFAULTERS: Record<string, Defaulter> = {
  '/Service': serviceDefaults,
  '/Endpoints': endpointsDefaults,
  'apps/Deployment': deploymentDefaults,
  'apps/StatefulSet': statefulSetDefaults,
  'apps/DaemonSet': daemonSetDefaults,
  'apps/ReplicaSet': replicaSetDefaults,
  'batch/Job': jobDefaults,
  'batch/CronJob': cronJobDefaults,
  'networking.k8s.io/NetworkPolicy': networkPolicyDefaults,
  'networking.k8s.io/IngressClass': ingressClassDefaults,
  'discovery.k8s.io/EndpointSlice': endpointSliceDefaults,
  'autoscaling/HorizontalPodAutoscaler': hpaDefaults,
  'scheduling.k8s.io/PriorityClass': priorityClassDefaults,
};

/** True when the kind has a defaulter (custom resources never do here). */
export function hasDefaults(def: Pick<ResourceDef, 'group' | 'kind' | 'crdName'>): boolean {
  return def.crdName === undefined && DEFAULTERS[`${def.group}/${def.kind}`] !== undefined;
}

/** Applies the kind's defaults to `obj` in place; a kind without defaulter is left as it is. */
export function applyDefaults(def: Pick<ResourceDef, 'group' | 'kind' | 'crdName'>, obj: KubeObject): void {
  if (def.crdName !== undefined) return;
  DEFAULTERS[`${def.group}/${def.kind}`]?.(obj as Obj);
}
