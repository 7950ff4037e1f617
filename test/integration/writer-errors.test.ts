// Sandbox-only (SPEC §10): not yet ported (it starts a sandbox of its own); the refused-write and immutable-field paths it checks also run on kube-apiserver in test/real/mirroring.test.ts (Secret type change) and test/real/convergence.test.ts.
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, ResourceType } from '../../src/core/types.js';
import { ApiError } from '../../src/kube/api-errors.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { Writer } from '../../src/kube/writer.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';

/**
 * The writer's error edge against the sandbox over HTTP: what leaves `Writer` when the API server refuses a
 * write. A 422 quotes the refused value; for a Secret that value may be its data, so only code, reason and
 * field paths may leave (SPEC §5). The recreate path leans on two more facts: which 422 is an immutable field,
 * and that a dry-run create is validated before the name is checked.
 */

const SECRET: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
};
const CONFIGMAP: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};
const marker = () => `KMLEAK${randomBytes(6).toString('hex')}`;

let sandbox: Sandbox;
let writer: Writer;

beforeAll(async () => {
  sandbox = await startSandbox();
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  writer = new Writer(new KubeClient(kc), { limiter: { schedule: (fn) => fn() } });
  await new KubeClient(kc).request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'we' } },
    verb: 'create',
    resource: 'namespaces',
  });
});
afterAll(async () => {
  await sandbox?.stop();
});

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the write to be refused');
}

const withLabel = (kind: 'Secret' | 'ConfigMap', name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'we', labels: { leak: value } },
  ...(kind === 'Secret' ? { type: 'Opaque', data: {} } : { data: {} }),
});

describe('Writer: API errors', () => {
  it("a Secret's 422 keeps code, reason and the field, never the value the server quoted", async () => {
    const m = marker();
    const e = await refusal(writer.create(SECRET, withLabel('Secret', 'leaky', `not valid ${m}`)));
    expect(e.reason).toBe('Invalid');
    expect(e.code).toBe(422);
    expect(e.causes.map((c) => c.field)).toContain('metadata.labels');
    expect(e.message).toContain('metadata.labels');
    expect(`${e.message} ${JSON.stringify(e.causes)} ${e.stack}`).not.toContain(m);
  });

  it("a ConfigMap's 422 keeps the server's whole message (the redaction is for Secrets only)", async () => {
    const m = marker();
    const e = await refusal(writer.create(CONFIGMAP, withLabel('ConfigMap', 'plain', `not valid ${m}`)));
    expect(e.reason).toBe('Invalid');
    expect(e.message).toContain(m);
  });

  it('tells an immutable-field 422 from any other 422', async () => {
    const created = await writer.create(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'typed', namespace: 'we' },
      type: 'Opaque',
      data: {},
    });
    const typeChange = await refusal(writer.replace(SECRET, { ...created, type: 'example.com/other' }));
    expect(typeChange.isImmutableField()).toBe(true);
    const badLabel = await refusal(
      writer.replace(SECRET, { ...created, metadata: { ...created.metadata, labels: { a: 'b c' } } }),
    );
    expect(badLabel.reason).toBe('Invalid');
    expect(badLabel.isImmutableField()).toBe(false);
  });

  it('a dry-run create is judged on validity: an existing name is accepted, an invalid object refused', async () => {
    const existing = withLabel('ConfigMap', 'dry', 'fine');
    await writer.create(CONFIGMAP, existing);
    await expect(writer.createWouldBeAccepted(CONFIGMAP, existing)).resolves.toBeUndefined();
    const e = await refusal(writer.createWouldBeAccepted(CONFIGMAP, withLabel('ConfigMap', 'dry', 'b c')));
    expect(e.reason).toBe('Invalid');
    // nothing was stored by either dry run
    await expect(
      writer.createWouldBeAccepted(CONFIGMAP, withLabel('ConfigMap', 'dry-new', 'ok')),
    ).resolves.toBeUndefined();
    const e2 = await refusal(writer.replace(CONFIGMAP, { ...withLabel('ConfigMap', 'dry-new', 'ok') }));
    expect(e2.reason).toBe('NotFound');
  });
});
