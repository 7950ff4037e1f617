// Sandbox-only (SPEC §10): counts requests per verb with the sandbox's request accounting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap, secret } from './scenarios.js';

/**
 * The behaviour table, continued: rows that depend on the controller's configuration (max-targets, resource
 * types, namespace policy, finalizers), on kinds and Secret types that are refused, on CRDs and on
 * transforms. One harness per set of flags; rows use their own namespaces so they can share it.
 */

const E = 'kubemirror.io/enabled';
const S = 'kubemirror.io/sync';
const T = 'kubemirror.io/target-namespaces';
const FROM = 'kubemirror.io/allow-mirrors-from';
const FINALIZER = 'kubemirror.io/finalizer';
const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];

async function namespaces(h: Harness, ...names: string[]): Promise<void> {
  for (const n of names) await h.kube.namespace(n);
}

/** A labelled, sync-annotated object of any kind (sources that are not Secrets or ConfigMaps). */
function labelled(
  apiVersion: string,
  kind: string,
  ns: string,
  name: string,
  annotations: Record<string, string>,
  body: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: ns, labels: { [E]: 'true' }, annotations: { [S]: 'true', ...annotations } },
    ...body,
  };
}

/** Every namespace that exists and is not terminating, sorted. */
async function liveNamespaces(h: Harness): Promise<string[]> {
  const all = await h.kube.list('v1', 'Namespace');
  return all
    .filter((n) => !n.metadata.deletionTimestamp && (n.status as { phase?: string })?.phase !== 'Terminating')
    .map((n) => n.metadata.name)
    .sort();
}

describe('controller with --max-targets 3', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--max-targets', '3'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('max-targets exceeded: nothing created; widening past it deletes nothing; narrowing back works', async () => {
    await namespaces(h, 'mt-src', 'mt-1', 'mt-2', 'mt-3', 'mt-4', 'mt-5');
    // a fresh source over the limit: refused as a whole, not one mirror written
    await h.kube.create(configMap('mt-src', 'wide', { [T]: 'mt-*' }));
    await h.expectStatus('v1', 'ConfigMap', 'mt-src', 'wide', (l) => l !== '');
    expect(
      (await h.kube.get('v1', 'ConfigMap', 'mt-src', 'wide'))?.metadata.annotations?.[
        'kubemirror.io/sync-status'
      ],
    ).toBe('Error: 5 targets exceed max-targets 3');
    expect([...(await h.mirrors('v1', 'ConfigMap', 'wide')).keys()]).toEqual([]);
    // KubeMirror's troubleshooting step `kubectl logs ... | grep "maximum targets"` finds the refusal
    expect(
      h.logs.some((l) => l.includes('maximum targets') && l.includes('5 targets exceed max-targets 3')),
    ).toBe(true);

    // existing mirrors survive a widening past the limit (a config error never deletes)
    await h.kube.create(configMap('mt-src', 'grow', { [T]: 'mt-1,mt-2,mt-3' }, { v: '1' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'grow', ['mt-1', 'mt-2', 'mt-3']);
    await h.expectStatus('v1', 'ConfigMap', 'mt-src', 'grow', (l) => l === 'Synced 3/3');
    await h.kube.mergePatch('v1', 'ConfigMap', 'mt-src', 'grow', {
      metadata: { annotations: { [T]: 'mt-*' } },
      data: { v: '2' },
    });
    await h.expectStatus(
      'v1',
      'ConfigMap',
      'mt-src',
      'grow',
      (l) => l === 'Error: 5 targets exceed max-targets 3',
    );
    const kept = await h.mirrors('v1', 'ConfigMap', 'grow');
    expect([...kept.keys()].sort()).toEqual(['mt-1', 'mt-2', 'mt-3']);
    // left untouched: not even updated with the new data
    for (const m of kept.values()) expect(m.data).toEqual({ v: '1' });

    // narrowing back under the limit resumes normal work, removing what is no longer wanted
    await h.kube.mergePatch('v1', 'ConfigMap', 'mt-src', 'grow', {
      metadata: { annotations: { [T]: 'mt-1,mt-2' } },
    });
    await h.expectMirrorsIn('v1', 'ConfigMap', 'grow', ['mt-1', 'mt-2']);
    await h.expectStatus('v1', 'ConfigMap', 'mt-src', 'grow', (l) => l === 'Synced 2/2');
    for (const m of (await h.mirrors('v1', 'ConfigMap', 'grow')).values()) expect(m.data).toEqual({ v: '2' });
  });
});

