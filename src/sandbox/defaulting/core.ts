import { child, isObj, type Obj, setIfUnset } from './pod.js';

/**
 * core/v1 defaults the real server applies to a write:
 * - Service: pkg/apis/core/v1/defaults.go SetDefaults_Service (sessionAffinity, type, ports[].protocol and
 *   targetPort, externalTrafficPolicy, internalTrafficPolicy, allocateLoadBalancerNodePorts); the registry's
 *   pkg/registry/core/service/storage/alloc.go initIPFamilyFields (ipFamilyPolicy, ipFamilies) for a
 *   single-stack IPv4 cluster is ipFamilyDefaults, run with the clusterIP allocation by object-rules.ts
 *   carryAllocated.
 * - Endpoints: SetDefaults_Endpoints (subsets[].ports[].protocol).
 */

const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

/** service.ExternallyAccessible (pkg/api/v1/service/util.go). */
function externallyAccessible(spec: Obj): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
  );
}

function familyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * initIPFamilyFields on a single-stack IPv4 cluster (the sandbox's). The registry runs it when it allocates
 * (storage/alloc.go, after the field manager and admission), so it is called with the allocation
 * (object-rules.ts carryAllocated), not with the defaults: the writer does not own what it sets.
 */
export function ipFamilyDefaults(spec: Obj): void {
  if (spec.type === 'ExternalName') return;
  const headless = spec.clusterIP === 'None';
  const selectorless = !isObj(spec.selector) || Object.keys(spec.selector).length === 0;
  if (headless && selectorless) {
    // headless services without a selector get every family the cluster has
    setIfUnset(spec, 'ipFamilyPolicy', 'RequireDualStack');
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
    return;
  }
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((i) => typeof i === 'string') : [];
  const families = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  setIfUnset(
    spec,
    'ipFamilyPolicy',
    families.length === 2 || ips.length === 2 ? 'RequireDualStack' : 'SingleStack',
  );
  if (families.length === 0) {
    const first = typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' ? spec.clusterIP : ips[0];
    spec.ipFamilies = [first && first !== 'None' ? familyOf(first) : 'IPv4'];
  }
}

export function serviceDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const timeout = isObj(cfg) && isObj(cfg.clientIP) ? cfg.clientIP.timeoutSeconds : undefined;
    if (timeout === undefined || timeout === null)
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  setIfUnset(spec, 'type', 'ClusterIP');
  for (const port of Array.isArray(spec.ports) ? spec.ports.filter(isObj) : []) {
    setIfUnset(port, 'protocol', 'TCP');
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    )
      port.targetPort = port.port;
  }
  if (externallyAccessible(spec)) setIfUnset(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
    setIfUnset(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer' && typeof spec.allocateLoadBalancerNodePorts !== 'boolean')
    spec.allocateLoadBalancerNodePorts = true;
}

export function endpointsDefaults(obj: Obj): void {
  for (const subset of Array.isArray(obj.subsets) ? obj.subsets.filter(isObj) : []) {
    for (const port of Array.isArray(subset.ports) ? subset.ports.filter(isObj) : [])
      setIfUnset(port, 'protocol', 'TCP');
  }
}
