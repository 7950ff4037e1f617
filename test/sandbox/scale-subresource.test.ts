import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl } from './helpers.js';

// The /scale subresource (pkg/registry/apps/deployment/storage ScaleREST) and the Job strategy's generated
// selector, as kube-apiserver v1.37 answers them (test/fidelity compares both servers on the same requests).

let sandbox: Sandbox;
let nsCounter = 0;

// biome-ignore lint/suspicious/noExplicitAny: raw JSON answers
type Json = any;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function freshNamespace(): Promise<string> {
  const name = `scale-${++nsCounter}`;
  expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);
  return name;
}

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: {
      matchLabels: { app: name },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }],
    },
    template: {
      metadata: { labels: { app: name, tier: 'web' } },
      spec: { containers: [{ name: 'c', image: 'i:1' }] },
    },
  },
});

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.stop();
});

describe('/scale', () => {
  it('is an autoscaling/v1 Scale of the replicas, with the selector as a string, listed in discovery', async () => {
    const ns = await freshNamespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const created = await call('POST', path, deployment('d'));
    expect(created.status).toBe(201);
    const scale = await call('GET', `${path}/d/scale`);
    expect(scale.body).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'd',
        namespace: ns,
        uid: created.body.metadata.uid,
        resourceVersion: created.body.metadata.resourceVersion,
        creationTimestamp: created.body.metadata.creationTimestamp,
      },
      spec: { replicas: 1 },
      status: { replicas: 0, selector: 'app=d,tier in (api,web)' },
    });
    const discovery = await call('GET', '/apis/apps/v1');
    expect(discovery.body.resources.find((r: Json) => r.name === 'deployments/scale')).toMatchObject({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    expect((await call('GET', `${path}/missing/scale`)).status).toBe(404);
  });

  it('a write changes the replicas through the object: generation, and spec.replicas owned with subresource scale', async () => {
    const ns = await freshNamespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    await call('POST', `${path}?fieldManager=creator`, deployment('d'));
    const patched = await call(
      'PATCH',
      `${path}/d/scale?fieldManager=scaler`,
      { spec: { replicas: 4 } },
      'application/merge-patch+json',
    );
    expect([patched.status, patched.body.kind, patched.body.spec]).toEqual([200, 'Scale', { replicas: 4 }]);
    const d = (await call('GET', `${path}/d`)).body;
    expect([d.spec.replicas, d.metadata.generation]).toEqual([4, 2]);
    const scaler = d.metadata.managedFields.find((e: Json) => e.manager === 'scaler');
    // the real server's entry carries no time (lost converting the Scale's entries back)
    expect(scaler).toEqual({
      manager: 'scaler',
      operation: 'Update',
      apiVersion: 'apps/v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      subresource: 'scale',
    });
    const creator = d.metadata.managedFields.find((e: Json) => e.manager === 'creator');
    expect(creator.fieldsV1['f:spec']['f:replicas']).toBeUndefined();
  });

  it('refuses negative replicas (422 on the Scale) and a stale resourceVersion (409 on the object)', async () => {
    const ns = await freshNamespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    await call('POST', path, deployment('d'));
    const scale = (rv?: string, replicas = 2) => ({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'd', namespace: ns, ...(rv ? { resourceVersion: rv } : {}) },
      spec: { replicas },
    });
    const negative = await call('PUT', `${path}/d/scale`, scale(undefined, -1));
    expect([negative.status, negative.body.message]).toEqual([
      422,
      'Scale.autoscaling "d" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const stale = await call('PUT', `${path}/d/scale`, scale('1'));
    expect([stale.status, stale.body.reason, stale.body.details]).toEqual([
      409,
      'Conflict',
      { name: 'd', group: 'apps', kind: 'deployments' },
    ]);
    expect((await call('GET', `${path}/d`)).body.spec.replicas).toBe(1);
  });

  it('kubectl scale works', async () => {
    const ns = await freshNamespace();
    await call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('d'));
    const kubectl = new Kubectl();
    try {
      await sandbox.writeKubeconfig(kubectl.kubeconfig);
      expect(await kubectl.ok(['scale', 'deployment', 'd', '-n', ns, '--replicas=3'])).toBe(
        'deployment.apps/d scaled\n',
      );
    } finally {
      kubectl.cleanup();
    }
    expect((await call('GET', `/apis/apps/v1/namespaces/${ns}/deployments/d`)).body.spec.replicas).toBe(3);
  });
});

describe('Job', () => {
  it('gets a selector on its uid and the job-name / controller-uid labels, which its own labels default to', async () => {
    const ns = await freshNamespace();
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i:1' }] } } },
    };
    const created = await call('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
    expect(created.status).toBe(201);
    const uid = created.body.metadata.uid;
    const labels = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'j',
      'controller-uid': uid,
      'job-name': 'j',
    };
    expect(created.body.spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': uid },
    });
    expect(created.body.spec.manualSelector).toBe(false);
    expect(created.body.spec.template.metadata.labels).toEqual(labels);
    expect(created.body.metadata.labels).toEqual(labels);
    // generated after the field manager ran: nobody owns them
    expect(created.body.metadata.managedFields[0].fieldsV1['f:spec']['f:selector']).toBeUndefined();
  });
});
