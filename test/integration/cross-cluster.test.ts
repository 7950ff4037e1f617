import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Harness } from '../helpers/harness.js';
import { TestKube } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Cross-cluster mirroring (SPEC §8) on three sandbox clusters: `east` (the sources and the controller),
 * `west` and `north` registered by Secrets in the controller namespace. Every assertion reads the clusters
 * over HTTP; the controller is the real one.
 */
const P = 'kubemirror.io';
const CONTROLLER_NS = 'kubemirror';

interface Remote {
  name: string;
  sandbox: Sandbox;
  kube: TestKube;
}

let h: Harness;
const remotes = new Map<string, Remote>();

function remote(name: string): Remote {
  const r = remotes.get(name);
  if (!r) throw new Error(`no remote ${name}`);
  return r;
}

async function register(name: string, sandbox: Sandbox, secretName = `cluster-${name}`): Promise<void> {
  await h.kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName,
      namespace: CONTROLLER_NS,
      labels: { [`${P}/cluster`]: 'true' },
      annotations: { [`${P}/cluster-name`]: name },
    },
    data: { kubeconfig: Buffer.from(sandbox.kubeconfigYaml()).toString('base64') },
  });
}

function configMap(
  name: string,
  annotations: Record<string, string>,
  data: Record<string, string> = { a: '1' },
) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'src',
      labels: { [`${P}/enabled`]: 'true' },
      annotations: { [`${P}/sync`]: 'true', ...annotations },
    },
    data,
  } as KubeObject;
}

/** namespace → object of the mirrors named `name` in a cluster */
async function mirrorsIn(kube: TestKube, kind: string, name: string): Promise<Map<string, KubeObject>> {
  const items = await kube.list('v1', kind, undefined, `${P}/mirror=true`);
  return new Map(items.filter((o) => o.metadata.name === name).map((o) => [o.metadata.namespace ?? '', o]));
}

async function expectMirrors(
  kube: TestKube,
  kind: string,
  name: string,
  namespaces: string[],
  timeoutMs = 15_000,
) {
  const want = [...namespaces].sort().join(',');
  return waitFor(
    `${kind} ${name} in exactly [${want}]`,
    async () => [...(await mirrorsIn(kube, kind, name)).keys()].sort().join(','),
    (got) => got === want,
    { timeoutMs },
  );
}

async function statusOf(name: string): Promise<string> {
  const s = await h.kube.get('v1', 'ConfigMap', 'src', name);
  return s?.metadata.annotations?.[`${P}/sync-status`] ?? '';
}

beforeAll(async () => {
  h = await Harness.start({ controller: false });
  await h.kube.namespace(CONTROLLER_NS);
  await h.kube.namespace('src');
  await h.kube.namespace('app-1');
  for (const name of ['west', 'north']) {
    const sandbox = await startSandbox({ historyWindow: 200 });
    const kube = new TestKube(sandbox.kubeconfigYaml());
    for (const ns of ['src', 'app-1', 'app-2']) await kube.namespace(ns);
    remotes.set(name, { name, sandbox, kube });
    await register(name, sandbox);
  }
  await h.startController([
    '--remote-clusters',
    '--cluster-name',
    'east',
    '--leader-election-namespace',
    CONTROLLER_NS,
  ]);
});

afterAll(async () => {
  await h?.stop();
  for (const r of remotes.values()) await r.sandbox.stop();
});

describe('cross-cluster mirroring', () => {
  it('mirrors into the named cluster only, with P/source-cluster, and into the namespace named like the source', async () => {
    await h.kube.apply(
      configMap('to-west', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'src,app-1' }),
    );
    const got = await expectMirrors(remote('west').kube, 'ConfigMap', 'to-west', ['app-1', 'src']);
    expect(got).toBe('app-1,src');
    const m = (await mirrorsIn(remote('west').kube, 'ConfigMap', 'to-west')).get('app-1');
    expect(m?.metadata.annotations?.[`${P}/source-cluster`]).toBe('east');
    expect(m?.data).toEqual({ a: '1' });
    await expectMirrors(h.kube, 'ConfigMap', 'to-west', []);
    await expectMirrors(remote('north').kube, 'ConfigMap', 'to-west', []);
    await waitFor(
      'status',
      () => statusOf('to-west'),
      (l) => l.startsWith('Synced 2/2'),
    );
  });
});
