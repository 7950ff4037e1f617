import { child, isObj, type Obj, setIfUnset } from './pod.js';

/**
 * networking.k8s.io/v1 defaults: pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy (policyTypes),
 * SetDefaults_NetworkPolicyPort (protocol TCP), SetDefaults_IngressClass (parameters.scope Cluster).
 * Ingress has no defaults in v1: `pathType` is required (validation), not defaulted.
 */

export function networkPolicyDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  const rules = (key: string) => (Array.isArray(spec[key]) ? (spec[key] as unknown[]).filter(isObj) : []);
  for (const rule of [...rules('ingress'), ...rules('egress')]) {
    for (const port of Array.isArray(rule.ports) ? rule.ports.filter(isObj) : [])
      setIfUnset(port, 'protocol', 'TCP');
  }
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = rules('egress').length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export function ingressClassDefaults(obj: Obj): void {
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  if (spec && isObj(spec.parameters)) setIfUnset(spec.parameters, 'scope', 'Cluster');
}
