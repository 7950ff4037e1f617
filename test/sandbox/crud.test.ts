import {
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Secret,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { rejection, waitFor } from './helpers.js';

let sandbox: Sandbox;
let core: CoreV1Api;
let objects: KubernetesObjectApi;
let custom: CustomObjectsApi;
let nsCounter = 0;

/** metadata of whatever KubernetesObjectApi returned */
const meta = (o: unknown) =>
  (o as { metadata: { generation?: number; uid?: string; namespace?: string } }).metadata;

async function freshNamespace(): Promise<string> {
  const name = `crud-${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

beforeAll(async () => {
  sandbox = await startSandbox({ historyWindow: 100 });
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  objects = KubernetesObjectApi.makeApiClient(kc);
});
afterAll(async () => {
  await sandbox.stop();
});

describe('objects and resourceVersion', () => {
  it('starts with default, kube-system, kube-public and kube-node-lease', async () => {
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
    );
  });

  it('sets uid, creationTimestamp and one global increasing resourceVersion across kinds', async () => {
    const ns = await freshNamespace();
    const a = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'a' } } });
    const b = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(typeof a.metadata?.resourceVersion).toBe('string');
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    const list = await core.listNamespacedSecret({ namespace: ns });
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(b.metadata?.resourceVersion),
    );
  });

  it('folds Secret stringData into base64 data and never stores stringData', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 's' }, stringData: { user: 'alice' }, data: { x: 'eA==' } },
    });
    const s = await core.readNamespacedSecret({ namespace: ns, name: 's' });
    expect(s.data).toEqual({ user: Buffer.from('alice').toString('base64'), x: 'eA==' });
    expect(s.stringData).toBeUndefined();
    expect(s.type).toBe('Opaque');
    const updated = await core.replaceNamespacedSecret({
      namespace: ns,
      name: 's',
      body: { ...s, stringData: { user: 'bob' } },
    });
    expect(updated.data?.user).toBe(Buffer.from('bob').toString('base64'));
    expect(updated.stringData).toBeUndefined();
  });

  it('answers 409 AlreadyExists, 404 NotFound and 422 Invalid with real Status bodies', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } });
    const exists = await rejection(
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } }),
    );
    expect(exists).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
      details: { name: 'dup', kind: 'configmaps' },
    });
    const missing = await rejection(core.readNamespacedSecret({ namespace: ns, name: 'nope' }));
    expect(missing).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'secrets "nope" not found',
      details: { name: 'nope', kind: 'secrets' },
    });
    const badName = await rejection(
      core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } }),
    );
    expect(badName).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { causes: [{ field: 'metadata.name' }] },
    });
    const noName = await rejection(core.createNamespacedSecret({ namespace: ns, body: { metadata: {} } }));
    expect(noName).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(noName.message).toContain('name or generateName is required');
    const noNs = await rejection(
      core.createNamespacedSecret({ namespace: 'does-not-exist', body: { metadata: { name: 'x' } } }),
    );
    expect(noNs).toMatchObject({
      code: 404,
      reason: 'NotFound',
      details: { name: 'does-not-exist', kind: 'namespaces' },
    });
  });

  it('rejects a PUT with a stale resourceVersion (409 Conflict) and accepts one without resourceVersion', async () => {
    const ns = await freshNamespace();
    const v1 = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'x' }, stringData: { a: '1' } },
    });
    const v2 = await core.replaceNamespacedSecret({
      namespace: ns,
      name: 'x',
      body: { ...v1, data: { a: 'Mg==' } },
    });
    const stale = await rejection(
      core.replaceNamespacedSecret({ namespace: ns, name: 'x', body: { ...v1, data: { a: 'Mw==' } } }),
    );
    expect(stale).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on secrets "x": the object has been modified; please apply your changes to the latest version and try again',
    });
    const body: V1Secret = { metadata: { name: 'x' }, data: { a: 'NA==' } };
    const unconditional = await core.replaceNamespacedSecret({ namespace: ns, name: 'x', body });
    expect(Number(unconditional.metadata?.resourceVersion)).toBeGreaterThan(
      Number(v2.metadata?.resourceVersion),
    );
    expect(unconditional.metadata?.uid).toBe(v1.metadata?.uid);
  });

  it('does not change resourceVersion for an update that changes nothing', async () => {
    const ns = await freshNamespace();
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'same', labels: { a: 'b' } }, data: { k: 'v' } },
    });
    const again = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'same', body: cm });
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it('keeps metadata.generation for custom resources and Deployments, absent for ConfigMap and Secret', async () => {
    const ns = await freshNamespace();
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'g' }, data: { a: '1' } },
    });
    expect(cm.metadata?.generation).toBeUndefined();
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1' }] },
        },
      },
    };
    const created = await objects.create(dep);
    expect(meta(created).generation).toBe(1);
    const labelled = await objects.patch(
      { ...dep, metadata: { ...dep.metadata, labels: { x: 'y' } } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(meta(labelled).generation).toBe(1);
    const scaled = await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: { replicas: 3 },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(meta(scaled).generation).toBe(2);
  });

  it('rejects data changes to immutable Secrets/ConfigMaps and a Secret type change with 422', async () => {
    const ns = await freshNamespace();
    const s = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'imm' }, immutable: true, data: { a: 'MQ==' } },
    });
    const dataChange = await rejection(
      core.replaceNamespacedSecret({ namespace: ns, name: 'imm', body: { ...s, data: { a: 'Mg==' } } }),
    );
    expect(dataChange).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(dataChange.message).toContain('field is immutable when `immutable` is set');
    const labelOnly = await core.replaceNamespacedSecret({
      namespace: ns,
      name: 'imm',
      body: { ...s, metadata: { ...s.metadata, labels: { ok: 'yes' } } },
    });
    expect(labelOnly.metadata?.labels).toEqual({ ok: 'yes' });
    const t = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'typed' }, type: 'Opaque' },
    });
    const typeChange = await rejection(
      core.replaceNamespacedSecret({
        namespace: ns,
        name: 'typed',
        body: { ...t, type: 'kubernetes.io/tls' },
      }),
    );
    expect(typeChange).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(typeChange.message).toContain('field is immutable');
    const cm = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'immcm' }, immutable: true, data: { a: '1' } },
    });
    expect(
      (
        await rejection(
          core.replaceNamespacedConfigMap({
            namespace: ns,
            name: 'immcm',
            body: { ...cm, data: { a: '2' } },
          }),
        )
      ).code,
    ).toBe(422);
  });

  it('assigns a Service clusterIP and keeps it when an update omits it', async () => {
    const ns = await freshNamespace();
    const svc = await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    const updated = await core.replaceNamespacedService({
      namespace: ns,
      name: 'svc',
      body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 81 }] } },
    });
    expect(updated.spec?.clusterIP).toBe(svc.spec?.clusterIP);
  });

  it('serves every built-in kind the controller meets', async () => {
    const ns = await freshNamespace();
    const kinds = [
      { apiVersion: 'v1', kind: 'ServiceAccount' },
      {
        apiVersion: 'v1',
        kind: 'Event',
        // an Event without eventTime names the namespace it is in (legacy event validation)
        involvedObject: { kind: 'Secret', name: 's', namespace: ns },
        reason: 'Test',
        message: 'm',
      },
      {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        eventTime: '2024-01-01T00:00:00.000000Z',
        reportingController: 'x',
        reportingInstance: 'y',
        action: 'A',
        reason: 'R',
        // events.k8s.io/v1 validation is strict: the type, and the namespace of what it is about
        type: 'Normal',
        regarding: { kind: 'Secret', name: 's', namespace: ns },
      },
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'me' } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', spec: { rules: [] } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', rules: [] },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      },
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c', image: 'i' }] } },
      { apiVersion: 'v1', kind: 'Endpoints' },
    ];
    for (const [i, k] of kinds.entries()) {
      const created = await objects.create({ ...k, metadata: { name: `obj-${i}`, namespace: ns } });
      expect(created.kind).toBe(k.kind);
      const read = await objects.read({
        apiVersion: k.apiVersion,
        kind: k.kind,
        metadata: { name: `obj-${i}`, namespace: ns },
      });
      expect(meta(read).uid).toBe(meta(created).uid);
    }
    for (const kind of ['ClusterRole', 'ClusterRoleBinding']) {
      const created = await objects.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata: { name: `cluster-${kind.toLowerCase()}` },
      });
      expect(meta(created).namespace).toBeUndefined();
    }
  });
});

describe('patches', () => {
  it('applies merge, JSON, strategic-merge and server-side apply patches', async () => {
    const ns = await freshNamespace();
    const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p', namespace: ns } };
    await objects.create({ ...base, data: { a: '1', b: '2' } });
    const merged = await objects.patch(
      { ...base, data: { a: null, c: '3' } } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect((merged as { data?: object }).data).toEqual({ b: '2', c: '3' });
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'p',
      body: [{ op: 'add', path: '/data/d', value: '4' }],
    });
    const afterJson = (await core.readNamespacedConfigMap({ namespace: ns, name: 'p' })).data;
    expect(afterJson).toEqual({ b: '2', c: '3', d: '4' });
    const failedTest = await rejection(
      core.patchNamespacedConfigMap({
        namespace: ns,
        name: 'p',
        body: [{ op: 'test', path: '/data/b', value: 'nope' }],
      }),
    );
    expect(failedTest.code).toBe(422);
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'smp', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            containers: [
              { name: 'a', image: 'a:1', env: [{ name: 'E1', value: '1' }] },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    };
    await objects.create(dep);
    const smp = await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'smp', namespace: ns },
        spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    const containers = (
      smp as unknown as { spec: { template: { spec: { containers: { name: string; image: string }[] } } } }
    ).spec.template.spec.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    const applied = await objects.patch(
      { ...base, data: { z: '26' } },
      undefined,
      undefined,
      'tester',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect((applied as { data?: Record<string, string> }).data?.z).toBe('26');
    const created = await objects.patch(
      { ...base, metadata: { name: 'ssa-new', namespace: ns }, data: { n: '1' } },
      undefined,
      undefined,
      'tester',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(meta(created).uid).toBeDefined();
  });

  it('treats a resourceVersion inside a patch as a precondition', async () => {
    const ns = await freshNamespace();
    const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'rv' } } });
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'rv',
      body: [{ op: 'add', path: '/data', value: { a: '1' } }],
    });
    const stale = await rejection(
      objects.patch(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'rv',
            namespace: ns,
            resourceVersion: cm.metadata?.resourceVersion,
            finalizers: ['x/y'],
          },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      ),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
  });
});

describe('finalizers and namespace termination', () => {
  it('marks an object with finalizers deleted and removes it when the last finalizer goes', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'f', finalizers: ['example.com/keep'] } },
    });
    const del = await fetch(`${sandbox.url}/api/v1/namespaces/${ns}/secrets/f`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await del.json()) as V1Secret).metadata?.deletionTimestamp).toBeDefined();
    const marked = await core.readNamespacedSecret({ namespace: ns, name: 'f' });
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
    const addMore = await rejection(
      core.replaceNamespacedSecret({
        namespace: ns,
        name: 'f',
        body: {
          ...marked,
          metadata: { ...marked.metadata, finalizers: ['example.com/keep', 'example.com/new'] },
        },
      }),
    );
    expect(addMore).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(addMore.message).toContain('no new finalizers can be added if the object is being deleted');
    await core.replaceNamespacedSecret({
      namespace: ns,
      name: 'f',
      body: { ...marked, metadata: { ...marked.metadata, finalizers: [] } },
    });
    expect((await rejection(core.readNamespacedSecret({ namespace: ns, name: 'f' }))).code).toBe(404);
  });

  it('deletes without finalizers at once and answers with a Success Status', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'gone' } } });
    const status = await core.deleteNamespacedConfigMap({ namespace: ns, name: 'gone' });
    expect(status).toMatchObject({ status: 'Success', details: { name: 'gone', kind: 'configmaps' } });
    expect((await rejection(core.readNamespacedConfigMap({ namespace: ns, name: 'gone' }))).code).toBe(404);
  });

  it('a Foreground delete answers with the object marked for deletion, then the garbage collector removes it', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'fg' } } });
    const res = await fetch(
      `${sandbox.url}/api/v1/namespaces/${ns}/configmaps/fg?propagationPolicy=Foreground`,
      {
        method: 'DELETE',
      },
    );
    expect(res.status).toBe(200);
    const marked = (await res.json()) as { metadata: { finalizers?: string[]; deletionTimestamp?: unknown } };
    expect(marked.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await waitFor(
      async () => (await rejection(core.readNamespacedConfigMap({ namespace: ns, name: 'fg' }))).code === 404,
    );
  });

  it('answers 202 Accepted when a delete with orphanDependents=false does not remove the object at once', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'acc', finalizers: ['example.com/hold'] } },
    });
    const res = await fetch(`${sandbox.url}/api/v1/namespaces/${ns}/configmaps/acc`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false }),
    });
    expect(res.status).toBe(202);
    const plain = await fetch(`${sandbox.url}/api/v1/namespaces/${ns}/configmaps/acc`, { method: 'DELETE' });
    expect(plain.status).toBe(200);
  });

  it('terminates a namespace: Terminating phase, 403 for new objects, contents deleted, then the namespace', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'plain' } } });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    const deleted = await core.deleteNamespace({ name: ns });
    expect(deleted).toBeDefined();
    const terminating = await core.readNamespace({ name: ns });
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    const refused = await rejection(
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } }),
    );
    expect(refused.code).toBe(403);
    expect(refused.reason).toBe('Forbidden');
    expect(refused.message).toContain(
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
    await waitFor(
      async () =>
        (await rejection(core.readNamespacedConfigMap({ namespace: ns, name: 'plain' }))).code === 404,
      5000,
      'plain deleted',
    );
    const held = await core.readNamespacedSecret({ namespace: ns, name: 'held' });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect((await core.readNamespace({ name: ns })).status?.phase).toBe('Terminating');
    await core.patchNamespacedSecret({
      namespace: ns,
      name: 'held',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await waitFor(
      async () => (await rejection(core.readNamespace({ name: ns }))).code === 404,
      5000,
      'namespace gone',
    );
  });
});

describe('custom resources', () => {
  const crd = (scope: 'Namespaced' | 'Cluster', plural: string, kind: string) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope,
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          // client-node's typed serialiser knows the key by its model name only
          schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          // client-node's typed serialiser knows the key by its model name only
          schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
        },
      ],
    },
  });

  it('serves a CRD (namespaced and cluster-scoped, every served version) and removes it with its objects', async () => {
    const ns = await freshNamespace();
    await objects.create(crd('Namespaced', 'widgets', 'Widget'));
    await objects.create(crd('Cluster', 'gadgets', 'Gadget'));
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfigYaml());
    const group = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(group.groups.map((g) => g.name)).toContain('example.com');
    const w = await objects.create({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
      spec: { size: 1 },
    });
    expect(meta(w).generation).toBe(1);
    const viaBeta = await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1beta1',
      namespace: ns,
      plural: 'widgets',
      name: 'w1',
    });
    expect((viaBeta as { apiVersion: string }).apiVersion).toBe('example.com/v1beta1');
    await objects.create({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' } });
    const gadgets = await custom.listClusterCustomObject({
      group: 'example.com',
      version: 'v1',
      plural: 'gadgets',
    });
    expect((gadgets as { items: unknown[] }).items).toHaveLength(1);
    const bumped = await custom.patchNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name: 'w1',
      body: [{ op: 'replace', path: '/spec/size', value: 2 }],
    });
    expect((bumped as { metadata: { generation: number } }).metadata.generation).toBe(2);
    const smp = await rejection(
      objects.patch(
        {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w1', namespace: ns },
          spec: { size: 3 },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.StrategicMergePatch,
      ),
    );
    expect(smp.code).toBe(415);
    await objects.delete({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
    });
    const gone = await rejection(
      custom.listNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
      }),
    );
    expect(gone.code).toBe(404);
    await objects.create(crd('Namespaced', 'widgets', 'Widget'));
    const fresh = await custom.listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
    });
    expect((fresh as { items: unknown[] }).items).toHaveLength(0);
  });

  it('rejects a CRD whose name is not plural.group', async () => {
    const bad = { ...crd('Namespaced', 'things', 'Thing'), metadata: { name: 'wrong.example.com' } };
    expect((await rejection(objects.create(bad))).code).toBe(422);
  });
});

describe('in-process control', () => {
  it('applyManifest creates, then updates with the same validation as HTTP', async () => {
    await sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'seeded' } });
    await sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'seeded' },
      data: { a: '1' },
    });
    await sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'seeded' },
      data: { a: '2' },
    });
    expect((await core.readNamespacedConfigMap({ namespace: 'seeded', name: 'c' })).data).toEqual({ a: '2' });
    await expect(
      sandbox.applyManifest({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'Bad_Name', namespace: 'seeded' },
      }),
    ).rejects.toMatchObject({ reason: 'Invalid' });
  });
});
