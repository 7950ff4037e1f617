import type { KindSpec, Obj } from './kinds.js';
import {
  apply,
  collection,
  create,
  created,
  del,
  item,
  objName,
  PATCH,
  patch,
  put,
  resolve,
  setupCreate,
  validBody,
} from './steps.js';
import type { Case, CaseContext, HttpStep } from './types.js';

/** create × update × patch × delete × deletecollection of every kind, with valid and bad bodies. */

const OTHER_UID = '0badc0de-0000-4000-8000-000000000000';
const withMeta = (o: Obj, m: Obj): Obj => ({ ...o, metadata: { ...(o.metadata as Obj), ...m } });
const readBack = (k: KindSpec, base = 'obj') => [item(k, base)];

function caseOf(k: KindSpec, verb: string, variant: string, steps: HttpStep[], back = readBack(k)): Case {
  return { id: `${k.id}/${verb}/${variant}`, verb, kind: k.id, variant, steps, readBack: back };
}

/** create: valid, the generic bad bodies, and the kind's own */
function createCases(k: KindSpec): Case[] {
  const full = k.depth === 'full';
  const body = validBody(k, 'obj');
  const variant = (name: string, mutate: (o: Obj, ctx: CaseContext) => Obj, extra: Partial<HttpStep> = {}) =>
    caseOf(k, 'create', name, [create(k, (ctx: CaseContext) => mutate(body(ctx), ctx), extra)]);
  const out: Case[] = [
    caseOf(k, 'create', 'valid', [create(k, body)]),
    caseOf(k, 'create', 'dry-run', [create(k, body, { query: { dryRun: 'All' } })]),
    variant('unknown-field-strict', (o) => ({ ...o, bogusField: 1 }), {
      query: { fieldValidation: 'Strict' },
    }),
  ];
  for (const [name, bad] of Object.entries(k.invalid)) {
    out.push(
      caseOf(k, 'create', name, [
        create(k, (ctx: CaseContext) => bad(resolve(objName(k, 'obj'), ctx), ctx.ns)),
      ]),
    );
  }
  if (!full) return out;
  const long = 'n'.repeat(254);
  out.push(
    caseOf(k, 'create', 'generate-name', [
      create(k, (ctx: CaseContext) => {
        const o = body(ctx);
        const { name: _n, ...m } = o.metadata as Obj;
        return { ...o, metadata: { ...m, generateName: 'gen-' } };
      }),
    ]),
    caseOf(k, 'create', 'already-exists', [setupCreate(k), create(k, body)]),
    variant('invalid-name', (o) => withMeta(o, { name: 'Invalid_Name' })),
    variant('name-too-long', (o) => withMeta(o, { name: long })),
    variant('missing-name', (o) => withMeta(o, { name: undefined })),
    variant('label-key', (o) => withMeta(o, { labels: { 'bad key!': 'x' } })),
    variant('label-value', (o) => withMeta(o, { labels: { app: 'v'.repeat(64) } })),
    variant('label-prefix', (o) => withMeta(o, { labels: { 'Example.COM/app': 'x' } })),
    variant('annotation-key', (o) => withMeta(o, { annotations: { 'a/b/c': 'x' } })),
    variant('annotations-too-big', (o) => withMeta(o, { annotations: { big: 'x'.repeat(256 * 1024) } })),
    variant('labels-wrong-type', (o) => withMeta(o, { labels: 'app=fid' })),
    variant('label-value-number', (o) => withMeta(o, { labels: { app: 5 } })),
    variant('resource-version-set', (o) => withMeta(o, { resourceVersion: '12345' })),
    variant('uid-set', (o) => withMeta(o, { uid: OTHER_UID })),
    variant('bad-finalizer', (o) => withMeta(o, { finalizers: ['not a finalizer'] })),
    variant('owner-reference-without-uid', (o) =>
      withMeta(o, { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner' }] }),
    ),
    variant('kind-mismatch', (o) => ({ ...o, kind: 'Mismatch' })),
    variant('apiVersion-mismatch', (o) => ({ ...o, apiVersion: 'example.com/v9' })),
    variant('unknown-field-warn', (o) => ({ ...o, bogusField: 1 }), { query: { fieldValidation: 'Warn' } }),
    variant('unknown-field-ignore', (o) => ({ ...o, bogusField: 1 }), {
      query: { fieldValidation: 'Ignore' },
    }),
    variant('unknown-field-default', (o) => ({ ...o, bogusField: 1, other: { x: 1 } })),
    variant('unknown-metadata-field-strict', (o) => withMeta(o, { bogusMeta: 'x' }), {
      query: { fieldValidation: 'Strict' },
    }),
    variant('duplicate-field-strict', (o) => o, {
      query: { fieldValidation: 'Strict' },
      body: (ctx: CaseContext) => {
        const o = body(ctx);
        return `${JSON.stringify(o).slice(0, -1)},"metadata":${JSON.stringify(o.metadata)}}`;
      },
    }),
    variant('fieldValidation-bogus', (o) => o, { query: { fieldValidation: 'Loose' } }),
    variant('dryRun-bogus', (o) => o, { query: { dryRun: 'Maybe' } }),
    variant('fieldManager-too-long', (o) => o, { query: { fieldManager: 'm'.repeat(129) } }),
    variant('yaml-body', (o) => o, { contentType: 'application/yaml' }),
    caseOf(k, 'create', 'malformed-json', [create(k, '{"metadata": {"name": "obj"')]),
    caseOf(k, 'create', 'empty-body', [create(k, '')]),
    caseOf(k, 'create', 'array-body', [create(k, '[]')]),
    caseOf(k, 'create', 'unsupported-content-type', [create(k, body, { contentType: 'text/plain' })]),
  );
  if (k.namespaced) {
    out.push(
      variant('namespace-mismatch', (o) => withMeta(o, { namespace: 'elsewhere' })),
      variant('namespace-same', (o, ctx) => withMeta(o, { namespace: ctx.ns })),
      caseOf(k, 'create', 'namespace-missing', [
        create(k, body, { path: collection(k).replace('{ns}', '{ns}-missing') }),
      ]),
    );
  }
  return out;
}

/** update (PUT): with and without resourceVersion, stale, another uid, dry run, no-op, the kind's bad changes */
function updateCases(k: KindSpec): Case[] {
  const full = k.depth === 'full';
  const changed = (ctx: CaseContext) => k.change(created(ctx));
  const out: Case[] = [caseOf(k, 'update', 'valid', [setupCreate(k), put(k, changed)])];
  for (const [name, bad] of Object.entries(k.badUpdates ?? {}))
    out.push(caseOf(k, 'update', name, [setupCreate(k), put(k, (ctx: CaseContext) => bad(created(ctx)))]));
  if (!full) return out;
  const noRv = (ctx: CaseContext) => withMeta(changed(ctx), { resourceVersion: undefined });
  out.push(
    caseOf(k, 'update', 'stale-resource-version', [
      setupCreate(k),
      { ...put(k, changed), label: 'setup update', setup: true },
      put(k, (ctx: CaseContext) => withMeta(k.change(created(ctx)), { labels: { stale: 'yes' } })),
    ]),
    caseOf(k, 'update', 'other-uid', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => withMeta(changed(ctx), { uid: OTHER_UID })),
    ]),
    caseOf(k, 'update', 'no-resource-version', [setupCreate(k), put(k, noRv)]),
    caseOf(k, 'update', 'name-mismatch', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => withMeta(changed(ctx), { name: resolve(objName(k, 'other'), ctx) })),
    ]),
    caseOf(k, 'update', 'missing-object', [put(k, (ctx: CaseContext) => validBody(k, 'obj')(ctx))]),
    caseOf(k, 'update', 'dry-run', [setupCreate(k), put(k, changed, 'obj', { query: { dryRun: 'All' } })]),
    caseOf(k, 'update', 'no-op', [setupCreate(k), put(k, created)]),
    caseOf(k, 'update', 'invalid-label', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => withMeta(changed(ctx), { labels: { 'bad key!': 'x' } })),
    ]),
    caseOf(k, 'update', 'unknown-field-strict', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => ({ ...changed(ctx), bogusField: true }), 'obj', {
        query: { fieldValidation: 'Strict' },
      }),
    ]),
    caseOf(k, 'update', 'remove-labels', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => withMeta(changed(ctx), { labels: null })),
    ]),
    caseOf(k, 'update', 'add-finalizer', [
      setupCreate(k),
      put(k, (ctx: CaseContext) => withMeta(changed(ctx), { finalizers: ['fidelity.kubemirror.io/hold'] })),
    ]),
  );
  return out;
}

