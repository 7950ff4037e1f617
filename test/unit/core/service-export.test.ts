import { describe, expect, it } from 'vitest';
import { mirrorKeys } from '../../../src/core/keys.js';
import {
  isOtherClusterExport,
  remoteEndpointSlice,
  remoteServiceSpec,
  SLICE_MANAGER,
} from '../../../src/core/service-export.js';
import type { KubeObject } from '../../../src/core/types.js';

const keys = mirrorKeys();
const svc: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', uid: 'svc-uid' },
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    clusterIP: '10.0.0.9',
    clusterIPs: ['10.0.0.9'],
    ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
    sessionAffinity: 'ClientIP',
  },
};

function slice(
  name: string,
  service: string,
  endpoints: object[],
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    ...extra,
  };
}

describe('remoteServiceSpec', () => {
  it('a selector Service arrives selectorless, as ClusterIP, without allocated addresses or node ports', () => {
    expect(remoteServiceSpec(svc)).toEqual({
      type: 'ClusterIP',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      sessionAffinity: 'ClientIP',
    });
  });

  it('an ExternalName Service keeps its name and ports; a headless one stays headless', () => {
    expect(
      remoteServiceSpec({
        ...svc,
        spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432 }] },
      }),
    ).toEqual({
      type: 'ExternalName',
      externalName: 'db.example.com',
      ports: [{ port: 5432, protocol: 'TCP' }],
    });
    expect(remoteServiceSpec({ ...svc, spec: { clusterIP: 'None', ports: [] } })).toEqual({
      type: 'ClusterIP',
      ports: [],
      clusterIP: 'None',
    });
  });
});

describe('remoteEndpointSlice', () => {
  it('holds the ready endpoints of the Service slices only, named <svc>-<cluster>, labelled for routing and ownership', () => {
    const out = remoteEndpointSlice(
      svc,
      [
        slice('web-abc', 'web', [
          { addresses: ['10.1.0.5'], conditions: { ready: true }, zone: 'a' },
          { addresses: ['10.1.0.6'], conditions: { ready: false } },
        ]),
        slice('web-def', 'web', [
          { addresses: ['10.1.0.4'] },
          { addresses: ['10.1.0.5'], conditions: { ready: true } },
        ]),
        slice('api-xyz', 'api', [{ addresses: ['10.9.9.9'], conditions: { ready: true } }]),
      ],
      'east',
      'shop',
      keys,
    );
    expect(out?.metadata.name).toBe('web-east');
    expect(out?.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': SLICE_MANAGER,
      [keys.mirror]: 'true',
    });
    expect(out?.metadata.annotations).toMatchObject({
      [keys.sourceUid]: 'svc-uid',
      'kubemirror.io/source-cluster': 'east',
    });
    expect(out?.endpoints).toEqual([
      { addresses: ['10.1.0.4'], conditions: { ready: true } },
      { addresses: ['10.1.0.5'], conditions: { ready: true }, zone: 'a' },
    ]);
    expect(out?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('two source clusters exporting the same Service get two slices, never one merged', () => {
    const s = [slice('web-1', 'web', [{ addresses: ['10.1.0.1'] }])];
    expect(remoteEndpointSlice(svc, s, 'east', 'shop', keys)?.metadata.name).toBe('web-east');
    expect(remoteEndpointSlice(svc, s, 'west', 'shop', keys)?.metadata.name).toBe('web-west');
  });

  it('an ExternalName Service has no slice; a Service with no ready endpoint has an empty one', () => {
    expect(
      remoteEndpointSlice(
        { ...svc, spec: { type: 'ExternalName', externalName: 'x' } },
        [],
        'east',
        'shop',
        keys,
      ),
    ).toBeNull();
    expect(
      remoteEndpointSlice(
        svc,
        [slice('web-1', 'web', [{ addresses: ['10.1.0.1'], conditions: { ready: false } }])],
        'east',
        'shop',
        keys,
      )?.endpoints,
    ).toEqual([]);
  });
});

describe('isOtherClusterExport', () => {
  const exported = (from: string | undefined, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'app-1',
      labels: { [keys.mirror]: 'true' },
      annotations: {
        [keys.sourceNamespace]: 'shop',
        [keys.sourceName]: 'web',
        [keys.sourceUid]: 'uid-elsewhere',
        ...(from === undefined ? {} : { [keys.sourceCluster]: from }),
      },
      ...extra,
    },
  });

  it("another cluster's export of the same Service: our slice goes beside it", () => {
    expect(isOtherClusterExport(exported('south'), 'shop', 'web', 'east', keys)).toBe(true);
  });

  it('never our own export, a local mirror, a Service nobody exported, another Service, or one being deleted', () => {
    expect(isOtherClusterExport(exported('east'), 'shop', 'web', 'east', keys)).toBe(false);
    expect(isOtherClusterExport(exported(undefined), 'shop', 'web', 'east', keys)).toBe(false);
    expect(isOtherClusterExport(exported(''), 'shop', 'web', 'east', keys)).toBe(false);
    const unmanaged = exported('south', { labels: { team: 'west' } });
    expect(isOtherClusterExport(unmanaged, 'shop', 'web', 'east', keys)).toBe(false);
    expect(isOtherClusterExport(exported('south'), 'other-ns', 'web', 'east', keys)).toBe(false);
    expect(isOtherClusterExport(exported('south'), 'shop', 'api', 'east', keys)).toBe(false);
    const going = exported('south', { deletionTimestamp: '2026-01-01T00:00:00Z' });
    expect(isOtherClusterExport(going, 'shop', 'web', 'east', keys)).toBe(false);
  });
});
