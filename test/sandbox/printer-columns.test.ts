import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl } from './helpers.js';

/**
 * A custom resource's Table, as apiextensions-apiserver serves it (pkg/apiserver/helpers.go getColumnsForVersion,
 * pkg/registry/customresource/tableconvertor/tableconvertor.go): Name, then the requested version's
 * additionalPrinterColumns evaluated with kube's JSONPath, or Name and Age when the version has none; and what the
 * real kubectl makes of it (priority 1 columns only with `-o wide`).
 */
let sandbox: Sandbox;
let kubectl: Kubectl;
const NS = 'printers';
const GROUP = 'printers.example.com';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

async function call(method: string, path: string, body?: unknown, accept = 'application/json') {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      Accept: accept,
      'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  return json;
}

interface Table {
  kind: string;
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: unknown[] }[];
}
const table = async (version: string, plural: string, name = '') =>
  (await call(
    'GET',
    `/apis/${GROUP}/${version}/namespaces/${NS}/${plural}${name}`,
    undefined,
    TABLE,
  )) as unknown as Table;
const cellsOf = (t: Table) => Object.fromEntries(t.rows.map((r) => [r.cells[0], r.cells]));

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000 - 30_000).toISOString();

/** one object of the Gadget kind: spec and status kept as given (preserve-unknown-fields, no /status) */
const gadget = (name: string, spec: object, status?: object) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Gadget',
  metadata: { name, namespace: NS },
  spec,
  ...(status ? { status } : {}),
});