/** patch: one of each type, server-side apply (create, re-apply, conflicts, force), bad patches */
function patchCases(k: KindSpec): Case[] {
  const full = k.depth === 'full';
  const alpha = (ctx: CaseContext) => k.apply(resolve(objName(k, 'obj'), ctx), ctx.ns);
  const beta = (ctx: CaseContext) => k.applyOther(resolve(objName(k, 'obj'), ctx), ctx.ns);
  const out: Case[] = [
    caseOf(k, 'patch', 'merge', [setupCreate(k), patch(k, 'merge', k.merge)]),
    caseOf(k, 'patch', 'apply-create', [apply(k, 'alpha', alpha)]),
    caseOf(k, 'patch', 'apply-conflict', [
      { ...apply(k, 'alpha', alpha), setup: true },
      apply(k, 'beta', beta),
    ]),
  ];
  if (!full) return out;
  out.push(
    caseOf(k, 'patch', 'json', [setupCreate(k), patch(k, 'json', k.json)]),
    caseOf(k, 'patch', 'strategic', [setupCreate(k), patch(k, 'strategic', k.strategic)]),
    caseOf(k, 'patch', 'apply-again', [
      { ...apply(k, 'alpha', alpha), setup: true },
      apply(k, 'alpha', alpha),
    ]),
    caseOf(k, 'patch', 'apply-force', [
      { ...apply(k, 'alpha', alpha), setup: true },
      apply(k, 'beta', beta, 'obj', { query: { fieldManager: 'beta', force: 'true' } }),
    ]),
    caseOf(k, 'patch', 'apply-over-update', [setupCreate(k), apply(k, 'beta', beta)]),
    caseOf(k, 'patch', 'apply-over-update-force', [
      setupCreate(k),
      apply(k, 'beta', beta, 'obj', { query: { fieldManager: 'beta', force: 'true' } }),
    ]),
    caseOf(k, 'patch', 'apply-without-field-manager', [apply(k, 'none', alpha, 'obj', { query: {} })]),
    caseOf(k, 'patch', 'apply-dry-run', [
      apply(k, 'alpha', alpha, 'obj', { query: { fieldManager: 'alpha', dryRun: 'All' } }),
    ]),
    caseOf(k, 'patch', 'apply-wrong-kind', [
      apply(k, 'alpha', (ctx: CaseContext) => ({ ...alpha(ctx), kind: 'Other' })),
    ]),
    caseOf(k, 'patch', 'apply-name-mismatch', [
      apply(k, 'alpha', (ctx: CaseContext) => withMeta(alpha(ctx), { name: 'someone-else' })),
    ]),
    caseOf(k, 'patch', 'apply-unknown-field', [
      apply(k, 'alpha', (ctx: CaseContext) => ({ ...alpha(ctx), bogusField: 1 })),
    ]),
    caseOf(k, 'patch', 'apply-malformed-yaml', [apply(k, 'alpha', 'metadata: [unclosed')]),
    caseOf(k, 'patch', 'merge-malformed', [setupCreate(k), patch(k, 'merge', '{"data": ')]),
    caseOf(k, 'patch', 'merge-null', [setupCreate(k), patch(k, 'merge', 'null')]),
    caseOf(k, 'patch', 'merge-rename', [
      setupCreate(k),
      patch(k, 'merge', { metadata: { name: 'renamed' } }),
    ]),
    caseOf(k, 'patch', 'merge-wrong-type', [setupCreate(k), patch(k, 'merge', { metadata: { labels: 5 } })]),
    caseOf(k, 'patch', 'merge-invalid-label', [
      setupCreate(k),
      patch(k, 'merge', { metadata: { labels: { 'a b': 'x' } } }),
    ]),
    caseOf(k, 'patch', 'merge-unknown-strict', [
      setupCreate(k),
      patch(k, 'merge', { bogusField: 1 }, 'obj', { query: { fieldValidation: 'Strict' } }),
    ]),
    caseOf(k, 'patch', 'merge-unknown-warn', [setupCreate(k), patch(k, 'merge', { bogusField: 1 })]),
    caseOf(k, 'patch', 'merge-stale-resource-version', [
      setupCreate(k),
      patch(k, 'merge', { metadata: { resourceVersion: '1', labels: { x: 'y' } } }),
    ]),
    caseOf(k, 'patch', 'merge-dry-run', [
      setupCreate(k),
      patch(k, 'merge', k.merge, 'obj', { query: { dryRun: 'All' } }),
    ]),
    caseOf(k, 'patch', 'merge-missing-object', [patch(k, 'merge', k.merge)]),
    caseOf(k, 'patch', 'json-bad-op', [
      setupCreate(k),
      patch(k, 'json', [{ op: 'frobnicate', path: '/metadata' }]),
    ]),
    caseOf(k, 'patch', 'json-test-fails', [
      setupCreate(k),
      patch(k, 'json', [{ op: 'test', path: '/metadata/name', value: 'someone-else' }]),
    ]),
    caseOf(k, 'patch', 'json-remove-missing', [
      setupCreate(k),
      patch(k, 'json', [{ op: 'remove', path: '/nothing/here' }]),
    ]),
    caseOf(k, 'patch', 'json-not-array', [setupCreate(k), patch(k, 'json', { op: 'add' })]),
    caseOf(k, 'patch', 'json-replace-uid', [
      setupCreate(k),
      patch(k, 'json', [{ op: 'replace', path: '/metadata/uid', value: OTHER_UID }]),
    ]),
    caseOf(k, 'patch', 'strategic-bad-directive', [
      setupCreate(k),
      patch(k, 'strategic', { metadata: { labels: { $patch: 'explode' } } }),
    ]),
    caseOf(k, 'patch', 'strategic-delete-labels', [
      setupCreate(k),
      patch(k, 'strategic', { metadata: { labels: { $patch: 'replace', only: 'this' } } }),
    ]),
    caseOf(k, 'patch', 'unsupported-content-type', [
      setupCreate(k),
      { ...patch(k, 'merge', k.merge), contentType: 'application/json' },
    ]),
  );
  return out;
}

