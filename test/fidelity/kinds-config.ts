import { b64, edit, type KindSpec, meta, type Obj } from './kind-spec.js';

/** ConfigMaps and the Secret types: Opaque, TLS, dockerconfigjson, service-account-token. */

export const configMap: KindSpec = {
  id: 'ConfigMap',
  apiVersion: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  depth: 'full',
  valid: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data: { a: '1', b: '2' } }),
  change: (o) => edit(o, (c) => (c.data = { ...c.data, a: 'changed' })),
  merge: { data: { c: '3' }, metadata: { labels: { extra: 'y' } } },
  json: [{ op: 'add', path: '/data/c', value: '3' }],
  strategic: { data: { c: '3' }, metadata: { labels: { extra: 'y' } } },
  apply: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'applied' } }),
  applyOther: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'other' } }),
  invalid: {
    'data-key': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { 'bad key': 'x' },
    }),
    'data-key-dots': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { '..a': 'x' },
    }),
    'data-and-binaryData': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { k: 'x' },
      binaryData: { k: b64('y') },
    }),
    'binaryData-key': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      binaryData: { 'a b': b64('y') },
    }),
    'data-number': (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 1 } }),
    'data-array': (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: ['a'] }),
    'binaryData-not-base64': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      binaryData: { a: 'not base64!' },
    }),
    'too-big': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { a: 'x'.repeat(1024 * 1024 + 1) },
    }),
    'immutable-string': (name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      immutable: 'yes',
    }),
  },
  badUpdates: {
    'immutable-data': (o) => edit(o, (c) => (c.data = { a: 'new' })),
  },
};

function secretSpec(
  id: string,
  type: string | undefined,
  data: Record<string, string>,
  depth: 'full' | 'light',
  invalid: KindSpec['invalid'],
  annotations: Record<string, string> = {},
): KindSpec {
  const base = (name: string): Obj => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(name, Object.keys(annotations).length ? { annotations } : {}),
    ...(type ? { type } : {}),
    data: { ...data },
  });
  return {
    id,
    apiVersion: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    depth,
    valid: base,
    change: (o) => edit(o, (c) => (c.data = { ...c.data, extra: b64('changed') })),
    merge: { data: { extra: b64('merged') } },
    json: [{ op: 'add', path: '/data/extra', value: b64('json') }],
    strategic: { stringData: { extra: 'strategic' } },
    apply: (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, ...(Object.keys(annotations).length ? { annotations } : {}) },
      ...(type ? { type } : {}),
      data: { ...data, extra: b64('applied') },
    }),
    applyOther: (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      data: { extra: b64('other') },
    }),
    invalid,
    badUpdates: {
      'type-change': (o) => edit(o, (c) => (c.type = 'kubernetes.io/basic-auth')),
    },
    fieldSelectors: [`type=${type ?? 'Opaque'}`, 'type!=Opaque'],
  };
}

export const opaque = secretSpec('Secret', undefined, { user: b64('demo'), pass: b64('s3cr3t') }, 'full', {
  'data-not-base64': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: { a: 'not base64!' },
  }),
  'data-number': (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { a: 5 } }),
  'data-key': (name) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { 'a/b': b64('x') } }),
  stringData: (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    stringData: { a: 'plain' },
    data: { b: b64('x') },
  }),
  'stringData-number': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    stringData: { a: 1 },
  }),
  'stringData-key': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    stringData: { 'a b': 'x' },
  }),
  'type-unknown': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'example.com/custom',
    data: {},
  }),
  'basic-auth-empty': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/basic-auth',
  }),
  'ssh-auth-empty': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/ssh-auth',
  }),
  'dockercfg-bad-json': (name) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/dockercfg',
    data: { '.dockercfg': b64('[1]') },
  }),
});

export const tls = secretSpec(
  'Secret.tls',
  'kubernetes.io/tls',
  { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY') },
  'light',
  {
    'missing-key': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64('x') },
    }),
    'missing-both': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/tls',
    }),
  },
);

export const dockerConfigJson = secretSpec(
  'Secret.dockerconfigjson',
  'kubernetes.io/dockerconfigjson',
  { '.dockerconfigjson': b64('{"auths":{"registry.example.com":{"auth":"dTpw"}}}') },
  'light',
  {
    'missing-key': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/dockerconfigjson',
      data: {},
    }),
    'not-json': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('{not json') },
    }),
    'json-array': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('[]') },
    }),
  },
);

export const saToken = secretSpec(
  'Secret.service-account-token',
  'kubernetes.io/service-account-token',
  {},
  'light',
  {
    'missing-annotation': (name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/service-account-token',
    }),
  },
  { 'kubernetes.io/service-account.name': 'default' },
);