describe('controller with default flags: refused kinds and Secret types, namespace opt-in, CRDs, transforms', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('deny-listed kinds labelled for mirroring are refused with the reason in the status, no mirror', async () => {
    await namespaces(h, 'dk-src', 'dk-a');
    await h.kube.create(
      labelled(
        'v1',
        'Pod',
        'dk-src',
        'web',
        { [T]: 'dk-a' },
        {
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
      ),
    );
    await h.kube.create(labelled('v1', 'ServiceAccount', 'dk-src', 'robot', { [T]: 'dk-a' }));
    const pod = await h.expectStatus('v1', 'Pod', 'dk-src', 'web', (l) => l !== '');
    expect(pod).toMatch(/^Error: Pod is never mirrored/);
    const sa = await h.expectStatus('v1', 'ServiceAccount', 'dk-src', 'robot', (l) => l !== '');
    expect(sa).toMatch(/^Error: ServiceAccount is not mirrored unless listed in --resource-types/);
    expect(await h.kube.get('v1', 'Pod', 'dk-a', 'web')).toBeNull();
    expect(await h.kube.get('v1', 'ServiceAccount', 'dk-a', 'robot')).toBeNull();
    // refused sources never get our finalizer (nothing to clean up)
    expect((await h.kube.get('v1', 'Pod', 'dk-src', 'web'))?.metadata.finalizers ?? []).not.toContain(
      FINALIZER,
    );
  });

  it('Secrets of type service-account-token or helm.sh/release.v1 are never mirrored; status says why', async () => {
    await namespaces(h, 'st-src', 'st-a');
    await h.kube.create(
      secret(
        'st-src',
        'sa-token',
        { [T]: 'st-a', 'kubernetes.io/service-account.name': 'default' },
        {},
        {
          type: 'kubernetes.io/service-account-token',
        },
      ),
    );
    await h.kube.create(
      secret(
        'st-src',
        'sh.helm.release.v1.app.v1',
        { [T]: 'st-a' },
        { release: 'eA==' },
        {
          type: 'helm.sh/release.v1',
        },
      ),
    );
    const tok = await h.expectStatus('v1', 'Secret', 'st-src', 'sa-token', (l) => l !== '');
    expect(tok).toMatch(/^Error: Secret type kubernetes\.io\/service-account-token is never mirrored/);
    const helm = await h.expectStatus('v1', 'Secret', 'st-src', 'sh.helm.release.v1.app.v1', (l) => l !== '');
    expect(helm).toMatch(/^Error: Secret type helm\.sh\/release\.v1 is never mirrored/);
    expect(await h.kube.list('v1', 'Secret', 'st-a')).toEqual([]);
  });

  it('allow-mirrors-from on a target namespace: only the allowed source namespaces push there', async () => {
    await namespaces(h, 'af-team-1', 'af-other', 'af-open');
    await h.kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'af-guarded', annotations: { [FROM]: 'af-team-*' } },
    });
    await h.kube.create(configMap('af-team-1', 'ok', { [T]: 'af-guarded,af-open' }));
    await h.kube.create(configMap('af-other', 'nope', { [T]: 'af-guarded,af-open' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'ok', ['af-guarded', 'af-open']);
    await h.expectStatus('v1', 'ConfigMap', 'af-other', 'nope', (l) => l.startsWith('Synced'));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'nope', ['af-open']);

    // the namespace owner tightens the list later: mirrors from no-longer-allowed sources are removed
    await h.kube.mergePatch('v1', 'Namespace', '', 'af-open', {
      metadata: { annotations: { [FROM]: 'af-team-*' } },
    });
    await h.expectMirrorsIn('v1', 'ConfigMap', 'nope', []);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'ok', ['af-guarded', 'af-open']);
  });

  it('CRD installed after the controller started: its custom resource is mirrored (spec copied, status not)', async () => {
    await namespaces(h, 'crd-src', 'crd-a');
    await h.kube.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.mirror.example.com' },
      spec: {
        group: 'mirror.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            // client-node's typed serialiser knows the key by its model name only
            schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
          },
        ],
      },
    } as KubeObject);
    const installedAt = Date.now();
    await h.kube.create(
      labelled(
        'mirror.example.com/v1',
        'Widget',
        'crd-src',
        'gizmo',
        { [T]: 'crd-a' },
        {
          spec: { size: 3, colour: 'blue', parts: [{ name: 'cog' }] },
          status: { ready: true, observedGeneration: 1 },
        },
      ),
    );
    // the harness runs discovery every 1s: watch start + reconcile must follow within a few intervals
    const m = await waitFor(
      'the Widget mirrored into crd-a',
      () => h.kube.get('mirror.example.com/v1', 'Widget', 'crd-a', 'gizmo'),
      (o) => o !== null,
      { timeoutMs: 5_000 },
    );
    expect(Date.now() - installedAt).toBeLessThan(5_000);
    expect(m!.spec).toEqual({ size: 3, colour: 'blue', parts: [{ name: 'cog' }] });
    expect(m!.status).toBeUndefined();
    expect(m!.metadata.labels?.['kubemirror.io/mirror']).toBe('true');
    await h.expectStatus('mirror.example.com/v1', 'Widget', 'crd-src', 'gizmo', (l) => l === 'Synced 1/1');
  });

  it('transform with template, value, merge, delete and namespacePattern: each mirror holds its namespace’s values', async () => {
    await h.kube.namespace('tr-src');
    await h.kube.namespace('tr-dev', { env: 'dev' });
    await h.kube.namespace('tr-prod', { env: 'prod' });
    await h.kube.namespace('tr-qa', { env: 'qa' });
    const rules = [
      'rules:',
      '  - path: data.namespace',
      '    template: "{{TargetNamespace}}"',
      '  - path: data["env.name"]',
      '    template: "{{upper TargetLabels.env}}"',
      '  - path: data.LOG_LEVEL',
      '    value: debug',
      '    namespacePattern: "*-dev"',
      '  - path: metadata.labels',
      '    merge:',
      '      env: "{{TargetLabels.env}}"',
      '      from: "{{SourceNamespace}}"',
      '  - path: data.DEBUG',
      '    delete: true',
      '    namespacePattern: "tr-[pq]*"',
    ].join('\n');
    const source = { LOG_LEVEL: 'info', DEBUG: 'on', keep: 'x' };
    await h.kube.create(
      configMap(
        'tr-src',
        'settings',
        { [T]: 'tr-dev,tr-prod,tr-qa', 'kubemirror.io/transform': rules },
        source,
      ),
    );
    await h.expectStatus('v1', 'ConfigMap', 'tr-src', 'settings', (l) => l === 'Synced 3/3');
    const ms = await h.mirrors('v1', 'ConfigMap', 'settings');
    expect(ms.get('tr-dev')?.data).toEqual({
      namespace: 'tr-dev',
      'env.name': 'DEV',
      LOG_LEVEL: 'debug',
      DEBUG: 'on',
      keep: 'x',
    });
    expect(ms.get('tr-prod')?.data).toEqual({
      namespace: 'tr-prod',
      'env.name': 'PROD',
      LOG_LEVEL: 'info',
      keep: 'x',
    });
    expect(ms.get('tr-qa')?.data).toEqual({
      namespace: 'tr-qa',
      'env.name': 'QA',
      LOG_LEVEL: 'info',
      keep: 'x',
    });
    expect(ms.get('tr-prod')?.metadata.labels).toMatchObject({ env: 'prod', from: 'tr-src' });
    expect(ms.get('tr-dev')?.metadata.labels).toMatchObject({ env: 'dev', from: 'tr-src' });
    // the source itself is never transformed
    expect((await h.kube.get('v1', 'ConfigMap', 'tr-src', 'settings'))?.data).toEqual(source);

    // template data from the target namespace: relabelling it re-renders that namespace's mirror
    await h.kube.mergePatch('v1', 'Namespace', '', 'tr-qa', { metadata: { labels: { env: 'staging' } } });
    await waitFor(
      'tr-qa mirror re-rendered from its new label',
      () => h.kube.get('v1', 'ConfigMap', 'tr-qa', 'settings'),
      (o) =>
        (o?.data as Record<string, string>)?.['env.name'] === 'STAGING' &&
        o?.metadata.labels?.env === 'staging',
    );
    expect((await h.kube.get('v1', 'ConfigMap', 'tr-prod', 'settings'))?.data).toMatchObject({
      'env.name': 'PROD',
    });
  });

  it('strict transform failing for one namespace: that target fails (Partial naming it), the others sync', async () => {
    await namespaces(h, 'ts-src', 'ts-good', 'ts-bad');
    const rules = [
      'rules:',
      '  - path: data.where',
      '    template: "in {{TargetNamespace}}"',
      '  - path: data.k.below',
      '    value: impossible',
      '    namespacePattern: ts-bad',
    ].join('\n');
    await h.kube.create(
      configMap(
        'ts-src',
        'strict',
        { [T]: 'ts-good,ts-bad', 'kubemirror.io/transform': rules, 'kubemirror.io/transform-strict': 'true' },
        { k: 'v' },
      ),
    );
    const line = await h.expectStatus('v1', 'ConfigMap', 'ts-src', 'strict', (l) => l.startsWith('Partial'));
    expect(line).toMatch(/^Partial 1\/2: 1 error \(ts-bad: /);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'strict', ['ts-good']);
    expect((await h.kube.get('v1', 'ConfigMap', 'ts-good', 'strict'))?.data).toEqual({
      k: 'v',
      where: 'in ts-good',
    });
  });

  it('Secret transform writing data.x: the mirror holds it base64-encoded', async () => {
    await namespaces(h, 'sx-src', 'sx-a', 'sx-b');
    const rules = ['rules:', '  - path: data.x', '    template: "db.{{TargetNamespace}}.svc"'].join('\n');
    await h.kube.create(
      secret('sx-src', 'db', { [T]: 'sx-a,sx-b', 'kubemirror.io/transform': rules }, { user: 'YXBw' }),
    );
    await h.expectStatus('v1', 'Secret', 'sx-src', 'db', (l) => l === 'Synced 2/2');
    const ms = await h.mirrors('v1', 'Secret', 'db');
    for (const ns of ['sx-a', 'sx-b']) {
      const data = ms.get(ns)?.data as Record<string, string>;
      expect(data.user).toBe('YXBw');
      // compared as encoded text so no decoded Secret value is printed on failure
      expect(data.x).toBe(Buffer.from(`db.${ns}.svc`).toString('base64'));
    }
  });
});

