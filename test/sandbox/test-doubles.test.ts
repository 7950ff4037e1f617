import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl, waitFor } from './helpers.js';

/** The cluster stand-ins of test-doubles.ts, driven through the sandbox's fault API and seen with kubectl. */

let sandbox: Sandbox;
const kubectl = new Kubectl();

beforeAll(async () => {
  sandbox = await startSandbox();
  writeFileSync(kubectl.kubeconfig, sandbox.kubeconfigYaml());
  await kubectl.ok(['create', 'namespace', 'injected']);
  await kubectl.ok(['label', 'namespace', 'injected', 'inject=yes']);
  await kubectl.ok(['create', 'namespace', 'plain']);
});

afterEach(() => sandbox.faults.clear());

afterAll(async () => {
  kubectl.cleanup();
  await sandbox.stop();
});

const labels = async (ns: string, name: string): Promise<Record<string, string>> =>
  JSON.parse(
    (await kubectl.ok(['get', 'configmap', name, '-n', ns, '-o', 'jsonpath={.metadata.labels}'])) || '{}',
  );
const annotation = async (ns: string, name: string, key: string): Promise<string> =>
  kubectl.ok([
    'get',
    'configmap',
    name,
    '-n',
    ns,
    '-o',
    `jsonpath={.metadata.annotations.${key.replace(/\./g, '\\.')}}`,
  ]);

describe('mutating admission rule', () => {
  it('labels ConfigMaps created in matching namespaces only, in the response of the write itself', async () => {
    sandbox.faults.admission({
      resource: 'configmaps',
      namespaceSelector: 'inject=yes',
      labels: { 'policy.example.com/team': 'platform' },
    });
    const out = await kubectl.ok([
      'create',
      'configmap',
      'a',
      '-n',
      'injected',
      '--from-literal=k=v',
      '--show-managed-fields',
      '-o',
      'json',
    ]);
    const created = JSON.parse(out);
    expect(created.metadata.labels).toEqual({ 'policy.example.com/team': 'platform' });
    // the field manager runs before admission (create.go): kubectl owns its data, nobody owns the webhook's label
    const owned = JSON.stringify(created.metadata.managedFields);
    expect(owned).toContain('f:data');
    expect(owned).not.toContain('policy.example.com/team');
    await kubectl.ok(['create', 'configmap', 'a', '-n', 'plain', '--from-literal=k=v']);
    expect(await labels('plain', 'a')).toEqual({});
    // an update that drops the label gets it back: admission runs on UPDATE too
    await kubectl.ok(['label', 'configmap', 'a', '-n', 'injected', 'policy.example.com/team-']);
    expect(await labels('injected', 'a')).toEqual({ 'policy.example.com/team': 'platform' });
  });

  it('honours operations and stops when removed', async () => {
    const remove = sandbox.faults.admission({
      resource: 'configmaps',
      operations: ['CREATE'],
      annotations: { 'stamped-by': 'webhook' },
    });
    await kubectl.ok(['create', 'configmap', 'b', '-n', 'plain']);
    expect(await annotation('plain', 'b', 'stamped-by')).toBe('webhook');
    await kubectl.ok(['annotate', 'configmap', 'b', '-n', 'plain', 'stamped-by-']);
    expect(await annotation('plain', 'b', 'stamped-by')).toBe('');
    remove();
    await kubectl.ok(['create', 'configmap', 'c', '-n', 'plain']);
    expect(await annotation('plain', 'c', 'stamped-by')).toBe('');
  });
});

describe('field owner', () => {
  it('sets its annotation after a change, with its own write, and then stays quiet', async () => {
    const owner = sandbox.faults.fieldOwner({
      resource: 'configmaps',
      labelSelector: 'app=web',
      manager: 'revision-controller',
      annotation: 'example.com/revision',
      value: '1',
    });
    await kubectl.ok(['create', 'configmap', 'web', '-n', 'plain']);
    await kubectl.ok(['label', 'configmap', 'web', '-n', 'plain', 'app=web']);
    await waitFor(
      async () => (await annotation('plain', 'web', 'example.com/revision')) === '1',
      5000,
      'revision',
    );
    expect(owner.writes).toBe(1);
    await kubectl.ok(['create', 'configmap', 'other', '-n', 'plain']);
    expect(await annotation('plain', 'other', 'example.com/revision')).toBe('');
    owner.stop();
  });

  it('fights a writer that keeps reverting its field, until it is stopped', async () => {
    await kubectl.ok(['create', 'configmap', 'fight', '-n', 'plain']);
    const owner = sandbox.faults.fieldOwner({
      resource: 'configmaps',
      manager: 'other-controller',
      annotation: 'owned',
      value: 'theirs',
    });
    for (let round = 0; round < 3; round++) {
      await waitFor(
        async () => (await annotation('plain', 'fight', 'owned')) === 'theirs',
        5000,
        'their value',
      );
      await kubectl.ok(['annotate', 'configmap', 'fight', '-n', 'plain', '--overwrite', 'owned=ours']);
    }
    await waitFor(() => owner.writes >= 3, 5000, 'three owner writes');
    owner.stop();
    const writes = owner.writes;
    await kubectl.ok(['annotate', 'configmap', 'fight', '-n', 'plain', '--overwrite', 'owned=ours']);
    // a stopped owner writes nothing: the value we set is the one that stays, read after one more round trip
    await kubectl.ok(['get', 'configmap', 'fight', '-n', 'plain']);
    expect(await annotation('plain', 'fight', 'owned')).toBe('ours');
    expect(owner.writes).toBe(writes);
  });
});
