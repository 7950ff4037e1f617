import { edit, type KindSpec, meta, type Obj } from './kind-spec.js';

/** Deployments and PodDisruptionBudgets: the workload kinds with a selector of their own. */

const podTemplate = (labels: Obj) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
});

export const deployment: KindSpec = {
  id: 'Deployment',
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  depth: 'full',
  valid: (name) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: { replicas: 1, selector: { matchLabels: { app: 'fid' } }, template: podTemplate({ app: 'fid' }) },
  }),
  change: (o) => edit(o, (c) => (c.spec.replicas = 3)),
  merge: { spec: { replicas: 2 } },
  json: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
  strategic: {
    spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example.com/app:2' }] } } },
  },
  apply: (name) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 2, selector: { matchLabels: { app: 'fid' } }, template: podTemplate({ app: 'fid' }) },
  }),
  applyOther: (name) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 5 },
  }),
  invalid: {
    'empty-spec': (name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: {} }),
    'no-spec': (name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name } }),
    'selector-mismatch': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { selector: { matchLabels: { app: 'a' } }, template: podTemplate({ app: 'b' }) },
    }),
    'negative-replicas': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas: -1, selector: { matchLabels: { app: 'a' } }, template: podTemplate({ app: 'a' }) },
    }),
    'replicas-string': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas: 'two', selector: { matchLabels: { app: 'a' } }, template: podTemplate({ app: 'a' }) },
    }),
    'no-containers': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: { metadata: { labels: { app: 'a' } }, spec: { containers: [] } },
      },
    }),
    'container-without-image': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'app' }] } },
      },
    }),
    'bad-container-name': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'App_1', image: 'x' }] },
        },
      },
    }),
    'empty-selector': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { selector: {}, template: podTemplate({ app: 'a' }) },
    }),
    'bad-strategy': (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        strategy: { type: 'Sideways' },
        selector: { matchLabels: { app: 'a' } },
        template: podTemplate({ app: 'a' }),
      },
    }),
  },
  badUpdates: {
    'selector-change': (o) =>
      edit(o, (c) => {
        c.spec.selector = { matchLabels: { app: 'fid', tier: 'x' } };
        c.spec.template.metadata.labels = { app: 'fid', tier: 'x' };
      }),
  },
};

export const pdb: KindSpec = {
  id: 'PodDisruptionBudget',
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  namespaced: true,
  depth: 'full',
  valid: (name) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'fid' } } },
  }),
  change: (o) => edit(o, (c) => (c.spec.minAvailable = 2)),
  merge: { spec: { minAvailable: '50%' } },
  json: [{ op: 'replace', path: '/spec/minAvailable', value: 3 }],
  strategic: { spec: { minAvailable: 2 } },
  apply: (name) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { minAvailable: 1 },
  }),
  applyOther: (name) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { minAvailable: 4 },
  }),
  invalid: {
    'both-min-and-max': (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { minAvailable: 1, maxUnavailable: 1 },
    }),
    'percent-over-100': (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { maxUnavailable: '150%' },
    }),
    negative: (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { minAvailable: -1 },
    }),
    'bad-selector': (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Within', values: ['a'] }] } },
    }),
    'bad-eviction-policy': (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { unhealthyPodEvictionPolicy: 'Sometimes' },
    }),
    'minAvailable-bool': (name) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { minAvailable: true },
    }),
  },
};