describe('controller with --resource-types ServiceAccount.v1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--resource-types', 'ServiceAccount.v1'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a ServiceAccount named explicitly in --resource-types is mirrored', async () => {
    await namespaces(h, 'sa-src', 'sa-a');
    await h.kube.create(labelled('v1', 'ServiceAccount', 'sa-src', 'robot', { [T]: 'sa-a' }));
    await h.expectMirrorsIn('v1', 'ServiceAccount', 'robot', ['sa-a']);
    await h.expectStatus('v1', 'ServiceAccount', 'sa-src', 'robot', (l) => l === 'Synced 1/1');
  });
});

describe("controller with --excluded-namespaces 'x-*' --source-namespaces 'platform-*'", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--excluded-namespaces', 'x-*', '--source-namespaces', 'platform-*'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('excluded namespaces are never targets (all, globs, names); system namespaces only when named', async () => {
    await namespaces(h, 'platform-ex', 'ex-a', 'ex-b', 'x-ex-1');
    await h.kube.create(configMap('platform-ex', 'everywhere', { [T]: 'all' }));
    await h.kube.create(configMap('platform-ex', 'globbed', { [T]: 'ex-*,x-*,kube-*' }));
    await h.kube.create(configMap('platform-ex', 'named', { [T]: 'kube-system,x-ex-1,ex-a' }));
    const expected = (await liveNamespaces(h)).filter(
      (n) => !SYSTEM.includes(n) && !n.startsWith('x-') && n !== 'platform-ex',
    );
    expect(expected).toContain('default');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'everywhere', expected);
    await h.expectStatus(
      'v1',
      'ConfigMap',
      'platform-ex',
      'everywhere',
      (l) => l === `Synced ${expected.length}/${expected.length}`,
    );
    await h.expectMirrorsIn('v1', 'ConfigMap', 'globbed', ['ex-a', 'ex-b']);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'named', ['ex-a', 'kube-system']);
    await h.expectStatus('v1', 'ConfigMap', 'platform-ex', 'named', (l) => l === 'Synced 2/2');

    // a namespace created later: picked up by `all` unless excluded
    await namespaces(h, 'ex-later', 'x-later');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'everywhere', [...expected, 'ex-later']);
    await h.kube.delete('v1', 'ConfigMap', 'platform-ex', 'everywhere');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'everywhere', []);
  });

  it('--source-namespaces platform-*: a source elsewhere is refused with a clear status, nothing mirrored', async () => {
    await namespaces(h, 'platform-ok', 'elsewhere', 'sn-a');
    await h.kube.create(configMap('platform-ok', 'allowed', { [T]: 'sn-a' }));
    await h.kube.create(configMap('elsewhere', 'refused', { [T]: 'sn-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'allowed', ['sn-a']);
    const line = await h.expectStatus('v1', 'ConfigMap', 'elsewhere', 'refused', (l) => l !== '');
    expect(line).toBe(
      'Error: namespace elsewhere may not publish sources (controller source-namespaces: platform-*)',
    );
    expect([...(await h.mirrors('v1', 'ConfigMap', 'refused')).keys()]).toEqual([]);
    expect((await h.kube.get('v1', 'ConfigMap', 'elsewhere', 'refused'))?.metadata.finalizers ?? []).toEqual(
      [],
    );
  });

  it('terminating namespace is skipped: no mirror attempted there, status counts exclude it', async () => {
    await namespaces(h, 'platform-term', 'term-keep', 'term-dying');
    const before = await h.kube.create(configMap('platform-term', 'early', { [T]: 'all' }));
    expect(before.metadata.uid).toBeTruthy();
    await h.expectMirrorsIn(
      'v1',
      'ConfigMap',
      'early',
      (await liveNamespaces(h)).filter(
        (n) => !SYSTEM.includes(n) && !n.startsWith('x-') && n !== 'platform-term',
      ),
    );
    // an object holding a finalizer keeps the namespace Terminating
    await h.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'holder', namespace: 'term-dying', finalizers: ['example.com/hold'] },
      data: {},
    });
    await h.kube.delete('v1', 'Namespace', '', 'term-dying');
    await waitFor(
      'term-dying Terminating',
      () => h.kube.get('v1', 'Namespace', '', 'term-dying'),
      (n) => (n?.status as { phase?: string })?.phase === 'Terminating',
    );
    const expected = (await liveNamespaces(h)).filter(
      (n) => !SYSTEM.includes(n) && !n.startsWith('x-') && n !== 'platform-term',
    );
    expect(expected).not.toContain('term-dying');
    expect(expected).toContain('term-keep');
    const want = `Synced ${expected.length}/${expected.length}`;

    await h.kube.create(configMap('platform-term', 'late', { [T]: 'all' }));
    await h.expectStatus('v1', 'ConfigMap', 'platform-term', 'late', (l) => l === want);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'late', expected);
    // the source that had a mirror there before the namespace started terminating settles too
    await h.expectStatus('v1', 'ConfigMap', 'platform-term', 'early', (l) => l === want);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'early', expected);
    const attempted = h.logs.filter((l) => l.includes('term-dying') && l.includes('mirror write failed'));
    expect(attempted).toEqual([]);
  });
});