const loose = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
const crd = (plural: string, kind: string, versions: object[]) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural, singular: kind.toLowerCase(), kind },
    versions,
  },
});
const READY = '.status.conditions[?(@.type=="Ready")].status';
const V1_COLUMNS = [
  { name: 'Ready', type: 'string', jsonPath: READY },
  { name: 'Replicas', type: 'integer', format: 'int32', jsonPath: '.spec.replicas' },
  { name: 'Since', type: 'date', description: 'When it began', jsonPath: '.spec.since' },
  { name: 'Score', type: 'number', jsonPath: '.spec.score' },
  { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
  { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
  { name: 'Owner', type: 'string', priority: 1, jsonPath: '.spec.owners[0].name' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

beforeAll(async () => {
  sandbox = await startSandbox();
  kubectl = new Kubectl();
  await sandbox.writeKubeconfig(kubectl.kubeconfig);
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await call(
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    crd('gadgets', 'Gadget', [
      { name: 'v1', served: true, storage: true, schema: loose, additionalPrinterColumns: V1_COLUMNS },
      {
        name: 'v2',
        served: true,
        storage: false,
        schema: loose,
        additionalPrinterColumns: [{ name: 'Phase', type: 'string', jsonPath: '.status.phase' }],
      },
    ]),
  );
  await call(
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    crd('plains', 'Plain', [{ name: 'v1', served: true, storage: true, schema: loose }]),
  );
  const gadgets = `/apis/${GROUP}/v1/namespaces/${NS}/gadgets`;
  await call(
    'POST',
    gadgets,
    gadget(
      'full',
      {
        replicas: 3,
        since: hoursAgo(50),
        score: 2.5,
        paused: true,
        tags: ['b', 'a'],
        owners: [{ name: 'team-a' }, { name: 'team-b' }],
      },
      {
        phase: 'Running',
        conditions: [
          { type: 'Synced', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
      },
    ),
  );
  await call('POST', gadgets, gadget('bare', {}));
  await call(
    'POST',
    gadgets,
    gadget(
      'odd',
      { replicas: 2.7, since: 'yesterday', score: 4, paused: 'yes', tags: { z: 1, a: '<' }, owners: [] },
      // a condition whose type is a number: the filter's comparison fails, so the whole cell is empty
      { conditions: [{ type: 5 }, { type: 'Ready', status: 'True' }] },
    ),
  );
  await call('POST', `/apis/${GROUP}/v1/namespaces/${NS}/plains`, {
    apiVersion: `${GROUP}/v1`,
    kind: 'Plain',
    metadata: { name: 'p1', namespace: NS },
  });
});
afterAll(async () => {
  await sandbox.stop();
  kubectl.cleanup();
});

describe('the Table of a custom resource with additionalPrinterColumns', () => {
  it('defines Name and then the version’s columns, with their type, format, description and priority', async () => {
    const t = await table('v1', 'gadgets');
    expect(t.kind).toBe('Table');
    const [name, ...rest] = t.columnDefinitions;
    expect(name).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(name!.description).toMatch(/^Name must be unique within a namespace\. Is required when creating/);
    expect(rest).toEqual([
      {
        name: 'Ready',
        type: 'string',
        format: '',
        description: `Custom resource definition column (in JSONPath format): ${READY}`,
        priority: 0,
      },
      {
        name: 'Replicas',
        type: 'integer',
        format: 'int32',
        description: 'Custom resource definition column (in JSONPath format): .spec.replicas',
        priority: 0,
      },
      { name: 'Since', type: 'date', format: '', description: 'When it began', priority: 0 },
      {
        name: 'Score',
        type: 'number',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.score',
        priority: 0,
      },
      {
        name: 'Paused',
        type: 'boolean',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.paused',
        priority: 0,
      },
      {
        name: 'Tags',
        type: 'string',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.tags',
        priority: 0,
      },
      {
        name: 'Owner',
        type: 'string',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .spec.owners[0].name',
        priority: 1,
      },
      // listed by the CRD: the server adds no Age of its own to a version that has columns
      {
        name: 'Age',
        type: 'date',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
        priority: 0,
      },
    ]);
  });

  it('fills cells from the JSONPaths: first value, typed by the column, null when missing', async () => {
    const rows = cellsOf(await table('v1', 'gadgets'));
    const age = expect.stringMatching(/^\d+s$/);
    // a date cell is the age of the timestamp (HumanDuration), a string cell prints a list as JSON
    expect(rows.full).toEqual(['full', 'True', 3, '2d2h', 2.5, true, '["b","a"]', 'team-a', age]);
    expect(rows.bare).toEqual(['bare', null, null, null, null, null, null, null, age]);
    // an integer column truncates a fraction, a value of the wrong JSON type is null, a map prints as Go's JSON
    expect(rows.odd).toEqual(['odd', null, 2, '<invalid>', 4, null, '{"a":"\\u003c","z":1}', null, age]);
  });

  it('answers a get of one object with the same columns', async () => {
    const t = await table('v1', 'gadgets', '/full');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Replicas',
      'Since',
      'Score',
      'Paused',
      'Tags',
      'Owner',
      'Age',
    ]);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]!.cells.slice(0, 3)).toEqual(['full', 'True', 3]);
  });

  it('writes a row without its object as `object: null` when includeObject=None, as kube-apiserver does', async () => {
    const t = (await call(
      'GET',
      `/apis/${GROUP}/v1/namespaces/${NS}/gadgets?includeObject=None`,
      undefined,
      TABLE,
    )) as unknown as Table & { rows: { object?: unknown }[] };
    expect(t.rows).toHaveLength(3);
    for (const row of t.rows) expect(row).toHaveProperty('object', null);
    const withMetadata = (await table('v1', 'gadgets', '/full')) as Table & { rows: { object?: unknown }[] };
    expect(withMetadata.rows[0]!.object).toMatchObject({ kind: 'PartialObjectMetadata' });
  });

  it('says how many items a page of a Table leaves, as the list would (ListMeta copied)', async () => {
    const first = (await call(
      'GET',
      `/apis/${GROUP}/v1/namespaces/${NS}/gadgets?limit=2`,
      undefined,
      TABLE,
    )) as unknown as Table & { metadata: { continue?: string; remainingItemCount?: number } };
    expect(first.rows).toHaveLength(2);
    expect(first.metadata.remainingItemCount).toBe(1);
    expect(first.metadata.continue).toBeTruthy();
  });

  it('serves the columns of the version asked for', async () => {
    const t = await table('v2', 'gadgets');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Phase']);
    expect(cellsOf(t).full).toEqual(['full', 'Running']);
    expect(cellsOf(t).bare).toEqual(['bare', null]);
  });

  it('shows Name and Age (a date of the creation timestamp) for a version without columns', async () => {
    const t = (await call(
      'GET',
      `/apis/${GROUP}/v1/namespaces/${NS}/plains`,
      undefined,
      TABLE,
    )) as unknown as Table;
    expect(
      t.columnDefinitions.map(({ name, type, format, priority }) => ({ name, type, format, priority })),
    ).toEqual([
      { name: 'Name', type: 'string', format: 'name', priority: 0 },
      { name: 'Age', type: 'date', format: '', priority: 0 },
    ]);
    expect(t.columnDefinitions[1]!.description).toMatch(/^CreationTimestamp is a timestamp representing/);
    expect(t.rows[0]!.cells).toEqual(['p1', expect.stringMatching(/^\d+s$/)]);
  });
});

/** kubectl's table: the header's words, and each row's cells cut at the header's columns (a null cell is blank) */
function parseTable(out: string): { header: string[]; rows: Record<string, string[]> } {
  const [head = '', ...lines] = out.split('\n').filter((l) => l.trim() !== '');
  const words = [...head.matchAll(/\S+/g)];
  const starts = words.map((m) => m.index);
  const cut = (l: string) => starts.map((s, i) => l.slice(s, starts[i + 1]).trim());
  return { header: words.map((m) => m[0]), rows: Object.fromEntries(lines.map((l) => [cut(l)[0], cut(l)])) };
}

describe('kubectl get on a custom resource with printer columns', () => {
  const AGE = expect.stringMatching(/^\d+s$/);

  it('shows the priority 0 columns, and the priority 1 ones with -o wide', async () => {
    const plain = parseTable(await kubectl.ok(['get', 'gadgets', '-n', NS]));
    expect(plain.header).toEqual(['NAME', 'READY', 'REPLICAS', 'SINCE', 'SCORE', 'PAUSED', 'TAGS', 'AGE']);
    expect(plain.rows.full).toEqual(['full', 'True', '3', '2d2h', '2.5', 'true', '["b","a"]', AGE]);
    // kubectl leaves a null cell blank
    expect(plain.rows.bare).toEqual(['bare', '', '', '', '', '', '', AGE]);
    expect(plain.rows.odd).toEqual(['odd', '', '2', '<invalid>', '4', '', '{"a":"\\u003c","z":1}', AGE]);

    const wide = parseTable(await kubectl.ok(['get', 'gadgets', '-n', NS, '-o', 'wide']));
    expect(wide.header).toEqual([
      'NAME',
      'READY',
      'REPLICAS',
      'SINCE',
      'SCORE',
      'PAUSED',
      'TAGS',
      'OWNER',
      'AGE',
    ]);
    expect(wide.rows.full?.[7]).toBe('team-a');
    expect(wide.rows.bare?.[7]).toBe('');
  });

  it('asks for the version named, and shows its columns', async () => {
    const v2 = parseTable(await kubectl.ok(['get', `gadgets.v2.${GROUP}`, '-n', NS]));
    expect(v2.header).toEqual(['NAME', 'PHASE']);
    expect(v2.rows.full).toEqual(['full', 'Running']);
    expect(v2.rows.bare).toEqual(['bare', '']);
  });

  it('shows Name and Age for a kind whose CRD lists no columns', async () => {
    const plain = parseTable(await kubectl.ok(['get', 'plains', '-n', NS]));
    expect(plain.header).toEqual(['NAME', 'AGE']);
    expect(plain.rows.p1).toEqual(['p1', AGE]);
  });

  it('shows the MirrorPolicy columns of the chart’s CRD', async () => {
    const crdFile = new URL(
      '../../charts/kubemirror/crds/mirrorpolicies.kubemirror.io.yaml',
      import.meta.url,
    );
    await call(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      parse(readFileSync(crdFile, 'utf8')),
    );
    const policies = `/apis/kubemirror.io/v1alpha1/namespaces/${NS}/mirrorpolicies`;
    await call('POST', policies, {
      apiVersion: 'kubemirror.io/v1alpha1',
      kind: 'MirrorPolicy',
      metadata: { name: 'creds', namespace: NS },
      spec: { resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['db'] }], targetNamespaces: ['app-*'] },
    });
    await call('PATCH', `${policies}/creds/status`, {
      status: {
        sources: 1,
        targets: 5,
        synced: 4,
        coverage: 80,
        level: 'Partial',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'Partial',
            message: '4 of 5 targets synced',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    });
    await call('POST', policies, {
      apiVersion: 'kubemirror.io/v1alpha1',
      kind: 'MirrorPolicy',
      metadata: { name: 'fresh', namespace: NS },
      spec: {
        resources: [{ apiVersion: 'v1', kind: 'ConfigMap', names: ['cfg'] }],
        targetNamespaces: ['all'],
      },
    });

    const plain = parseTable(await kubectl.ok(['get', 'mirrorpolicies', '-n', NS]));
    expect(plain.header).toEqual(['NAME', 'SOURCES', 'TARGETS', 'SYNCED', 'COVERAGE', 'LEVEL', 'AGE']);
    expect(plain.rows.creds).toEqual(['creds', '1', '5', '4', '80', 'Partial', AGE]);
    expect(plain.rows.fresh).toEqual(['fresh', '', '', '', '', '', AGE]);

    const wide = parseTable(await kubectl.ok(['get', 'mirpol', '-n', NS, '-o', 'wide']));
    expect(wide.header).toEqual([
      'NAME',
      'SOURCES',
      'TARGETS',
      'SYNCED',
      'COVERAGE',
      'LEVEL',
      'AGE',
      'READY',
      'MESSAGE',
    ]);
    expect(wide.rows.creds?.slice(7)).toEqual(['False', '4 of 5 targets synced']);
    expect(wide.rows.fresh?.slice(7)).toEqual(['', '']);
  });
});
