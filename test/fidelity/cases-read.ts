import type { KindSpec, Obj } from './kinds.js';
import { ACCEPT, collection, del, get, item, list, objName, patch, setupCreate } from './steps.js';
import type { Case, CaseContext, HttpStep } from './types.js';

/** get × Accept, list × selectors and paging, watch × parameters and event sequences. */

const caseOf = (
  k: KindSpec,
  verb: string,
  variant: string,
  steps: HttpStep[],
  readBack?: string[],
): Case => ({
  id: `${k.id}/${verb}/${variant}`,
  verb,
  kind: k.id,
  variant,
  steps,
  ...(readBack ? { readBack } : {}),
});

const withLabels =
  (labels: Record<string, string>) =>
  (o: Obj): Obj => ({
    ...o,
    metadata: { ...(o.metadata as Obj), labels },
  });

/**
 * A consistent list (not compared): kube-apiserver answers it from its watch cache once the cache has caught up with
 * etcd, so the reads with resourceVersion=0 after it (served from that cache as it is) see the case's writes.
 */
const synced = (k: KindSpec): HttpStep => ({
  ...list(k, scope(k)),
  label: 'setup consistent list',
  setup: true,
});

/** a list's resourceVersion from the answer of step `i` */
const rvOf = (ctx: CaseContext, i: number) =>
  String(
    (ctx.bodies[i] as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion ??
      '',
  );
const continueOf = (ctx: CaseContext, i: number) =>
  String((ctx.bodies[i] as { metadata?: { continue?: string } } | undefined)?.metadata?.continue ?? '');

/** a cluster-scoped kind is listed and watched by the case's own names only (other cases run beside it) */
const scope = (k: KindSpec, q: Record<string, string> = {}): Record<string, string> =>
  k.namespaced
    ? q
    : {
        ...q,
        labelSelector: q.labelSelector ?? 'app=fid',
        fieldSelector: q.fieldSelector ?? 'metadata.name={ns}-obj',
      };

function getCases(k: KindSpec): Case[] {
  const full = k.depth === 'full';
  const out: Case[] = [
    caseOf(k, 'get', 'existing', [setupCreate(k), get(k)]),
    caseOf(k, 'get', 'table', [setupCreate(k), get(k, 'obj', { accept: ACCEPT.table })]),
  ];
  if (!full) return out;
  out.push(
    caseOf(k, 'get', 'missing', [get(k)]),
    caseOf(k, 'get', 'yaml', [setupCreate(k), get(k, 'obj', { accept: ACCEPT.yaml })]),
    caseOf(k, 'get', 'protobuf', [setupCreate(k), get(k, 'obj', { accept: ACCEPT.protobuf })]),
    caseOf(k, 'get', 'protobuf-missing', [get(k, 'obj', { accept: ACCEPT.protobuf })]),
    caseOf(k, 'get', 'partial-metadata', [setupCreate(k), get(k, 'obj', { accept: ACCEPT.partial })]),
    caseOf(k, 'get', 'partial-metadata-list', [
      setupCreate(k),
      get(k, 'obj', { accept: ACCEPT.partialList }),
    ]),
    caseOf(k, 'get', 'table-include-object', [
      setupCreate(k),
      get(k, 'obj', { accept: ACCEPT.table, query: { includeObject: 'Object' } }),
    ]),
    caseOf(k, 'get', 'unacceptable', [setupCreate(k), get(k, 'obj', { accept: 'text/html' })]),
    caseOf(k, 'get', 'resource-version-0', [
      setupCreate(k),
      synced(k),
      get(k, 'obj', { query: { resourceVersion: '0' } }),
    ]),
  );
  return out;
}

function listCases(k: KindSpec): Case[] {
  if (k.depth !== 'full') return [];
  const two = [setupCreate(k, 'obj'), setupCreate(k, 'two', withLabels({ app: 'other' }))];
  /** cluster-scoped objects paged through: labelled with the case, so other cases' objects stay out of the pages */
  const tag = (labels: Record<string, string>) => (o: Obj, ctx: CaseContext) =>
    withLabels({ ...labels, 'fid-case': ctx.ns })(o);
  const tagged = [setupCreate(k, 'obj', tag({ app: 'fid' })), setupCreate(k, 'two', tag({ app: 'other' }))];
  const fieldSelectors = k.namespaced ? (k.fieldSelectors ?? []) : [];
  return [
    caseOf(k, 'list', 'plain', [
      ...two,
      list(k, scope(k, { labelSelector: k.namespaced ? '' : 'app in (fid,other)' })),
    ]),
    caseOf(k, 'list', 'label-selector', [...two, list(k, scope(k, { labelSelector: 'app=fid' }))]),
    caseOf(k, 'list', 'field-selector-name', [
      ...two,
      list(k, { fieldSelector: `metadata.name=${objName(k, 'two')}` }),
    ]),
    caseOf(k, 'list', 'table', [...two, list(k, scope(k), { accept: ACCEPT.table })]),
    caseOf(k, 'list', 'partial-metadata-list', [...two, list(k, scope(k), { accept: ACCEPT.partialList })]),
    caseOf(k, 'list', 'partial-metadata', [...two, list(k, scope(k), { accept: ACCEPT.partial })]),
    caseOf(k, 'list', 'protobuf', [...two, list(k, scope(k), { accept: ACCEPT.protobuf })]),
    caseOf(k, 'list', 'yaml', [...two, list(k, scope(k), { accept: ACCEPT.yaml })]),
    caseOf(k, 'list', 'limit-continue', [
      ...(k.namespaced ? two : tagged),
      list(k, k.namespaced ? { limit: '1' } : { limit: '1', labelSelector: 'fid-case={ns}' }),
      list(k, (ctx) => ({
        limit: '1',
        continue: continueOf(ctx, 2),
        ...(k.namespaced ? {} : { labelSelector: 'fid-case={ns}' }),
      })),
    ]),
    ...fieldSelectors.map((fs) =>
      caseOf(k, 'list', `field-selector ${fs}`, [...two, list(k, { fieldSelector: fs })]),
    ),
    ...(k.namespaced
      ? [
          caseOf(k, 'list', 'all-namespaces', [
            ...two,
            {
              ...list(k, { fieldSelector: 'metadata.namespace={ns}' }),
              path: collection(k).replace('/namespaces/{ns}', ''),
            },
          ]),
        ]
      : []),
  ];
}

/** the watch of a case: from the resourceVersion of the case's first list, for at most `timeoutSeconds` */
function watchFrom(
  k: KindSpec,
  listStep: number,
  q: Record<string, string> = {},
  extra: Partial<HttpStep> = {},
): HttpStep {
  return {
    label: 'watch',
    method: 'GET',
    path: collection(k),
    query: (ctx: CaseContext) =>
      scope(k, { watch: '1', resourceVersion: rvOf(ctx, listStep), timeoutSeconds: '1', ...q }),
    watchMs: 4000,
    ...extra,
  };
}

function watchCases(k: KindSpec): Case[] {
  if (k.depth !== 'full') return [];
  const before: HttpStep = { ...list(k, scope(k)), label: 'setup list', setup: true };
  const lifecycle: HttpStep[] = [
    before,
    setupCreate(k),
    { ...patch(k, 'merge', { metadata: { labels: { phase: 'two' } } }), setup: true },
    ...(k.kind === 'Namespace' ? [] : [{ ...del(k), setup: true }]),
  ];
  return [
    caseOf(k, 'watch', 'replay', [...lifecycle, watchFrom(k, 0)]),
    caseOf(k, 'watch', 'replay-partial-metadata', [
      ...lifecycle,
      watchFrom(k, 0, {}, { accept: ACCEPT.partial }),
    ]),
    caseOf(k, 'watch', 'initial-events', [
      setupCreate(k),
      {
        label: 'watch',
        method: 'GET',
        path: collection(k),
        query: scope(k, {
          watch: '1',
          sendInitialEvents: 'true',
          resourceVersionMatch: 'NotOlderThan',
          allowWatchBookmarks: 'true',
          timeoutSeconds: '1',
        }),
        watchMs: 4000,
      },
    ]),
  ];
}

/** the label and field selector grammar, paging and resourceVersion parameters, on ConfigMaps */
function selectorCases(k: KindSpec): Case[] {
  const three = [
    setupCreate(k, 'a', withLabels({ app: 'fid', tier: 'web', rank: '1' })),
    setupCreate(k, 'b', withLabels({ app: 'fid', tier: 'db', rank: '5' })),
    setupCreate(k, 'c', withLabels({ app: 'other' })),
  ];
  const labelSelectors = [
    'app=fid',
    'app==fid',
    'app!=fid',
    'app in (fid,other)',
    'app notin (fid)',
    'tier',
    '!tier',
    'app=fid,tier=web',
    ' app = fid , tier in ( web ) ',
    'rank>2',
    'rank<2',
    'rank>x',
    'app in ()',
    'app=',
    '=fid',
    'app in fid',
    'app notin',
    'app=fid,',
    ',app=fid',
    'a=b=c',
    '!app=fid',
    'bad key=x',
    'app=bad value',
    'example.com/app=x',
    'a/b/c=d',
    `${'k'.repeat(64)}=v`,
    `app=${'v'.repeat(64)}`,
    'app in (a,,b)',
    'app!=',
    'tier,!rank',
    'app=fid;tier=web',
  ];
  const fieldSelectors = [
    'metadata.name=a',
    'metadata.name==a',
    'metadata.name!=a',
    'metadata.namespace={ns}',
    'metadata.name=a,metadata.namespace={ns}',
    'metadata.name=a,metadata.name=b',
    'spec.foo=x',
    'metadata.labels=x',
    'metadata.name',
    'metadata.name=a=b',
    'metadata.name in (a)',
    '',
    'metadata.name=',
    'metadata.name=a,',
    'metadata.name=a\\,b',
  ];
  const listParams: [string, Record<string, string>][] = [
    ['limit-0', { limit: '0' }],
    ['limit-negative', { limit: '-1' }],
    ['limit-not-a-number', { limit: 'ten' }],
    ['limit-2', { limit: '2' }],
    ['limit-with-selector', { limit: '1', labelSelector: 'app=fid' }],
    ['continue-garbage', { continue: 'garbage' }],
    ['continue-base64-garbage', { continue: Buffer.from('{"v":"x"}').toString('base64url') }],
    ['resource-version-0', { resourceVersion: '0' }],
    ['resource-version-not-a-number', { resourceVersion: 'abc' }],
    ['resource-version-match-without-rv', { resourceVersionMatch: 'Exact' }],
    ['resource-version-match-bogus', { resourceVersion: '1', resourceVersionMatch: 'Sometimes' }],
    ['resource-version-0-exact', { resourceVersion: '0', resourceVersionMatch: 'Exact' }],
    ['resource-version-0-not-older', { resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' }],
    ['send-initial-events-on-list', { sendInitialEvents: 'true' }],
    ['continue-and-match', { continue: 'abc', resourceVersion: '1', resourceVersionMatch: 'NotOlderThan' }],
    ['timeout-seconds-on-list', { timeoutSeconds: '5' }],
    ['watch-false', { watch: 'false' }],
  ];
  const out: Case[] = [];
  for (const s of labelSelectors)
    out.push(caseOf(k, 'list', `labelSelector ${s}`, [...three, list(k, { labelSelector: s })]));
  for (const s of fieldSelectors)
    out.push(caseOf(k, 'list', `fieldSelector ${s}`, [...three, list(k, { fieldSelector: s })]));
  for (const [name, q] of listParams) out.push(caseOf(k, 'list', name, [...three, synced(k), list(k, q)]));
  out.push(
    caseOf(k, 'list', 'paging-to-the-end', [
      ...three,
      list(k, { limit: '1' }),
      list(k, (ctx) => ({ limit: '1', continue: continueOf(ctx, 3) })),
      list(k, (ctx) => ({ limit: '1', continue: continueOf(ctx, 4) })),
    ]),
    caseOf(k, 'list', 'continue-sees-snapshot', [
      ...three,
      list(k, { limit: '1' }),
      { ...setupCreate(k, 'b2'), label: 'setup create during paging' },
      list(k, (ctx) => ({ limit: '5', continue: continueOf(ctx, 3) })),
    ]),
    caseOf(k, 'list', 'resource-version-exact-past', [
      { ...list(k), label: 'setup list', setup: true },
      ...three,
      list(k, (ctx) => ({ resourceVersion: rvOf(ctx, 0), resourceVersionMatch: 'Exact' })),
    ]),
    caseOf(k, 'list', 'resource-version-not-older-than', [
      ...three,
      list(k, (ctx) => ({
        resourceVersion: String(ctx.last?.resourceVersion ?? ''),
        resourceVersionMatch: 'NotOlderThan',
      })),
    ]),
    caseOf(k, 'list', 'resource-version-too-large', [...three, list(k, { resourceVersion: '999999999' })]),
    caseOf(k, 'list', 'resource-version-exact-1', [
      ...three,
      list(k, { resourceVersion: '1', resourceVersionMatch: 'Exact' }),
    ]),
  );
  // watch parameters
  const before: HttpStep = { ...list(k), label: 'setup list', setup: true };
  const watch = (
    q: Record<string, string> | ((ctx: CaseContext) => Record<string, string>),
    extra: Partial<HttpStep> = {},
  ): HttpStep => ({
    label: 'watch',
    method: 'GET',
    path: collection(k),
    query: q,
    watchMs: 4000,
    ...extra,
  });
  const from = (q: Record<string, string>) => (ctx: CaseContext) => ({
    watch: '1',
    resourceVersion: rvOf(ctx, 0),
    timeoutSeconds: '1',
    ...q,
  });
  const moves = [
    before,
    ...three,
    { ...patch(k, 'merge', { metadata: { labels: { tier: 'web' } } }, 'b'), setup: true },
    { ...patch(k, 'merge', { metadata: { labels: { tier: 'gone' } } }, 'a'), setup: true },
    { ...patch(k, 'merge', { data: { more: 'x' } }, 'c'), setup: true },
    { ...del(k, 'b'), setup: true },
  ];
  out.push(
    caseOf(k, 'watch', 'label-selector-enter-leave', [...moves, watch(from({ labelSelector: 'tier=web' }))]),
    caseOf(k, 'watch', 'field-selector-name', [...moves, watch(from({ fieldSelector: 'metadata.name=c' }))]),
    caseOf(k, 'watch', 'resource-version-0', [
      ...three,
      synced(k),
      watch({ watch: '1', resourceVersion: '0', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'resource-version-empty', [
      ...three,
      synced(k),
      watch({ watch: '1', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'resource-version-not-a-number', [
      watch({ watch: '1', resourceVersion: 'abc', timeoutSeconds: '1' }),
    ]),
    // from before the case's namespace existed: served (etcd is never compacted during the run)
    caseOf(k, 'watch', 'resource-version-1', [
      watch({ watch: '1', resourceVersion: '1', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'initial-events-without-match', [
      watch({ watch: '1', sendInitialEvents: 'true', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'initial-events-exact', [
      watch({ watch: '1', sendInitialEvents: 'true', resourceVersionMatch: 'Exact', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'match-without-initial-events', [
      watch({ watch: '1', resourceVersionMatch: 'NotOlderThan', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'initial-events-false', [
      ...three,
      watch({
        watch: '1',
        sendInitialEvents: 'false',
        resourceVersionMatch: 'NotOlderThan',
        timeoutSeconds: '1',
      }),
    ]),
    caseOf(k, 'watch', 'initial-events-label-selector', [
      ...three,
      watch({
        watch: '1',
        sendInitialEvents: 'true',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: 'true',
        labelSelector: 'app=fid',
        timeoutSeconds: '1',
      }),
    ]),
    caseOf(k, 'watch', 'bookmarks-no-events', [before, watch(from({ allowWatchBookmarks: 'true' }))]),
    caseOf(k, 'watch', 'no-events', [before, watch(from({}))]),
    caseOf(k, 'watch', 'timeout-not-a-number', [watch({ watch: '1', timeoutSeconds: 'soon' })]),
    caseOf(k, 'watch', 'bad-label-selector', [
      watch({ watch: '1', labelSelector: 'a in b', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'bad-field-selector', [
      watch({ watch: '1', fieldSelector: 'spec.x=y', timeoutSeconds: '1' }),
    ]),
    caseOf(k, 'watch', 'watch-path', [
      ...moves,
      watch((ctx) => ({ resourceVersion: rvOf(ctx, 0), timeoutSeconds: '1' }), {
        path: collection(k).replace('/api/v1/', '/api/v1/watch/'),
      }),
    ]),
    caseOf(k, 'watch', 'table', [...moves, watch(from({}), { accept: ACCEPT.table })]),
    caseOf(k, 'watch', 'partial-metadata-list', [...moves, watch(from({}), { accept: ACCEPT.partialList })]),
    caseOf(k, 'watch', 'future-resource-version', [
      watch({ watch: '1', resourceVersion: '999999999', timeoutSeconds: '1' }),
    ]),
  );
  return out;
}

export function readCases(k: KindSpec): Case[] {
  return [
    ...getCases(k),
    ...listCases(k),
    ...watchCases(k),
    ...(k.id === 'ConfigMap' ? selectorCases(k) : []),
  ];
}

export { item };
