// Sandbox-only (SPEC §10): not yet ported (it starts sandboxes of its own); CRDs created at run time on kube-apiserver are covered by test/real/convergence.test.ts and test/real/examples.test.ts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOM_RESOURCE_DEFINITIONS } from '../../src/controllers/crd-watch.js';
import { type KubeObject, type ResourceType, resourceTypeId } from '../../src/core/types.js';
import { apiErrorFromResponse } from '../../src/kube/api-errors.js';
import { type DiscoveryChange, DiscoveryManager } from '../../src/kube/discovery.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/kube-client.js';
import { kubeListWatch } from '../../src/kube/list-watch.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { aSource } from '../helpers/builders.js';
import { Harness } from '../helpers/harness.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

let sandbox: Sandbox;
let client: KubeClient;
const counted: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  client = new KubeClient(kc, (verb, resource, code) => counted.push(`${verb} ${resource} ${code}`));
});
afterAll(async () => {
  client.close();
  await sandbox.stop();
});

const ids = (ts: ResourceType[]) => ts.map(resourceTypeId);

/** A deny function in the shape of resourceDenyReason: Pod always, Role unless named explicitly. */
const deny = (t: ResourceType, explicit: boolean): string | null => {
  if (t.group === '' && t.kind === 'Pod') return 'Pod is never mirrored';
  if (t.group === 'rbac.authorization.k8s.io' && t.kind === 'Role' && !explicit)
    return 'Role only when explicit';
  return null;
};

function crd(plural: string, kind: string, versions: string[] = ['v1'], group = 'disco.example.com') {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  };
}

const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

async function createCrd(body: ReturnType<typeof crd>, via: KubeClient = client): Promise<void> {
  await via.request({
    method: 'POST',
    path: crdPath,
    body,
    verb: 'create',
    resource: 'customresourcedefinitions',
  });
}

