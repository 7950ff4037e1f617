import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl } from './helpers.js';

/**
 * What the sandbox turns a write into, seen over HTTP as a client sees it: defaulting of built-ins
 * (defaulting/*.ts), CRD structural schemas (crd-schema.ts: pruning, `default:`, 422 validation,
 * fieldValidation), and the /status subresource split (each registry's strategy PrepareForUpdate).
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read deep into plain JSON
type J = any;

let sandbox: Sandbox;
const kubectl = new Kubectl();

beforeAll(async () => {
  sandbox = await startSandbox();
  writeFileSync(kubectl.kubeconfig, sandbox.kubeconfigYaml());
});

afterAll(async () => {
  kubectl.cleanup();
  await sandbox.stop();
});

async function http(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ code: number; body: J; warnings: string | null }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    code: res.status,
    body: text ? JSON.parse(text) : undefined,
    warnings: res.headers.get('warning'),
  };
}

const getJson = async (args: string[]): Promise<J> => JSON.parse(await kubectl.ok([...args, '-o', 'json']));

describe('built-in defaulting, seen through kubectl', () => {
  it('a Deployment with only a selector and a template comes back with every field a real server defaults', async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
`;
    await kubectl.ok(['apply', '-f', '-'], manifest);
    const d = await getJson(['get', 'deployment', 'web']);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    const pod = d.spec.template.spec;
    expect(pod.restartPolicy).toBe('Always');
    expect(pod.dnsPolicy).toBe('ClusterFirst');
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    expect(pod.containers[0].ports[0].protocol).toBe('TCP');
    expect(pod.containers[0].terminationMessagePath).toBe('/dev/termination-log');
    // re-applying the same manifest is a no-op: defaulting is idempotent
    const again = await kubectl.ok(['apply', '-f', '-'], manifest);
    expect(again).toMatch(/unchanged/);
  });

  it('a Service gets protocol, targetPort, sessionAffinity, ipFamilies, ipFamilyPolicy and internalTrafficPolicy', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: default}\nspec:\n  selector: {app: api}\n  ports: [{port: 80}]\n',
    );
    const s = await getJson(['get', 'service', 'api']);
    expect(s.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });
    expect(s.spec.sessionAffinity).toBe('None');
    expect(s.spec.ipFamilies).toEqual(['IPv4']);
    expect(s.spec.ipFamilyPolicy).toBe('SingleStack');
    expect(s.spec.internalTrafficPolicy).toBe('Cluster');
    expect(s.spec.clusterIP).toMatch(/^10\.96\./);
    expect(s.status).toEqual({ loadBalancer: {} });
  });
});

describe('status subresource', () => {
  it('a main-resource write keeps the stored status; a /status write changes only status', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      // load balancer ingress is only valid on a LoadBalancer service (ValidateServiceStatusUpdate)
      'apiVersion: v1\nkind: Service\nmetadata: {name: lb, namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{port: 81}]\n',
    );
    const base = '/api/v1/namespaces/default/services/lb';
    const ingress = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    const viaStatus = await http(
      'PATCH',
      `${base}/status`,
      {
        status: ingress,
        spec: { sessionAffinity: 'ClientIP' },
        metadata: { labels: { sneaky: 'yes' } },
      },
      'application/merge-patch+json',
    );
    expect(viaStatus.code).toBe(200);
    expect(viaStatus.body.status).toEqual(ingress);
    expect(viaStatus.body.spec.sessionAffinity).toBe('None');
    // the service status strategy resets only the spec: metadata sent to /status is kept, as on kube-apiserver
    expect(viaStatus.body.metadata.labels?.sneaky).toBe('yes');
    const viaMain = await http(
      'PATCH',
      base,
      { status: { loadBalancer: {} }, metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(viaMain.code).toBe(200);
    expect(viaMain.body.status).toEqual(ingress);
    expect(viaMain.body.metadata.labels).toEqual({ a: 'b', sneaky: 'yes' });
  });

  it('kinds without a /status subresource answer 404 there, and discovery lists the ones that have it', async () => {
    await http('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'nostatus' } });
    const r = await http('GET', '/api/v1/namespaces/default/configmaps/nostatus/status');
    expect(r.code).toBe(404);
    const list = await http('GET', '/apis/apps/v1');
    const names = (list.body.resources as { name: string }[]).map((x) => x.name);
    expect(names).toContain('deployments/status');
    expect(names).not.toContain('controllerrevisions/status');
    // kubectl drives the subresource itself
    const out = await kubectl.ok([
      'get',
      'service',
      'lb',
      '--subresource=status',
      '-o',
      'jsonpath={.status.loadBalancer.ingress[0].ip}',
    ]);
    expect(out).toBe('192.0.2.1');
  });
});

describe('CRD structural schemas', () => {
  const crd = (name: string, withStatus: boolean) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${name}s.schema.example.com}
spec:
  group: schema.example.com
  scope: Namespaced
  names: {plural: ${name}s, singular: ${name}, kind: ${name[0]!.toUpperCase()}${name.slice(1)}}
  versions:
  - name: v1
    served: true
    storage: true
    ${withStatus ? 'subresources: {status: {}}' : ''}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              colour: {type: string, enum: [red, blue], default: blue}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status:
            type: object
            properties:
              ready: {type: boolean}
`;

  beforeAll(async () => {
    await kubectl.ok(['apply', '-f', '-'], `${crd('widget', true)}---\n${crd('plain', false)}`);
  });

  it('a v1 CRD without a schema is refused with the real field path', async () => {
    const r = await kubectl.run(
      ['apply', '-f', '-'],
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: bares.schema.example.com}\nspec:\n  group: schema.example.com\n  scope: Namespaced\n  names: {plural: bares, kind: Bare}\n  versions: [{name: v1, served: true, storage: true}]\n',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /spec\.versions\[0\]\.schema\.openAPIV3Schema: Required value: schemas are required/,
    );
  });

  it('prunes unknown fields (with a warning), keeps preserved ones, applies defaults', async () => {
    const r = await http('POST', '/apis/schema.example.com/v1/namespaces/default/widgets', {
      apiVersion: 'schema.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 2, bogus: 1, extra: { anything: { goes: true } } },
      top: 'level',
    });
    expect(r.code).toBe(201);
    expect(r.body.spec).toEqual({ size: 2, colour: 'blue', extra: { anything: { goes: true } } });
    expect(r.body.top).toBeUndefined();
    expect(r.warnings).toMatch(/unknown field \\"spec\.bogus\\"/);
    expect(r.warnings).toMatch(/unknown field \\"top\\"/);
  });

  it('fieldValidation=Strict (what kubectl sends) refuses unknown fields with 400 and stores nothing', async () => {
    const r = await kubectl.run(
      ['apply', '-f', '-'],
      'apiVersion: schema.example.com/v1\nkind: Widget\nmetadata: {name: strict, namespace: default}\nspec: {size: 1, bogus: 1}\n',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/strict decoding error: unknown field "spec\.bogus"/);
    const gone = await http('GET', '/apis/schema.example.com/v1/namespaces/default/widgets/strict');
    expect(gone.code).toBe(404);
    const bad = await http(
      'POST',
      '/apis/schema.example.com/v1/namespaces/default/widgets?fieldValidation=Loud',
      {
        apiVersion: 'schema.example.com/v1',
        kind: 'Widget',
        metadata: { name: 'x' },
        spec: { size: 1 },
      },
    );
    expect(bad.code).toBe(422);
    expect(bad.body.message).toMatch(/fieldValidation: Unsupported value: "Loud"/);
  });

  it('refuses values the schema does not allow with 422 and every field path', async () => {
    const r = await kubectl.run(
      ['apply', '-f', '-'],
      'apiVersion: schema.example.com/v1\nkind: Widget\nmetadata: {name: bad, namespace: default}\nspec: {size: 11, colour: green}\n',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /spec\.size: Invalid value: 11: spec\.size in body should be less than or equal to 10/,
    );
    expect(r.stderr).toMatch(/spec\.colour: Unsupported value: "green": supported values: "red", "blue"/);
    const missing = await http('POST', '/apis/schema.example.com/v1/namespaces/default/widgets', {
      apiVersion: 'schema.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'nosize' },
      spec: {},
    });
    expect(missing.code).toBe(422);
    expect(missing.body.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.size', reason: 'FieldValueRequired' }),
    );
  });

  it('with a status subresource: create drops status, main writes keep it, /status writes change only it, generation follows spec', async () => {
    const base = '/apis/schema.example.com/v1/namespaces/default/widgets';
    const created = await http('POST', base, {
      apiVersion: 'schema.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'st' },
      spec: { size: 1 },
      status: { ready: true },
    });
    expect(created.body.status).toBeUndefined();
    const st = await http(
      'PATCH',
      `${base}/st/status`,
      { status: { ready: true }, spec: { size: 9 } },
      'application/merge-patch+json',
    );
    expect(st.body.status).toEqual({ ready: true });
    expect(st.body.spec.size).toBe(1);
    expect(st.body.metadata.generation).toBe(1);
    const main = await http(
      'PATCH',
      `${base}/st`,
      { status: { ready: false }, spec: { size: 3 } },
      'application/merge-patch+json',
    );
    expect(main.body.status).toEqual({ ready: true });
    expect(main.body.spec.size).toBe(3);
    expect(main.body.metadata.generation).toBe(2);
  });

  it('without a status subresource status is an ordinary field and its change bumps the generation', async () => {
    const base = '/apis/schema.example.com/v1/namespaces/default/plains';
    const created = await http('POST', base, {
      apiVersion: 'schema.example.com/v1',
      kind: 'Plain',
      metadata: { name: 'p' },
      spec: { size: 1 },
      status: { ready: true },
    });
    expect(created.body.status).toEqual({ ready: true });
    const changed = await http(
      'PATCH',
      `${base}/p`,
      { status: { ready: false } },
      'application/merge-patch+json',
    );
    expect(changed.body.status).toEqual({ ready: false });
    expect(changed.body.metadata.generation).toBe(2);
    expect((await http('GET', `${base}/p/status`)).code).toBe(404);
  });
});

describe('managedFields', () => {
  it('records each writer as the real server does: kubectl create, then kubectl label by another manager', async () => {
    await kubectl.ok(['create', 'configmap', 'owned', '--from-literal=k=v']);
    await kubectl.ok(['label', 'configmap', 'owned', 'team=a']);
    const cm = await getJson(['get', 'configmap', 'owned', '--show-managed-fields']);
    const entries = cm.metadata.managedFields as J[];
    const create = entries.find((e) => e.manager === 'kubectl-create');
    const label = entries.find((e) => e.manager === 'kubectl-label');
    expect(create).toMatchObject({ operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' });
    expect(create.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:k': {} } });
    expect(label.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } } });
    // a write that changes nothing leaves them (and the resourceVersion) alone
    const before = cm.metadata.resourceVersion;
    await kubectl.ok(['label', 'configmap', 'owned', '--overwrite', 'team=a']);
    const again = await getJson(['get', 'configmap', 'owned', '--show-managed-fields']);
    expect(again.metadata.resourceVersion).toBe(before);
    expect(again.metadata.managedFields).toEqual(entries);
  });
});
