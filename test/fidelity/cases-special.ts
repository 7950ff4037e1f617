import { kubectlCases } from './cases-kubectl.js';
import { printerColumnCases } from './cases-printer-columns.js';
import { b64, KINDS, type KindSpec, WIDGET_GROUP } from './kinds.js';
import { collection, create, get, item, objName, PATCH, setupCreate } from './steps.js';
import type { Case, CaseContext, Step } from './types.js';

/**
 * The two Event APIs sharing one storage, what only a custom resource has (defaults, pruning, preserved fields,
 * printer columns: cases-printer-columns.ts), the /scale subresource, and kubectl's cases (cases-kubectl.ts).
 */

const kind = (id: string): KindSpec => KINDS.find((k) => k.id === id)!;

function eventCases(): Case[] {
  const core = kind('Event');
  const v1 = kind('events.k8s.io.Event');
  const cross = (from: KindSpec, to: KindSpec, variant: string, extra: Step[] = []): Case => ({
    id: `Event/shared-storage/${variant}`,
    verb: 'get',
    kind: 'Event',
    variant,
    steps: [setupCreate(from), ...extra, get(to)],
  });
  return [
    cross(core, v1, 'core-read-as-events.k8s.io'),
    cross(v1, core, 'events.k8s.io-read-as-core'),
    {
      id: 'Event/shared-storage/list-both',
      verb: 'list',
      kind: 'Event',
      variant: 'list-both',
      steps: [
        setupCreate(core, 'one'),
        setupCreate(v1, 'two'),
        { label: 'list core', method: 'GET', path: collection(core) },
        { label: 'list events.k8s.io', method: 'GET', path: collection(v1) },
      ],
    },
    {
      id: 'Event/shared-storage/already-exists-across',
      verb: 'create',
      kind: 'Event',
      variant: 'already-exists-across',
      steps: [setupCreate(core), create(v1, (ctx: CaseContext) => v1.valid(objName(v1, 'obj'), ctx.ns))],
    },
    {
      id: 'Event/shared-storage/update-through-other',
      verb: 'update',
      kind: 'Event',
      variant: 'update-through-other',
      steps: [
        setupCreate(v1),
        {
          label: 'patch core',
          method: 'PATCH',
          path: item(core, 'obj'),
          contentType: PATCH.merge,
          body: { message: 'via core', count: 7 },
        },
        get(v1),
      ],
    },
    {
      id: 'Event/shared-storage/delete-through-other',
      verb: 'delete',
      kind: 'Event',
      variant: 'delete-through-other',
      steps: [setupCreate(core), { label: 'delete events.k8s.io', method: 'DELETE', path: item(v1, 'obj') }],
      readBack: [item(core, 'obj')],
    },
  ];
}