async function deleteCrd(name: string, via: KubeClient = client): Promise<void> {
  await via.request({
    method: 'DELETE',
    path: `${crdPath}/${name}`,
    verb: 'delete',
    resource: 'customresourcedefinitions',
  });
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DiscoveryManager against the sandbox', () => {
  it('finds the preferred version of namespaced, fully-verbed resources, minus what deny refuses', async () => {
    const d = new DiscoveryManager({ client, deny, intervalMs: 60_000 });
    const found = ids(await d.discover());
    expect(found).toContain('Secret.v1');
    expect(found).toContain('ConfigMap.v1');
    expect(found).not.toContain('Pod.v1');
    expect(found.some((id) => id.startsWith('Role.'))).toBe(false);
    // cluster-scoped and subresources never appear
    expect(found).not.toContain('Namespace.v1');
    expect(found.every((id) => !id.includes('/status'))).toBe(true);
    // without the deny function, Pod is there: it was the deny function that removed it
    const all = ids(await new DiscoveryManager({ client, intervalMs: 60_000 }).discover());
    expect(all).toContain('Pod.v1');
    expect(counted.filter((c) => c.startsWith('get discovery 200')).length).toBeGreaterThan(2);
  });

  it('picks the preferred version when a group serves several', async () => {
    await createCrd(crd('multis', 'Multi', ['v2', 'v1']));
    const found = await new DiscoveryManager({ client, intervalMs: 60_000 }).discover();
    const multi = found.filter((t) => t.kind === 'Multi');
    expect(multi).toHaveLength(1);
    expect(multi[0]).toMatchObject({ group: 'disco.example.com', plural: 'multis', namespaced: true });
    expect(multi[0]!.version).toBe('v2');
    await deleteCrd('multis.disco.example.com');
  });

  it('resolves an explicit list and reports each unknown or refused entry without failing the rest', async () => {
    const errors: string[] = [];
    const d = new DiscoveryManager({
      client,
      deny,
      intervalMs: 60_000,
      onError: (e) => errors.push((e as Error).message),
      explicit: [
        { kind: 'Secret', version: 'v1', group: '' },
        { kind: 'Role', version: 'v1', group: 'rbac.authorization.k8s.io' },
        { kind: 'Pod', version: 'v1', group: '' },
        { kind: 'Nope', version: 'v1', group: '' },
        { kind: 'Thing', version: 'v1', group: 'not.served.example.com' },
        { kind: 'Namespace', version: 'v1', group: '' },
      ],
    });
    await d.refresh();
    expect(ids(d.current())).toEqual(['Role.v1.rbac.authorization.k8s.io', 'Secret.v1']);
    const messages = d.lastReport().unresolved.map((u) => u.message);
    expect(messages).toHaveLength(4);
    expect(messages.find((m) => m.startsWith('Pod.v1'))).toContain('never mirrored');
    expect(messages.find((m) => m.startsWith('Nope.v1'))).toContain('no kind Nope');
    expect(messages.find((m) => m.startsWith('Thing.v1'))).toContain('not served');
    expect(messages.find((m) => m.startsWith('Namespace.v1'))).toContain('cluster-scoped');
    expect(errors.join('\n')).toContain('Nope.v1');
  });

  it('reports a CRD created later as added and a deleted one as removed on the next refresh', async () => {
    const changes: DiscoveryChange[] = [];
    const d = new DiscoveryManager({ client, deny, intervalMs: 50, onChange: (c) => changes.push(c) });
    const controller = new AbortController();
    d.start(controller.signal);
    try {
      await waitFor(() => changes.length === 1, 'the first discovery');
      expect(ids(changes[0]!.added)).toContain('Secret.v1');
      expect(changes[0]!.removed).toEqual([]);

      await createCrd(crd('gizmos', 'Gizmo'));
      await waitFor(
        () => changes.some((c) => ids(c.added).includes('Gizmo.v1.disco.example.com')),
        'Gizmo added',
      );
      expect(d.current().find((t) => t.kind === 'Gizmo')).toEqual({
        group: 'disco.example.com',
        version: 'v1',
        kind: 'Gizmo',
        plural: 'gizmos',
        namespaced: true,
      });

      await deleteCrd('gizmos.disco.example.com');
      await waitFor(
        () => changes.some((c) => ids(c.removed).includes('Gizmo.v1.disco.example.com')),
        'Gizmo removed',
      );
      expect(ids(d.current())).not.toContain('Gizmo.v1.disco.example.com');
      // only the CRD came and went: no other type flapped
      const flapped = changes.slice(1).flatMap((c) => [...ids(c.added), ...ids(c.removed)]);
      expect(new Set(flapped)).toEqual(new Set(['Gizmo.v1.disco.example.com']));
    } finally {
      controller.abort();
      await d.stop();
    }
  });

  it('refreshes at once when asked (refreshSoon), between long intervals, and reports what it saw served', async () => {
    const changes: DiscoveryChange[] = [];
    const d = new DiscoveryManager({ client, deny, intervalMs: 600_000, onChange: (c) => changes.push(c) });
    const controller = new AbortController();
    d.start(controller.signal);
    try {
      await waitFor(() => changes.length === 1, 'the first discovery');
      await createCrd(crd('doodads', 'Doodad'));
      // two callers at once share one refresh that started after both asked
      await Promise.all([d.refreshSoon(), d.refreshSoon()]);
      expect(ids(d.current())).toContain('Doodad.v1.disco.example.com');
      expect(d.lastReport().served).toContain('doodads.disco.example.com');
      expect(changes).toHaveLength(2);

      await deleteCrd('doodads.disco.example.com');
      await d.refreshSoon();
      expect(ids(d.current())).not.toContain('Doodad.v1.disco.example.com');
      expect(d.lastReport().served).not.toContain('doodads.disco.example.com');
    } finally {
      controller.abort();
      await d.stop();
    }
    // a stopped manager does not refresh, and says so by resolving at once
    await d.refreshSoon();
    expect(changes).toHaveLength(3);
  });

  it('keeps the last good set when discovery fails, and reports the failure', async () => {
    // Discovery endpoints are outside the sandbox's fault injection, so failures are injected in front of it.
    let failPrefix: string | null = null;
    const flaky = {
      request: <T>(req: Parameters<KubeClient['request']>[0]) =>
        failPrefix !== null && req.path.startsWith(failPrefix)
          ? Promise.reject(
              apiErrorFromResponse(503, { reason: 'ServiceUnavailable', code: 503 }, `GET ${req.path}`),
            )
          : client.request<T>(req),
    };
    const errors: unknown[] = [];
    const changes: DiscoveryChange[] = [];
    const d = new DiscoveryManager({
      client: flaky,
      intervalMs: 60_000,
      onError: (e) => errors.push(e),
      onChange: (c) => changes.push(c),
    });
    await createCrd(crd('sprockets', 'Sprocket'));
    await d.refresh();
    const before = ids(d.current());
    expect(before).toContain('ConfigMap.v1');
    expect(before).toContain('Sprocket.v1.disco.example.com');

    // one group version unreachable: its types are kept, not reported removed
    failPrefix = '/apis/disco.example.com/';
    expect(await d.refresh()).toEqual({ added: [], removed: [] });
    expect(ids(d.current())).toEqual(before);
    expect(String(errors.at(-1))).toContain('disco.example.com/v1');

    // the whole API unreachable: refresh rejects, the periodic loop reports, the set stays
    failPrefix = '/';
    await expect(d.refresh()).rejects.toThrow(/503/);
    d.configure({ intervalMs: 20 });
    const controller = new AbortController();
    const reported = errors.length;
    d.start(controller.signal);
    try {
      await waitFor(() => errors.length > reported + 1, 'errors reported by the periodic refresh');
    } finally {
      failPrefix = null;
      controller.abort();
      await d.stop();
    }
    expect(ids(d.current())).toEqual(before);
    expect(changes).toHaveLength(1);
    await deleteCrd('sprockets.disco.example.com');
  });
});

