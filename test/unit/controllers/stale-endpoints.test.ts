import { describe, expect, it } from 'vitest';
import {
  clusterOfLease,
  leaseExpiry,
  microTime,
  staleSlices,
} from '../../../src/controllers/stale-endpoints.js';
import { mirrorKeys } from '../../../src/core/keys.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const now = Date.parse('2026-12-03T12:00:00Z');
const lease = (cluster: string, renewedMsAgo: number, duration = 60): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: `kubemirror-${cluster}`, namespace: 'kubemirror-remote' },
  spec: { leaseDurationSeconds: duration, renewTime: microTime(now - renewedMsAgo) },
});
const slice = (
  name: string,
  from: string | undefined,
  endpoints = 1,
  manager = 'kubemirror.io',
): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name,
    namespace: 'shop',
    labels: {
      'endpointslice.kubernetes.io/managed-by': manager,
      ...(from ? { [keys.sourceCluster]: from } : {}),
    },
  },
  endpoints: Array.from({ length: endpoints }, (_, i) => ({ addresses: [`10.0.0.${i + 1}`] })),
});

describe('stale imported endpoints', () => {
  it('microTime has exactly six fractional digits (metav1.MicroTime)', () => {
    expect(microTime(Date.parse('2026-12-03T12:00:00.123Z'))).toBe('2026-12-03T12:00:00.123000Z');
  });

  it('a Lease expires at renewTime + leaseDurationSeconds; one without them says nothing', () => {
    expect(leaseExpiry(lease('east', 0))).toBe(now + 60_000);
    expect(leaseExpiry({ ...lease('east', 0), spec: {} })).toBeNull();
    expect(clusterOfLease('kubemirror-east')).toBe('east');
    expect(clusterOfLease('kubemirror-')).toBeNull();
    expect(clusterOfLease('other')).toBeNull();
  });

  it('empties only our imports from a cluster whose Lease expired, and only when they still hold endpoints', () => {
    const leases = [lease('gone', 61_000), lease('alive', 59_000)];
    const slices = [
      slice('web-gone', 'gone'),
      slice('web-alive', 'alive'),
      slice('web-unknown', 'never-leased'),
      slice('web-empty', 'gone', 0),
      slice('web-theirs', 'gone', 1, 'endpointslice-controller.k8s.io'),
      slice('web-unlabelled', undefined),
    ];
    expect(staleSlices(slices, leases, keys, now).map((s) => s.metadata.name)).toEqual(['web-gone']);
  });
});