describe("controller with --included-namespaces 'in-*'", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--included-namespaces', 'in-*'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('included namespaces: all, globs and names reach only namespaces inside the list', async () => {
    await namespaces(h, 'inc-src', 'in-a', 'in-b', 'out-a', 'out-b');
    await h.kube.create(configMap('inc-src', 'everywhere', { [T]: 'all' }));
    await h.kube.create(configMap('inc-src', 'globbed', { [T]: '*-a' }));
    await h.kube.create(configMap('inc-src', 'named', { [T]: 'out-b,in-b,kube-system' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'everywhere', ['in-a', 'in-b']);
    await h.expectStatus('v1', 'ConfigMap', 'inc-src', 'everywhere', (l) => l === 'Synced 2/2');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'globbed', ['in-a']);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'named', ['in-b']);
    await h.expectStatus('v1', 'ConfigMap', 'inc-src', 'named', (l) => l === 'Synced 1/1');
    await namespaces(h, 'in-c', 'out-c');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'everywhere', ['in-a', 'in-b', 'in-c']);
  });
});

describe('controller restarts (default flags)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('source deleted while the controller was stopped: its mirrors are collected as orphans on start', async () => {
    await namespaces(h, 'or-src', 'or-a', 'or-b');
    await h.kube.create(configMap('or-src', 'gone', { [T]: 'or-a,or-b' }));
    await h.kube.create(configMap('or-src', 'stays', { [T]: 'or-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'gone', ['or-a', 'or-b']);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'stays', ['or-a']);
    await waitFor(
      'finalizer on the source',
      () => h.kube.get('v1', 'ConfigMap', 'or-src', 'gone'),
      (o) => (o?.metadata.finalizers ?? []).includes(FINALIZER),
    );
    await h.stopController();
    await h.kube.forceDelete('v1', 'ConfigMap', 'or-src', 'gone');
    expect(await h.kube.get('v1', 'ConfigMap', 'or-src', 'gone')).toBeNull();
    expect([...(await h.mirrors('v1', 'ConfigMap', 'gone')).keys()].sort()).toEqual(['or-a', 'or-b']);
    await h.startController();
    await h.expectMirrorsIn('v1', 'ConfigMap', 'gone', []);
    // only the orphans: the live source's mirror is kept
    await h.expectMirrorsIn('v1', 'ConfigMap', 'stays', ['or-a']);
  });

  it('controller restarted with everything in sync: zero writes to mirrors or sources', async () => {
    await h.kube.namespace('zw-src');
    await h.kube.namespace('zw-a', { env: 'a' });
    await h.kube.namespace('zw-b', { env: 'b' });
    await h.kube.namespace('zw-c', { env: 'c' });
    const transform = 'rules:\n  - path: data.env\n    template: "{{TargetLabels.env}}-{{TargetNamespace}}"';
    await h.kube.create(configMap('zw-src', 'plain', { [T]: 'zw-*' }));
    await h.kube.create(
      configMap('zw-src', 'shaped', { [T]: 'zw-a,zw-b', 'kubemirror.io/transform': transform }),
    );
    await h.kube.create(secret('zw-src', 'creds', { [T]: 'zw-*', 'kubemirror.io/transform': transform }));
    for (const [kind, name, n] of [
      ['ConfigMap', 'plain', 3],
      ['ConfigMap', 'shaped', 2],
      ['Secret', 'creds', 3],
    ] as const) {
      await h.expectStatus('v1', kind, 'zw-src', name, (l) => l === `Synced ${n}/${n}`);
    }
    const sources = h.running!.controller.status.snapshot().length;
    await h.stopController();
    h.sandbox.requests.reset();
    const running = await h.startController();
    await waitFor(
      'every source re-planned and every queue drained',
      async () => {
        const snap = running.controller.status.snapshot();
        const depth =
          (await running.metrics.registry.getSingleMetric('workqueue_depth')?.get())?.values ?? [];
        return { planned: snap.length, queued: depth.reduce((s, v) => s + v.value, 0) };
      },
      (s) => s.planned >= sources && s.queued === 0,
    );
    const counts = h.sandbox.requests.counts();
    const writes = Object.entries(counts).filter(([k]) =>
      /^(create|update|patch|delete|deletecollection) (configmaps|secrets)$/.test(k),
    );
    expect(writes).toEqual([]);
    // and it did come back: reads happened (lists + watches), so the zero above is not vacuous
    expect(counts['list configmaps'] ?? 0).toBeGreaterThan(0);
  });
});

