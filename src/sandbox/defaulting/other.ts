import { child, isObj, type Obj, setIfUnset } from './pod.js';

/**
 * Defaults of the remaining served built-ins:
 * - discovery.k8s.io/v1 EndpointSlice: ports[].protocol TCP (the `+default="TCP"` of k8s.io/api discovery/v1).
 * - autoscaling/v2 HorizontalPodAutoscaler: pkg/apis/autoscaling/v2/defaults.go (minReplicas 1, a CPU 80%
 *   utilization metric when none is given, the scaleUp/scaleDown behavior defaults).
 * - scheduling.k8s.io/v1 PriorityClass: pkg/apis/scheduling/v1/defaults.go (preemptionPolicy).
 * - policy/v1 PodDisruptionBudget has no defaulter (pkg/apis/policy/v1 has no defaults.go).
 */

export function endpointSliceDefaults(obj: Obj): void {
  for (const port of Array.isArray(obj.ports) ? obj.ports.filter(isObj) : [])
    setIfUnset(port, 'protocol', 'TCP');
}

function scalingRules(rules: Obj, window: number, policies: Obj[]): void {
  if (rules.stabilizationWindowSeconds === undefined || rules.stabilizationWindowSeconds === null)
    rules.stabilizationWindowSeconds = window;
  setIfUnset(rules, 'selectPolicy', 'Max');
  if (!Array.isArray(rules.policies) || rules.policies.length === 0) rules.policies = policies;
}

export function hpaDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  const behavior = child(spec, 'behavior');
  scalingRules(child(behavior, 'scaleUp'), 0, [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ]);
  scalingRules(child(behavior, 'scaleDown'), 300, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
}

export function priorityClassDefaults(obj: Obj): void {
  setIfUnset(obj, 'preemptionPolicy', 'PreemptLowerPriority');
}