const HOLD = 'fidelity.kubemirror.io/hold';

/** delete: plain, preconditions, propagation policies, dry run, a finalizer holding the object */
function deleteCases(k: KindSpec): Case[] {
  const full = k.depth === 'full';
  // a deleted namespace is finalized by a controller on its own time: only the DELETE's answer is compared
  const back = k.kind === 'Namespace' ? [] : readBack(k);
  const out: Case[] = [caseOf(k, 'delete', 'plain', [setupCreate(k), del(k)], back)];
  if (!full) return out;
  const opts = (body: Obj | string) => ({ body, contentType: 'application/json' });
  out.push(
    caseOf(k, 'delete', 'missing', [del(k)]),
    caseOf(k, 'delete', 'dry-run', [setupCreate(k), del(k, 'obj', { query: { dryRun: 'All' } })]),
    caseOf(k, 'delete', 'precondition-uid', [
      setupCreate(k),
      del(k, 'obj', opts({ preconditions: { uid: OTHER_UID } })),
    ]),
    caseOf(k, 'delete', 'precondition-rv', [
      setupCreate(k),
      del(k, 'obj', opts({ preconditions: { resourceVersion: '1' } })),
    ]),
    caseOf(
      k,
      'delete',
      'precondition-match',
      [
        setupCreate(k),
        del(k, 'obj', {
          contentType: 'application/json',
          body: (ctx: CaseContext) => ({
            preconditions: { uid: ctx.last?.uid, resourceVersion: ctx.last?.resourceVersion },
          }),
        }),
      ],
      back,
    ),
    // the garbage collector removes the foregroundDeletion/orphan finalizer when it gets to it: only the answer counts
    caseOf(
      k,
      'delete',
      'foreground',
      [setupCreate(k), del(k, 'obj', opts({ propagationPolicy: 'Foreground' }))],
      [],
    ),
    caseOf(k, 'delete', 'orphan', [setupCreate(k), del(k, 'obj', opts({ propagationPolicy: 'Orphan' }))], []),
    caseOf(
      k,
      'delete',
      'background-query',
      [setupCreate(k), del(k, 'obj', { query: { propagationPolicy: 'Background' } })],
      back,
    ),
    caseOf(k, 'delete', 'bad-policy', [
      setupCreate(k),
      del(k, 'obj', opts({ propagationPolicy: 'Sideways' })),
    ]),
    caseOf(k, 'delete', 'orphan-and-policy', [
      setupCreate(k),
      del(k, 'obj', opts({ orphanDependents: true, propagationPolicy: 'Orphan' })),
    ]),
    caseOf(
      k,
      'delete',
      'grace-period-zero',
      [setupCreate(k), del(k, 'obj', { query: { gracePeriodSeconds: '0' } })],
      back,
    ),
    caseOf(k, 'delete', 'body-wrong-type', [
      setupCreate(k),
      del(k, 'obj', opts({ propagationPolicy: 5 } as unknown as Obj)),
    ]),
    caseOf(k, 'delete', 'body-malformed', [setupCreate(k), del(k, 'obj', opts('{"kind": '))]),
    caseOf(
      k,
      'delete',
      'finalizer-holds',
      [
        setupCreate(k, 'obj', (o) => withMeta(o, { finalizers: [HOLD] })),
        del(k),
        { ...get(k), label: 'get while held' },
        patch(k, 'merge', { metadata: { finalizers: null } }, 'obj', { label: 'release finalizer' }),
      ],
      back,
    ),
  );
  return out;
}