describe('controller with --finalizers=false', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--finalizers=false'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('no finalizer is ever added, and deleting the source still removes its mirrors (after the fact)', async () => {
    await namespaces(h, 'nf-src', 'nf-a', 'nf-b');
    await h.kube.create(secret('nf-src', 'free', { [T]: 'nf-a,nf-b' }));
    await h.expectMirrorsIn('v1', 'Secret', 'free', ['nf-a', 'nf-b']);
    await h.expectStatus('v1', 'Secret', 'nf-src', 'free', (l) => l === 'Synced 2/2');
    expect((await h.kube.get('v1', 'Secret', 'nf-src', 'free'))?.metadata.finalizers ?? []).toEqual([]);
    await h.kube.delete('v1', 'Secret', 'nf-src', 'free');
    expect(await h.kube.get('v1', 'Secret', 'nf-src', 'free')).toBeNull(); // nothing held it
    await h.expectMirrorsIn('v1', 'Secret', 'free', []);
  });

  it('without finalizers, a source deleted while the controller was stopped loses its mirrors on start', async () => {
    await namespaces(h, 'nfs-src', 'nfs-a');
    await h.kube.create(configMap('nfs-src', 'later', { [T]: 'nfs-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'later', ['nfs-a']);
    await h.stopController();
    await h.kube.delete('v1', 'ConfigMap', 'nfs-src', 'later');
    await h.startController(['--finalizers=false']);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'later', []);
  });
});

describe('controller with --verify-source-freshness', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ args: ['--verify-source-freshness'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('reads the source from the API before fanning out, and mirrors the fresh content', async () => {
    await namespaces(h, 'vf-src', 'vf-a', 'vf-b');
    h.sandbox.requests.reset();
    await h.kube.create(configMap('vf-src', 'fresh', { [T]: 'vf-a,vf-b' }, { k: 'v1' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'fresh', ['vf-a', 'vf-b']);
    // so far the test's own client only created and listed: any GET of configmaps is a freshness read
    expect(h.sandbox.requests.counts()['get configmaps'] ?? 0).toBeGreaterThan(0);
    await h.expectStatus('v1', 'ConfigMap', 'vf-src', 'fresh', (l) => l === 'Synced 2/2');
    await h.kube.mergePatch('v1', 'ConfigMap', 'vf-src', 'fresh', { data: { k: 'v2' } });
    await waitFor(
      'both mirrors carry v2',
      async () =>
        [...(await h.mirrors('v1', 'ConfigMap', 'fresh')).values()].map(
          (m) => (m.data as Record<string, string>).k,
        ),
      (ks) => ks.length === 2 && ks.every((k) => k === 'v2'),
    );
  });
});