describe('a metadata-only list/watch of CRDs', () => {
  it('lists and watches CustomResourceDefinitions as PartialObjectMetadata: metadata, no spec or status', async () => {
    await createCrd(crd('listeds', 'Listed'));
    const lw = kubeListWatch<KubeObject>(client, CUSTOM_RESOURCE_DEFINITIONS, { metadataOnly: true });
    const page = await lw.list({});
    const listed = page.items.find((i) => i.metadata.name === 'listeds.disco.example.com');
    expect(listed).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' });
    expect(listed?.spec).toBeUndefined();
    expect(listed?.status).toBeUndefined();

    const events: Array<{ type: string; obj: KubeObject }> = [];
    const handle = await lw.watch(
      { resourceVersion: page.resourceVersion, allowWatchBookmarks: true },
      (type, obj) => events.push({ type, obj: obj as KubeObject }),
      () => {},
    );
    try {
      await createCrd(crd('watcheds', 'Watched'));
      await waitFor(
        () => events.some((e) => e.type === 'ADDED' && e.obj.metadata.name === 'watcheds.disco.example.com'),
        'the ADDED event of the new CRD',
      );
      const added = events.find((e) => e.obj.metadata.name === 'watcheds.disco.example.com')!.obj;
      expect(added).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' });
      expect(added.spec).toBeUndefined();
    } finally {
      handle.abort();
      await deleteCrd('listeds.disco.example.com');
      await deleteCrd('watcheds.disco.example.com');
    }
  });
});