/** a custom resource's own rules: defaults, pruning, preserved fields, status, generation */
function customResourceCases(): Case[] {
  const w = kind('Widget');
  const c = (variant: string, steps: Step[], readBack = [item(w, 'obj')]): Case => ({
    id: `Widget/schema/${variant}`,
    verb: 'create',
    kind: 'Widget',
    variant,
    steps,
    readBack,
  });
  const widget = (spec: object) => ({
    apiVersion: `${WIDGET_GROUP}/v1`,
    kind: 'Widget',
    metadata: { name: 'obj' },
    spec,
  });
  return [
    c('defaults-on-create', [create(w, widget({ size: 2 }))]),
    c('default-kept-when-set', [create(w, widget({ size: 2, color: 'red', replicas: 0 }))]),
    c('preserved-unknown', [
      create(w, widget({ size: 2, extra: { anything: { goes: [1, { deep: true }] } } })),
    ]),
    c('pruned-strict', [create(w, widget({ size: 2, bogus: 1 }), { query: { fieldValidation: 'Strict' } })]),
    c('pruned-nested', [create(w, widget({ size: 2, ports: [{ name: 'a', port: 1, bogus: 2 }] }))]),
    c('integer-as-float', [create(w, widget({ size: 2.5 }))]),
    c('integer-as-float-whole', [create(w, widget({ size: 2.0, replicas: 3.0 }))]),
    c('generation-on-spec-change', [
      setupCreate(w),
      {
        label: 'patch',
        method: 'PATCH',
        path: item(w, 'obj'),
        contentType: PATCH.merge,
        body: { spec: { size: 5 } },
      },
    ]),
    c('generation-on-metadata-change', [
      setupCreate(w),
      {
        label: 'patch',
        method: 'PATCH',
        path: item(w, 'obj'),
        contentType: PATCH.merge,
        body: { metadata: { labels: { x: 'y' } } },
      },
    ]),
    c('status-ignored-on-main', [
      setupCreate(w),
      {
        label: 'patch',
        method: 'PATCH',
        path: item(w, 'obj'),
        contentType: PATCH.merge,
        body: { status: { phase: 'Ready' } },
      },
    ]),
    c('apply-list-map', [
      setupCreate(w),
      {
        label: 'apply',
        method: 'PATCH',
        path: item(w, 'obj'),
        contentType: PATCH.apply,
        query: { fieldManager: 'ports' },
        body: widget({ size: 3, ports: [{ name: 'https', port: 443 }] }),
      },
    ]),
    c('apply-set', [
      setupCreate(w),
      {
        label: 'apply',
        method: 'PATCH',
        path: item(w, 'obj'),
        contentType: PATCH.apply,
        query: { fieldManager: 'tags' },
        body: widget({ size: 3, tags: ['c'] }),
      },
    ]),
    c('secret-data-like-field', [create(w, { ...widget({ size: 1 }), data: { a: b64('x') } })]),
  ];
}

/** the /scale subresource of a Deployment (autoscaling/v1 Scale), as kubectl scale and autoscalers use it */
function scaleCases(): Case[] {
  const d = kind('Deployment');
  const scale = item(d, 'obj') + '/scale';
  const c = (variant: string, steps: Step[]): Case => ({
    id: `Deployment/scale/${variant}`,
    verb: 'scale',
    kind: 'Deployment',
    variant,
    steps,
    readBack: [item(d, 'obj')],
  });
  const scaleBody = (replicas: unknown, rv?: string) => (ctx: CaseContext) => ({
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: 'obj', namespace: ctx.ns, ...(rv ? { resourceVersion: rv } : {}) },
    spec: { replicas },
  });
  return [
    c('get', [setupCreate(d), { label: 'get scale', method: 'GET', path: scale }]),
    c('get-missing', [{ label: 'get scale', method: 'GET', path: scale }]),
    c('patch-merge', [
      setupCreate(d),
      {
        label: 'patch scale',
        method: 'PATCH',
        path: scale,
        contentType: PATCH.merge,
        body: { spec: { replicas: 4 } },
      },
    ]),
    c('patch-json', [
      setupCreate(d),
      {
        label: 'patch scale',
        method: 'PATCH',
        path: scale,
        contentType: PATCH.json,
        body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
      },
    ]),
    c('update', [setupCreate(d), { label: 'update scale', method: 'PUT', path: scale, body: scaleBody(2) }]),
    c('update-negative', [
      setupCreate(d),
      { label: 'update scale', method: 'PUT', path: scale, body: scaleBody(-1) },
    ]),
    c('update-stale', [
      setupCreate(d),
      { label: 'update scale', method: 'PUT', path: scale, body: scaleBody(2, '1') },
    ]),
    c('update-dry-run', [
      setupCreate(d),
      { label: 'update scale', method: 'PUT', path: scale, body: scaleBody(5), query: { dryRun: 'All' } },
    ]),
  ];
}

export function specialCases(): Case[] {
  return [
    ...kubectlCases(),
    ...eventCases(),
    ...customResourceCases(),
    ...scaleCases(),
    ...printerColumnCases(),
  ];
}
