import { edit, type KindSpec, meta, type Obj } from './kind-spec.js';

/** The catalogue's custom resource: a CRD with a structural schema, defaults, preserved fields and /status. */

export const WIDGET_GROUP = 'fidelity.kubemirror.io';

/** The custom resource's definition: structural schema, defaults, preserve-unknown-fields, status subresource. */
export const WIDGET_CRD: Obj = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${WIDGET_GROUP}` },
  spec: {
    group: WIDGET_GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'green', 'blue'], default: 'blue' },
                  replicas: { type: 'integer', default: 1 },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  ports: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: { type: 'string' }, port: { type: 'integer' } },
                    },
                  },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

export const widget: KindSpec = {
  id: 'Widget',
  apiVersion: `${WIDGET_GROUP}/v1`,
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  depth: 'full',
  valid: (name) => ({
    apiVersion: `${WIDGET_GROUP}/v1`,
    kind: 'Widget',
    metadata: meta(name),
    spec: {
      size: 3,
      tags: ['a', 'b'],
      ports: [{ name: 'http', port: 80 }],
      extra: { free: { form: [1, 'two'] } },
    },
  }),
  change: (o) => edit(o, (c) => (c.spec.size = 4)),
  merge: { spec: { color: 'red' } },
  json: [{ op: 'replace', path: '/spec/size', value: 5 }],
  strategic: { spec: { color: 'green' } },
  apply: (name) => ({
    apiVersion: `${WIDGET_GROUP}/v1`,
    kind: 'Widget',
    metadata: { name },
    spec: { size: 2, color: 'red' },
  }),
  applyOther: (name) => ({
    apiVersion: `${WIDGET_GROUP}/v1`,
    kind: 'Widget',
    metadata: { name },
    spec: { size: 2, color: 'green' },
  }),
  invalid: {
    'size-too-small': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 0 },
    }),
    'size-string': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 'big' },
    }),
    'missing-required': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { color: 'red' },
    }),
    enum: (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 1, color: 'pink' },
    }),
    'pruned-field': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 1, bogus: true },
    }),
    'set-duplicate': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 1, tags: ['a', 'a'] },
    }),
    'map-list-duplicate': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: {
        size: 1,
        ports: [
          { name: 'a', port: 1 },
          { name: 'a', port: 2 },
        ],
      },
    }),
    'status-on-create': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: { size: 1 },
      status: { phase: 'Ready' },
    }),
    'spec-not-object': (name) => ({
      apiVersion: `${WIDGET_GROUP}/v1`,
      kind: 'Widget',
      metadata: { name },
      spec: 'none',
    }),
  },
  badUpdates: {
    'size-too-big': (o) => edit(o, (c) => (c.spec.size = 11)),
  },
};
