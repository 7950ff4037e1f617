import type { ResourceType } from './types.js';

/** The built-in resource types the controller itself reads or writes, besides what it mirrors. */
const core = (kind: string, plural: string, namespaced = true): ResourceType =>
  Object.freeze({ group: '', version: 'v1', kind, plural, namespaced });

export const NAMESPACES = core('Namespace', 'namespaces', false);
export const SECRETS = core('Secret', 'secrets');
export const CONFIGMAPS = core('ConfigMap', 'configmaps');
export const ENDPOINT_SLICES: ResourceType = Object.freeze({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
});
export const LEASES: ResourceType = Object.freeze({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
});
