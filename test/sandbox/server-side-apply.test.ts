import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl } from './helpers.js';

/**
 * Server-side apply with field ownership, through the real kubectl (`apply --server-side`): the sandbox answers as
 * kube-apiserver's field manager does (k8s.io/apimachinery/pkg/util/managedfields/internal: structuredmerge.go,
 * conflict.go; sigs.k8s.io/structured-merge-diff merge/update.go).
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

const cm = (ns: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: ${ns}}\ndata: ${JSON.stringify(data)}\n`;

const apply = (manager: string, manifest: string, ...extra: string[]) =>
  kubectl.run(['apply', '--server-side', `--field-manager=${manager}`, ...extra, '-f', '-'], manifest);

const getJson = async (args: string[]): Promise<J> => JSON.parse(await kubectl.ok([...args, '-o', 'json']));

async function http(method: string, path: string, body?: string, contentType = 'application/json') {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { code: res.status, body: (text ? JSON.parse(text) : undefined) as J };
}

describe('server-side apply (kubectl apply --server-side)', () => {
  it('a second manager changing a field the first applied gets 409 naming the field and the manager', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-conflict']);
    expect((await apply('kubectl-a', cm('ssa-conflict', { key: 'a', only: 'a' }))).code).toBe(0);
    const r = await apply('kubectl-b', cm('ssa-conflict', { key: 'b' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-a": .data.key');
    // the object is unchanged
    const live = await getJson(['get', 'cm', 'shared', '-n', 'ssa-conflict']);
    expect(live.data).toEqual({ key: 'a', only: 'a' });
    // the Status as the real server sends it: reason Conflict, one FieldManagerConflict cause per field
    const raw = await http(
      'PATCH',
      '/api/v1/namespaces/ssa-conflict/configmaps/shared?fieldManager=raw',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared' },
        data: { key: 'x', only: 'x' },
      }),
      'application/apply-patch+yaml',
    );
    expect(raw.code).toBe(409);
    expect(raw.body.reason).toBe('Conflict');
    expect(raw.body.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-a":\n- .data.key\n- .data.only',
    );
    expect(raw.body.details).toEqual({
      causes: [
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-a"', field: '.data.key' },
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-a"', field: '.data.only' },
      ],
    });
  });

  it('--force-conflicts takes the field over; managedFields shows operation Apply for both', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-force']);
    await apply('kubectl-a', cm('ssa-force', { key: 'a', other: 'a' }));
    const r = await apply('kubectl-b', cm('ssa-force', { key: 'b' }), '--force-conflicts');
    expect(r.code, r.stderr).toBe(0);
    const live = await getJson(['get', 'cm', 'shared', '-n', 'ssa-force', '--show-managed-fields']);
    expect(live.data).toEqual({ key: 'b', other: 'a' });
    const entries = live.metadata.managedFields as J[];
    expect(entries.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      ['kubectl-a', 'Apply', { 'f:data': { 'f:other': {} } }],
      ['kubectl-b', 'Apply', { 'f:data': { 'f:key': {} } }],
    ]);
    // no Update entry for an apply
    expect(entries.some((e) => e.operation === 'Update')).toBe(false);
    // now kubectl-a is the one that conflicts
    const back = await apply('kubectl-a', cm('ssa-force', { key: 'a', other: 'a' }));
    expect(back.stderr).toContain('conflict with "kubectl-b": .data.key');
  });

  it('a field dropped from a config is removed unless another manager still owns it', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-prune']);
    await apply('kubectl-a', cm('ssa-prune', { mine: '1', both: '2', keep: '3' }));
    // kubectl-b applies the same value of `both`: shared ownership, no conflict
    expect((await apply('kubectl-b', cm('ssa-prune', { both: '2' }))).code).toBe(0);
    expect((await apply('kubectl-a', cm('ssa-prune', { keep: '3' }))).code).toBe(0);
    const live = await getJson(['get', 'cm', 'shared', '-n', 'ssa-prune', '--show-managed-fields']);
    // `mine` was only kubectl-a's: gone; `both` is still kubectl-b's: kept
    expect(live.data).toEqual({ both: '2', keep: '3' });
    expect(
      (live.metadata.managedFields as J[]).map((e) => [
        e.manager,
        e.operation,
        Object.keys(e.fieldsV1['f:data']),
      ]),
    ).toEqual([
      // kubectl-b's apply changed nothing in the object, so its entry has no time and sorts first
      // (managedfieldsupdater.go Apply, managedfields.go sortEncodedManagedFields)
      ['kubectl-b', 'Apply', ['f:both']],
      ['kubectl-a', 'Apply', ['f:keep']],
    ]);
    expect((live.metadata.managedFields as J[]).map((e) => e.time === undefined)).toEqual([true, false]);
  });

  it('re-applying the same config changes neither resourceVersion nor managedFields', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-noop']);
    const dep = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ssa-noop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
`;
    expect((await apply('deployer', dep)).stdout).toContain('deployment.apps/web serverside-applied');
    const before = await getJson(['get', 'deploy', 'web', '-n', 'ssa-noop', '--show-managed-fields']);
    expect(before.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(before.metadata.managedFields.map((e: J) => [e.manager, e.operation])).toEqual([
      ['deployer', 'Apply'],
    ]);
    // the container port without protocol is keyed by the default (TCP): no second item, no change
    expect((await apply('deployer', dep)).code).toBe(0);
    const after = await getJson(['get', 'deploy', 'web', '-n', 'ssa-noop', '--show-managed-fields']);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.managedFields).toEqual(before.metadata.managedFields);
    expect(after.spec.template.spec.containers[0].ports).toHaveLength(1);
  });

  it('dryRun never persists, neither a create nor an update', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-dry']);
    await apply('kubectl-a', cm('ssa-dry', { key: 'a' }), '--dry-run=server');
    expect((await kubectl.run(['get', 'cm', 'shared', '-n', 'ssa-dry'])).code).not.toBe(0);
    await apply('kubectl-a', cm('ssa-dry', { key: 'a' }));
    const rv = (await getJson(['get', 'cm', 'shared', '-n', 'ssa-dry'])).metadata.resourceVersion;
    const dry = await apply('kubectl-a', cm('ssa-dry', { key: 'z' }), '--dry-run=server', '-o', 'json');
    expect(JSON.parse(dry.stdout).data).toEqual({ key: 'z' });
    const live = await getJson(['get', 'cm', 'shared', '-n', 'ssa-dry']);
    expect([live.data, live.metadata.resourceVersion]).toEqual([{ key: 'a' }, rv]);
  });

  it('the applied object goes through validation and admission as other writes do', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-valid']);
    const bad = await apply(
      'kubectl-a',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: ssa-valid}\ndata: {"bad key": x}\n',
    );
    expect(bad.stderr).toMatch(/ConfigMap "bad" is invalid: data\[bad key\]/);
    // a wrong kind for the URL, and a missing fieldManager, as the real server answers them
    const wrongKind = await http(
      'PATCH',
      '/api/v1/namespaces/ssa-valid/configmaps/x?fieldManager=m',
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
      'application/apply-patch+yaml',
    );
    expect([wrongKind.code, wrongKind.body.message]).toEqual([400, 'invalid object type: /v1, Kind=Secret']);
    const noManager = await http(
      'PATCH',
      '/api/v1/namespaces/ssa-valid/configmaps/x',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
      'application/apply-patch+yaml',
    );
    expect([noManager.code, noManager.body.message]).toEqual([
      422,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    ]);
  });

  it('mutating admission runs on an apply that creates and on one that updates, its change owned by nobody', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-admit']);
    await apply('kubectl-a', cm('ssa-admit', { key: 'a' }));
    const stamp = (value: string) =>
      sandbox.faults.admission({ resource: 'configmaps', annotations: { 'stamped-by': value } });
    let remove = stamp('on-update');
    try {
      await apply('kubectl-a', cm('ssa-admit', { key: 'b' }));
      const updated = await getJson(['get', 'cm', 'shared', '-n', 'ssa-admit', '--show-managed-fields']);
      expect([updated.data, updated.metadata.annotations]).toEqual([
        { key: 'b' },
        { 'stamped-by': 'on-update' },
      ]);
      expect(updated.metadata.managedFields.map((e: J) => [e.manager, e.operation, e.fieldsV1])).toEqual([
        ['kubectl-a', 'Apply', { 'f:data': { 'f:key': {} } }],
      ]);
      remove();
      remove = stamp('on-create');
      await apply('kubectl-a', cm('ssa-admit', { key: 'c' }).replace('name: shared', 'name: fresh'));
      const created = await getJson(['get', 'cm', 'fresh', '-n', 'ssa-admit']);
      expect(created.metadata.annotations).toEqual({ 'stamped-by': 'on-create' });
    } finally {
      remove();
    }
  });

  it('an Update-operation writer and an applier: the applier conflicts with the updater on its field', async () => {
    await kubectl.ok(['create', 'namespace', 'ssa-update']);
    await kubectl.ok(['create', 'configmap', 'shared', '-n', 'ssa-update', '--from-literal=key=made']);
    const r = await apply('kubectl-a', cm('ssa-update', { key: 'applied' }));
    expect(r.stderr).toContain('conflict with "kubectl-create" using v1: .data.key');
  });
});
