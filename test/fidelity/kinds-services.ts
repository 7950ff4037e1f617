import { clone, edit, type KindSpec, meta, type Obj } from './kind-spec.js';

/** Services (ClusterIP, ExternalName, selectorless) and Namespaces. */

function serviceSpec(id: string, spec: Obj, depth: 'full' | 'light', invalid: KindSpec['invalid']): KindSpec {
  return {
    id,
    apiVersion: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    depth,
    valid: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec: clone(spec) }),
    change: (o) => edit(o, (c) => (c.spec.sessionAffinity = 'ClientIP')),
    merge: { metadata: { annotations: { note: 'merged' } }, spec: { publishNotReadyAddresses: true } },
    json: [{ op: 'add', path: '/metadata/annotations', value: { note: 'json' } }],
    strategic: { metadata: { annotations: { note: 'strategic' } } },
    apply: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, annotations: { owner: 'alpha' } },
      spec: clone(spec),
    }),
    applyOther: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, annotations: { owner: 'beta' } },
    }),
    invalid,
    badUpdates: {
      'clusterIP-change': (o) => edit(o, (c) => (c.spec.clusterIP = '10.96.200.200')),
      'type-to-ExternalName-without-name': (o) => edit(o, (c) => (c.spec.type = 'ExternalName')),
    },
  };
}

export const service = serviceSpec(
  'Service',
  { selector: { app: 'fid' }, ports: [{ port: 80, targetPort: 8080 }] },
  'full',
  {
    'no-ports': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: 'x' } },
    }),
    'port-zero': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: 0 }] },
    }),
    'port-too-big': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: 70000 }] },
    }),
    'port-string': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: '80' }] },
    }),
    'duplicate-port-names': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'a', port: 81 },
        ],
      },
    }),
    'unnamed-ports': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: 80 }, { port: 81 }] },
    }),
    'bad-protocol': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: 80, protocol: 'HTTP' }] },
    }),
    'bad-targetPort-name': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { ports: [{ port: 80, targetPort: 'Not_Valid' }] },
    }),
    'name-starts-with-digit': () => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1svc' },
      spec: { ports: [{ port: 80 }] },
    }),
    'bad-type': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'Bogus', ports: [{ port: 80 }] },
    }),
    headless: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { clusterIP: 'None', selector: { app: 'x' } },
    }),
    nodeport: (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
    }),
    'bad-clusterIP': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { clusterIP: '300.1.1.1', ports: [{ port: 80 }] },
    }),
    'bad-selector-value': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: 'a b' }, ports: [{ port: 80 }] },
    }),
  },
);

export const externalName = serviceSpec(
  'Service.ExternalName',
  { type: 'ExternalName', externalName: 'db.example.com' },
  'light',
  {
    'missing-externalName': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'ExternalName' },
    }),
    'bad-externalName': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'ExternalName', externalName: 'not a name' },
    }),
    'with-clusterIP': (name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.50' },
    }),
  },
);

export const selectorless = serviceSpec(
  'Service.selectorless',
  { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  'light',
  {},
);

export const namespace: KindSpec = {
  id: 'Namespace',
  apiVersion: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  depth: 'full',
  valid: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(name) }),
  change: (o) => edit(o, (c) => (c.metadata.labels = { ...c.metadata.labels, tier: 'changed' })),
  merge: { metadata: { labels: { extra: 'y' } } },
  json: [{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }],
  strategic: { metadata: { labels: { extra: 'y' } } },
  apply: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { owner: 'alpha' } } }),
  applyOther: (name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { owner: 'beta' } },
  }),
  invalid: {
    'dotted-name': () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }),
    'bad-spec-finalizer': (name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
      spec: { finalizers: ['not valid'] },
    }),
  },
  fieldSelectors: ['status.phase=Active'],
};