describe('a CRD installed or removed while the controller runs', () => {
  let h: Harness;
  let admin: KubeClient;
  // far longer than the test: only the CRD watch can make the controller notice in time
  const LONG_INTERVAL = '--discovery-interval=10m';
  beforeAll(async () => {
    h = await Harness.start({ args: [LONG_INTERVAL] });
    const kc = new KubeConfig();
    kc.loadFromString(h.sandbox.kubeconfigYaml());
    admin = new KubeClient(kc);
  });
  afterAll(async () => {
    admin.close();
    await h.stop();
  });

  it('mirrors a source of a newly installed CRD within seconds, and stops watching it when the CRD goes', async () => {
    await h.kube.namespace('late-src');
    await h.kube.namespace('late-a');
    const typeId = 'Middleware.v1alpha1.traefik.example.io';
    expect(h.running!.controller.watches(typeId)).toBe(false);

    await createCrd(crd('middlewares', 'Middleware', ['v1alpha1'], 'traefik.example.io'), admin);
    const installedAt = Date.now();
    await h.kube.create(
      aSource()
        .ofKind('traefik.example.io/v1alpha1', 'Middleware', {
          spec: { stripPrefix: { prefixes: ['/api'] } },
        })
        .named('strip-api')
        .inNamespace('late-src')
        .withTargets('late-a')
        .build(),
    );
    await h.expectMirrorsIn('traefik.example.io/v1alpha1', 'Middleware', 'strip-api', ['late-a'], 5_000);
    expect(Date.now() - installedAt).toBeLessThan(5_000);

    await deleteCrd('middlewares.traefik.example.io', admin);
    const removedAt = Date.now();
    await waitUntil(
      'the controller to stop watching middlewares',
      () => h.running!.controller.watches(typeId),
      (watched) => !watched,
      { timeoutMs: 5_000 },
    );
    expect(Date.now() - removedAt).toBeLessThan(5_000);
    expect(
      h.logs.some((l) => l.includes('stopping watches for resource type') && l.includes('"middlewares"')),
    ).toBe(true);
  });
});

describe('an explicit --resource-types entry whose CRD is installed later', () => {
  it('is picked up within seconds, not at the next discovery refresh', async () => {
    const h = await Harness.start({
      args: ['--discovery-interval=10m', '--resource-types=ConfigMap.v1,Gadget.v1.deferred.example.io'],
    });
    const kc = new KubeConfig();
    kc.loadFromString(h.sandbox.kubeconfigYaml());
    const admin = new KubeClient(kc);
    try {
      await h.kube.namespace('deferred-src');
      await h.kube.namespace('deferred-a');
      expect(h.running!.controller.watches('Gadget.v1.deferred.example.io')).toBe(false);
      await createCrd(crd('gadgets', 'Gadget', ['v1'], 'deferred.example.io'), admin);
      const installedAt = Date.now();
      await h.kube.create(
        aSource()
          .ofKind('deferred.example.io/v1', 'Gadget', { spec: { size: 2 } })
          .named('g1')
          .inNamespace('deferred-src')
          .withTargets('deferred-a')
          .build(),
      );
      await h.expectMirrorsIn('deferred.example.io/v1', 'Gadget', 'g1', ['deferred-a'], 5_000);
      expect(Date.now() - installedAt).toBeLessThan(5_000);
    } finally {
      admin.close();
      await h.stop();
    }
  });
});

describe('loadKubeConfig', () => {
  it('takes the explicit path, then KUBECONFIG, then ~/.kube/config, and fails clearly with none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubemirror-kc-'));
    const file = join(dir, 'sandbox.kubeconfig');
    writeFileSync(file, sandbox.kubeconfigYaml());
    const emptyHome = join(dir, 'nohome');
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), sandbox.kubeconfigYaml());

    expect(loadKubeConfig({ path: file, env: {}, homeDir: emptyHome }).origin).toBe('flag');
    expect(
      loadKubeConfig({ env: { KUBECONFIG: `${join(dir, 'missing')}:${file}` }, homeDir: emptyHome }).origin,
    ).toBe('KUBECONFIG');
    expect(loadKubeConfig({ env: {}, homeDir: home }).origin).toBe('home');
    expect(() => loadKubeConfig({ env: {}, homeDir: emptyHome })).toThrow(/no kubeconfig/);
    expect(() => loadKubeConfig({ path: join(dir, 'missing'), env: {}, homeDir: emptyHome })).toThrow(
      /cannot load kubeconfig/,
    );

    // the loaded config really reaches the server
    const { kc } = loadKubeConfig({ path: file, env: {}, homeDir: emptyHome });
    const viaFile = new KubeClient(kc);
    expect(ids(await new DiscoveryManager({ client: viaFile, intervalMs: 60_000 }).discover())).toContain(
      'Secret.v1',
    );
    viaFile.close();
  });
});
