import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl, waitFor } from './helpers.js';

/**
 * Unknown fields of built-in kinds (validation/known-fields.ts): dropped by the decoder, reported per fieldValidation
 * as the real server does (handlers/rest.go, create.go, update.go, patch.go; sigs.k8s.io/json strict errors).
 */

// biome-ignore lint/suspicious/noExplicitAny: the tests read deep into plain JSON
type J = any;

let sandbox: Sandbox;
const kubectl = new Kubectl();

beforeAll(async () => {
  sandbox = await startSandbox();
  writeFileSync(kubectl.kubeconfig, sandbox.kubeconfigYaml());
  await http('POST', '/api/v1/namespaces', { metadata: { name: 'uf' } });
});

afterAll(async () => {
  kubectl.cleanup();
  await sandbox.stop();
});

async function http(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    code: res.status,
    body: (text ? JSON.parse(text) : undefined) as J,
    warning: res.headers.get('warning'),
  };
}

const deployment = (name: string, spec: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    ...spec,
  },
});

describe('unknown fields of built-in kinds', () => {
  it('a ConfigMap with a top-level unknown field: dropped, with a warning (fieldValidation Warn, the default)', async () => {
    const r = await http('POST', '/api/v1/namespaces/uf/configmaps', {
      metadata: { name: 'warned' },
      data: { a: '1' },
      bogus: 1,
    });
    expect(r.code).toBe(201);
    expect(r.body.bogus).toBeUndefined();
    expect(r.warning).toBe('299 - "unknown field \\"bogus\\""');
    const stored = await http('GET', '/api/v1/namespaces/uf/configmaps/warned');
    expect(stored.body.bogus).toBeUndefined();
    expect(stored.body.data).toEqual({ a: '1' });
  });

  it('fieldValidation=Ignore drops silently; Strict refuses the body with 400 naming every unknown field', async () => {
    const ignored = await http('POST', '/api/v1/namespaces/uf/secrets?fieldValidation=Ignore', {
      metadata: { name: 'ignored', bogus: true },
      stringData: { a: 'b' },
    });
    expect([ignored.code, ignored.warning, ignored.body.metadata.bogus]).toEqual([201, null, undefined]);
    const strict = await http(
      'POST',
      '/apis/apps/v1/namespaces/uf/deployments?fieldValidation=Strict',
      deployment('strict', { bogus: 1, strategy: { type: 'Recreate', other: 2 } }),
    );
    expect(strict.code).toBe(400);
    expect(strict.body.reason).toBe('BadRequest');
    expect(strict.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bogus", unknown field "spec.strategy.other"',
    );
    expect((await http('GET', '/apis/apps/v1/namespaces/uf/deployments/strict')).code).toBe(404);
  });

  it('Deployment spec and pod template metadata, Service ports: warned paths as the strict decoder writes them', async () => {
    const dep = deployment('warned', { bogus: 1 });
    (dep.spec.template.metadata as J).extra = 'x';
    const r = await http('POST', '/apis/apps/v1/namespaces/uf/deployments', dep);
    expect(r.code).toBe(201);
    expect(r.warning).toBe(
      // document order: the template comes before the spread-in bogus field
      '299 - "unknown field \\"spec.template.metadata.extra\\"", 299 - "unknown field \\"spec.bogus\\""',
    );
    expect(r.body.spec.bogus).toBeUndefined();
    const svc = await http('POST', '/api/v1/namespaces/uf/services', {
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, bogus: 1 }] },
    });
    expect([svc.code, svc.warning]).toEqual([201, '299 - "unknown field \\"spec.ports[0].bogus\\""']);
    expect(svc.body.spec.ports[0].bogus).toBeUndefined();
  });

  it('PUT and patches: the same rules; a Strict patch result is the 422 of handlers/patch.go', async () => {
    const cm = (await http('GET', '/api/v1/namespaces/uf/configmaps/warned')).body;
    const put = await http('PUT', '/api/v1/namespaces/uf/configmaps/warned', { ...cm, extra: 1 });
    expect([put.code, put.warning]).toEqual([200, '299 - "unknown field \\"extra\\""']);
    const merge = await http(
      'PATCH',
      '/api/v1/namespaces/uf/configmaps/warned?fieldValidation=Strict',
      { bogus: 1 },
      'application/merge-patch+json',
    );
    expect(merge.code).toBe(422);
    expect(merge.body.message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "bogus"$/,
    );
    const smp = await http(
      'PATCH',
      '/apis/apps/v1/namespaces/uf/deployments/warned',
      { spec: { paused: true, nope: 1 } },
      'application/strategic-merge-patch+json',
    );
    expect([smp.code, smp.warning, smp.body.spec.paused]).toEqual([
      200,
      '299 - "unknown field \\"spec.nope\\""',
      true,
    ]);
  });

  it('a custom resource patch result with an unknown field under Strict is the same 422 (built-in and CRD alike)', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gizmos.uf.example.com' },
      spec: {
        group: 'uf.example.com',
        scope: 'Namespaced',
        names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    expect((await http('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).code).toBe(
      201,
    );
    const path = '/apis/uf.example.com/v1/namespaces/uf/gizmos';
    await waitFor(async () => (await http('GET', path)).code === 200, 5000, 'CRD served');
    const created = await http('POST', path, {
      apiVersion: 'uf.example.com/v1',
      kind: 'Gizmo',
      metadata: { name: 'g' },
      spec: { size: 1 },
    });
    expect(created.code).toBe(201);
    const r = await http(
      'PATCH',
      `${path}/g?fieldValidation=Strict`,
      { spec: { bogus: 1 } },
      'application/merge-patch+json',
    );
    expect(r.code).toBe(422);
    expect(r.body.message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "spec.bogus"$/,
    );
  });

  it('kubectl apply sends fieldValidation=Strict: an unknown field is refused; --validate=false drops it', async () => {
    const manifest =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k, namespace: uf}\ndata: {a: "1"}\nbogus: 1\n';
    const strict = await kubectl.run(['apply', '-f', '-'], manifest);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"',
    );
    const lax = await kubectl.run(['apply', '--validate=false', '-f', '-'], manifest);
    expect(lax.code, lax.stderr).toBe(0);
    const live = JSON.parse(await kubectl.ok(['get', 'cm', 'k', '-n', 'uf', '-o', 'json']));
    expect([live.data, live.bogus]).toEqual([{ a: '1' }, undefined]);
  });

  it('server-side apply of an undeclared field fails the typed conversion as the real server does (500, no reason)', async () => {
    const r = await http(
      'PATCH',
      '/api/v1/namespaces/uf/configmaps/ssa?fieldManager=m',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ssa', namespace: 'uf' },
        bogus: 1,
      }),
      'application/apply-patch+yaml',
    );
    expect(r.code).toBe(500);
    expect(r.body.reason).toBeUndefined();
    expect(r.body.message).toBe(
      'failed to create typed patch object (uf/ssa; /v1, Kind=ConfigMap): .bogus: field not declared in schema',
    );
  });
});
