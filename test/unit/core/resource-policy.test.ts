import { describe, expect, it } from 'vitest';
import { parseResourceTypeList, resourceDenyReason } from '../../../src/core/resource-policy.js';

describe('resourceDenyReason', () => {
  it.each<[string, string, boolean, boolean]>([
    ['', 'Secret', false, false],
    ['', 'ConfigMap', false, false],
    ['networking.k8s.io', 'Ingress', false, false],
    ['example.com', 'Widget', false, false],
    ['', 'Pod', false, true],
    ['', 'Pod', true, true],
    ['', 'Event', false, true],
    ['events.k8s.io', 'Event', true, true],
    ['', 'Endpoints', false, true],
    ['discovery.k8s.io', 'EndpointSlice', false, true],
    ['coordination.k8s.io', 'Lease', true, true],
    ['', 'Binding', false, true],
    ['apps', 'ControllerRevision', false, true],
    ['apps', 'ReplicaSet', false, true],
    ['apps', 'Deployment', false, false],
    ['', 'ReplicationController', false, true],
    ['', 'PersistentVolumeClaim', true, true],
    ['snapshot.storage.k8s.io', 'VolumeSnapshot', false, true],
    ['metrics.k8s.io', 'PodMetrics', true, true],
    ['storage.k8s.io', 'CSIStorageCapacity', false, true],
    ['authorization.k8s.io', 'LocalSubjectAccessReview', false, true],
    ['rbac.authorization.k8s.io', 'Role', false, true],
    ['rbac.authorization.k8s.io', 'Role', true, false],
    ['rbac.authorization.k8s.io', 'RoleBinding', false, true],
    ['rbac.authorization.k8s.io', 'RoleBinding', true, false],
    ['', 'ServiceAccount', false, true],
    ['', 'ServiceAccount', true, false],
    ['example.com', 'Pod', false, false],
  ])('%s/%s explicit=%s → denied=%s', (group, kind, explicit, denied) => {
    const r = resourceDenyReason({ group, kind }, explicit);
    expect(r !== null).toBe(denied);
    if (r) expect(r).toContain(kind);
  });

  it('refuses cluster-scoped types even when explicit', () => {
    expect(
      resourceDenyReason({ group: 'example.com', kind: 'ClusterWidget', namespaced: false }, true),
    ).toMatch(/cluster-scoped/);
  });
});

describe('parseResourceTypeList', () => {
  it('parses Kind.version[.group] entries', () => {
    expect(
      parseResourceTypeList(
        ' Secret.v1, ConfigMap.v1,,Ingress.v1.networking.k8s.io,Widget.v1beta2.example.com ',
      ),
    ).toEqual({
      types: [
        { kind: 'Secret', version: 'v1', group: '' },
        { kind: 'ConfigMap', version: 'v1', group: '' },
        { kind: 'Ingress', version: 'v1', group: 'networking.k8s.io' },
        { kind: 'Widget', version: 'v1beta2', group: 'example.com' },
      ],
      errors: [],
    });
  });

  it('accepts a list and drops duplicates', () => {
    expect(parseResourceTypeList(['Secret.v1', 'Secret.v1,ConfigMap.v1']).types).toHaveLength(2);
  });

  it('an empty input is an empty list', () => {
    expect(parseResourceTypeList('')).toEqual({ types: [], errors: [] });
  });

  it.each([['Secret'], ['Secret.1'], ['secret-x.v1'], ['Ingress.v1.Networking'], ['.v1']])(
    'reports %j',
    (bad) => {
      const r = parseResourceTypeList(`ConfigMap.v1,${bad}`);
      expect(r.types).toEqual([{ kind: 'ConfigMap', version: 'v1', group: '' }]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toContain(bad);
    },
  );
});
