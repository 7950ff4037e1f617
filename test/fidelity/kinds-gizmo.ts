import type { Obj } from './kind-spec.js';
import { WIDGET_GROUP } from './kinds-widget.js';

/**
 * The catalogue's custom resource with printer columns (Table output, `kubectl get gizmos`). Apart from the Widget,
 * whose CRD lists none: the Widget's tables are the Name and Age every column-less CRD gets, which
 * generate-server-answers.ts records as `*custom` for the sandbox.
 */

/**
 * v1's columns: one of each type, filters, paths some gizmos lack (status, which only /status sets, `paused`,
 * `weight`), a date, and priority-1 columns that only `-o wide` shows.
 */
export const GIZMO_COLUMNS = [
  { name: 'Size', type: 'integer', format: 'int32', jsonPath: '.spec.size' },
  { name: 'Color', type: 'string', jsonPath: '.spec.color' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'HTTP', type: 'integer', jsonPath: '.spec.ports[?(@.name=="http")].port' },
  { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
  { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Weight', type: 'number', priority: 1, jsonPath: '.spec.weight' },
  { name: 'Tags', type: 'string', priority: 1, description: 'The gizmo’s tags', jsonPath: '.spec.tags' },
  { name: 'Phase', type: 'string', priority: 1, jsonPath: '.status.phase' },
  // a string column prints what it finds: a map list as JSON, a number as Go's %v, an index past the end as nothing
  { name: 'Ports', type: 'string', priority: 1, jsonPath: '.spec.ports' },
  { name: 'Weight Text', type: 'string', priority: 1, jsonPath: '.spec.weight' },
  { name: 'First Tag', type: 'string', priority: 1, jsonPath: '.spec.tags[0]' },
];

const schema = {
  openAPIV3Schema: {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['size'],
        properties: {
          size: { type: 'integer', minimum: 1 },
          color: { type: 'string', default: 'blue' },
          paused: { type: 'boolean' },
          weight: { type: 'number' },
          tags: { type: 'array', items: { type: 'string' } },
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
        },
      },
      status: {
        type: 'object',
        properties: {
          phase: { type: 'string' },
          conditions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['type', 'status'],
              properties: { type: { type: 'string' }, status: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

/**
 * v1 (stored, and preferred by both servers' discovery) has the columns; v1beta1, served alongside without
 * conversion, lists none, so its tables are Name and Age.
 */
export const GIZMO_CRD: Obj = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `gizmos.${WIDGET_GROUP}` },
  spec: {
    group: WIDGET_GROUP,
    scope: 'Namespaced',
    names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema,
        additionalPrinterColumns: GIZMO_COLUMNS,
      },
      { name: 'v1beta1', served: true, storage: false, subresources: { status: {} }, schema },
    ],
  },
};

/** the collection of gizmos in the case's namespace, at `version` */
export const gizmos = (version = 'v1') => `/apis/${WIDGET_GROUP}/${version}/namespaces/{ns}/gizmos`;

export const gizmo = (name: string, spec: Obj): Obj => ({
  apiVersion: `${WIDGET_GROUP}/v1`,
  kind: 'Gizmo',
  metadata: { name, labels: { app: 'fid' } },
  spec,
});
