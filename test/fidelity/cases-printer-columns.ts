import { type Obj, WIDGET_GROUP } from './kinds.js';
import { gizmo, gizmos } from './kinds-gizmo.js';
import { ACCEPT, PATCH } from './steps.js';
import type { Case, CaseContext, HttpStep, KubectlStep, Step } from './types.js';

/**
 * A custom resource's printer columns (kinds-gizmo.ts) in Table output: gets, lists and watches that ask for a
 * Table, and `kubectl get` with and without `-o wide`, over gizmos that have the columns' fields and gizmos that lack
 * them.
 */

const setupCreate = (name: string, spec: Obj): HttpStep => ({
  label: `setup create ${name}`,
  method: 'POST',
  path: gizmos(),
  body: gizmo(name, spec),
  setup: true,
});

const statusPatch = (name: string, status: Obj, extra: Partial<HttpStep> = {}): HttpStep => ({
  label: `setup status ${name}`,
  method: 'PATCH',
  path: `${gizmos()}/${name}/status`,
  contentType: PATCH.merge,
  body: { status },
  setup: true,
  ...extra,
});

/**
 * `plain`: no status, no `paused` nor `weight`, an http port; `ready`: every field, the http port second, a Ready
 * condition after another, an empty tag list (so `[0]` is out of range), an integral weight in the number column;
 * `paused`: a status without a Ready condition, no ports nor tags, a weight Go prints with an exponent.
 */
const GIZMOS: HttpStep[] = [
  setupCreate('plain', { size: 3, tags: ['a', 'b'], ports: [{ name: 'http', port: 80 }] }),
  setupCreate('ready', {
    size: 5,
    color: 'green',
    paused: false,
    weight: 2,
    tags: [],
    ports: [
      { name: 'metrics', port: 9090 },
      { name: 'http', port: 8080 },
    ],
  }),
  statusPatch('ready', {
    phase: 'Running',
    conditions: [
      { type: 'Synced', status: 'False' },
      { type: 'Ready', status: 'True' },
    ],
  }),
  setupCreate('paused', { size: 1, color: 'red', paused: true, weight: 1234567.5 }),
  statusPatch('paused', { conditions: [{ type: 'Synced', status: 'True' }] }),
];

const columnsCase = (variant: string, verb: string, steps: Step[]): Case => ({
  id: `Gizmo/columns/${variant}`,
  verb,
  kind: 'Gizmo',
  variant,
  steps,
});

/** a get (of one gizmo) or a list asking for a Table */
const tableGet = (path: string, query: Record<string, string> = {}): HttpStep => ({
  label: path.endsWith('/gizmos') ? 'list table' : 'get table',
  method: 'GET',
  path,
  query,
  accept: ACCEPT.table,
});

const kubectl = (args: string[]): KubectlStep => ({
  type: 'kubectl',
  label: `kubectl ${args.join(' ')}`,
  args: [...args, '-n', '{ns}'],
});

/** a list's resourceVersion from the answer of step `i` */
const rvOf = (ctx: CaseContext, i: number) =>
  String(
    (ctx.bodies[i] as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion ??
      '',
  );

export function printerColumnCases(): Case[] {
  return [
    columnsCase('get-table', 'get', [...GIZMOS, tableGet(`${gizmos()}/ready`)]),
    columnsCase('get-table-without-status', 'get', [...GIZMOS, tableGet(`${gizmos()}/plain`)]),
    columnsCase('list-table', 'list', [...GIZMOS, tableGet(gizmos())]),
    columnsCase('list-table-include-object', 'list', [
      ...GIZMOS,
      tableGet(gizmos(), { includeObject: 'Object' }),
    ]),
    columnsCase('list-table-include-none', 'list', [
      ...GIZMOS,
      tableGet(gizmos(), { includeObject: 'None' }),
    ]),
    columnsCase('list-table-paged', 'list', [...GIZMOS, tableGet(gizmos(), { limit: '2' })]),
    // v1beta1 lists no columns: Name and Age
    columnsCase('list-table-version-without-columns', 'list', [...GIZMOS, tableGet(gizmos('v1beta1'))]),
    // the answer to a write is a Table too when asked for one
    columnsCase('status-patch-table', 'patch', [
      ...GIZMOS,
      statusPatch(
        'plain',
        { phase: 'Pending' },
        { label: 'patch status', setup: false, accept: ACCEPT.table },
      ),
    ]),
    columnsCase('watch-table', 'watch', [
      { label: 'setup list', method: 'GET', path: gizmos(), setup: true },
      ...GIZMOS,
      {
        label: 'watch',
        method: 'GET',
        path: gizmos(),
        query: (ctx) => ({ watch: '1', resourceVersion: rvOf(ctx, 0), timeoutSeconds: '1' }),
        accept: ACCEPT.table,
        watchMs: 4000,
      },
    ]),
    columnsCase('kubectl-get', 'kubectl', [...GIZMOS, kubectl(['get', 'gizmos'])]),
    columnsCase('kubectl-get-wide', 'kubectl', [...GIZMOS, kubectl(['get', 'gizmos', '-o', 'wide'])]),
    columnsCase('kubectl-get-one-wide', 'kubectl', [
      ...GIZMOS,
      kubectl(['get', 'gizmo', 'ready', '-o', 'wide']),
    ]),
    columnsCase('kubectl-get-version-without-columns', 'kubectl', [
      ...GIZMOS,
      kubectl(['get', `gizmos.v1beta1.${WIDGET_GROUP}`]),
    ]),
  ];
}