function get(k: KindSpec): HttpStep {
  return { label: 'get', method: 'GET', path: item(k, 'obj') };
}

/** deletecollection: by label, everything, dry run */
function deleteCollectionCases(k: KindSpec): Case[] {
  if (k.depth !== 'full' || !k.namespaced) return [];
  const two = [
    setupCreate(k, 'one'),
    setupCreate(k, 'two', (o) => withMeta(o, { labels: { app: 'other' } })),
  ];
  const dc = (query: Record<string, string>): HttpStep => ({
    label: 'deletecollection',
    method: 'DELETE',
    path: collection(k),
    query,
  });
  const back = [item(k, 'one'), item(k, 'two')];
  return [
    caseOf(k, 'deletecollection', 'by-label', [...two, dc({ labelSelector: 'app=fid' })], back),
    caseOf(k, 'deletecollection', 'all', [...two, dc({})], back),
    caseOf(k, 'deletecollection', 'dry-run', [...two, dc({ dryRun: 'All' })], back),
    caseOf(
      k,
      'deletecollection',
      'by-field',
      [...two, dc({ fieldSelector: `metadata.name=${objName(k, 'two')}` })],
      back,
    ),
  ];
}

/** /status of kinds that serve it: a status change and a spec change sent there */
function statusCases(k: KindSpec): Case[] {
  const withStatus = ['Service', 'Deployment', 'PodDisruptionBudget', 'Widget', 'Namespace'];
  if (!withStatus.includes(k.id)) return [];
  const status = `${item(k, 'obj')}/status`;
  const statusPatch =
    k.kind === 'Widget'
      ? { status: { phase: 'Ready' }, spec: { size: 9 } }
      : k.kind === 'Deployment'
        ? { status: { observedGeneration: 1, replicas: 1 }, spec: { replicas: 7 } }
        : k.kind === 'PodDisruptionBudget'
          ? {
              status: {
                observedGeneration: 1,
                disruptionsAllowed: 1,
                currentHealthy: 1,
                desiredHealthy: 1,
                expectedPods: 1,
              },
            }
          : k.kind === 'Namespace'
            ? { status: { phase: 'Active' }, metadata: { labels: { via: 'status' } } }
            : { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } };
  return [
    caseOf(k, 'patch', 'status-merge', [
      setupCreate(k),
      { label: 'patch status', method: 'PATCH', path: status, contentType: PATCH.merge, body: statusPatch },
    ]),
    caseOf(k, 'update', 'status-put', [
      setupCreate(k),
      {
        label: 'put status',
        method: 'PUT',
        path: status,
        body: (ctx: CaseContext) => ({ ...created(ctx), ...statusPatch }),
      },
    ]),
    caseOf(k, 'patch', 'status-apply', [
      setupCreate(k),
      {
        label: 'apply status',
        method: 'PATCH',
        path: status,
        contentType: PATCH.apply,
        query: { fieldManager: 'status-writer' },
        body: (ctx: CaseContext) => ({
          apiVersion: k.apiVersion,
          kind: k.kind,
          metadata: { name: resolve(objName(k, 'obj'), ctx) },
          status: statusPatch.status,
        }),
      },
    ]),
  ];
}

export function writeCases(k: KindSpec): Case[] {
  return [
    ...createCases(k),
    ...updateCases(k),
    ...patchCases(k),
    ...deleteCases(k),
    ...deleteCollectionCases(k),
    ...statusCases(k),
  ];
}
