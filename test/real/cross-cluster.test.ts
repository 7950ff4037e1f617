import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../control-plane/launcher.js';
import { KubectlCli, mainJs, repoRoot } from '../helpers/cli.js';
import { TestKube } from '../helpers/kube.js';
import { RealHarness, startRealControlPlane } from '../helpers/real-harness.js';
import { kubectlPath } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import {
  expectPolicy,
  installPolicyCrd,
  operatorSecret,
  policy,
} from '../integration/mirror-policy-scenarios.js';
import { configMap, secret } from '../integration/scenarios.js';

/**
 * Cross-cluster mirroring between two real control planes (SPEC §8, §10), registered the way the README tells
 * a user to: `kubectl apply -k deploy/remote/` in west, `deploy/remote/make-kubeconfig.sh west` for the
 * kubemirror-remote ServiceAccount's token (filled in by west's token controller), and
 * `kubemirror cluster add west --context west` piped into east. The controller reaches west with exactly the
 * rights of deploy/remote/.
 */
const exec = promisify(execFile);
const CONTROLLER_NS = 'kubemirror-system';
const T = 'kubemirror.io/target-namespaces';
const C = 'kubemirror.io/target-clusters';
let east: ControlPlane;
let west: ControlPlane;
let h: RealHarness;
let westKube: TestKube;

beforeAll(async () => {
  [east, west] = await Promise.all([startRealControlPlane(), startRealControlPlane()]);
  h = await RealHarness.start({ controlPlane: east, controller: false });
  westKube = new TestKube(west.kubeconfigYaml);
  const westAdmin = join(h.tmpDir, 'west-admin.kubeconfig');
  writeFileSync(westAdmin, west.kubeconfigYaml, { mode: 0o600 });
  const westCtl = new KubectlCli(westAdmin, join(h.tmpDir, 'kubectl-cache-west'));
  const eastCtl = new KubectlCli(h.kubeconfigPath, join(h.tmpDir, 'kubectl-cache-east'));

  await westCtl.ok(['apply', '-k', join(repoRoot, 'deploy/remote')]);
  const env = {
    ...process.env,
    PATH: `${dirname(kubectlPath())}:${process.env.PATH ?? ''}`,
    KUBECONFIG: westAdmin,
  };
  const { stdout: remoteKubeconfig } = await exec(
    'sh',
    [join(repoRoot, 'deploy/remote/make-kubeconfig.sh'), 'west'],
    {
      env,
      timeout: 60_000,
    },
  );
  const remoteFile = join(h.tmpDir, 'west-remote.kubeconfig');
  writeFileSync(remoteFile, remoteKubeconfig, { mode: 0o600 });
  const { stdout: registration } = await exec(
    process.execPath,
    [mainJs, 'cluster', 'add', 'west', '--context', 'west', '--kubeconfig', remoteFile],
    { cwd: repoRoot },
  );
  const regFile = join(h.tmpDir, 'west-registration.yaml');
  writeFileSync(regFile, registration, { mode: 0o600 });
  await eastCtl.ok(['create', 'namespace', CONTROLLER_NS]);
  await eastCtl.ok(['apply', '-f', regFile]);
  await installPolicyCrd(h.kube);
  await h.startController([
    '--remote-clusters',
    '--cluster-name',
    'east',
    '--leader-election-namespace',
    CONTROLLER_NS,
  ]);
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await Promise.all([east?.stop(), west?.stop()]);
});

const westMirrors = async (apiVersion: string, kind: string, name: string) =>
  (await westKube.list(apiVersion, kind, undefined, 'kubemirror.io/mirror=true'))
    .filter((o) => o.metadata.name === name)
    .map((o) => o.metadata.namespace ?? '')
    .sort();

describe('cross-cluster between two real control planes', () => {
  it('a source with target-clusters reaches namespaces in west, with the remote ServiceAccount rights only', async () => {
    for (const ns of ['xc-a', 'xc-b']) await westKube.namespace(ns);
    await h.kube.namespace('xc-src');
    await h.kube.namespace('xc-a');
    await h.kube.create(secret('xc-src', 'creds', { [T]: 'xc-*', [C]: 'local,west' }));
    await waitFor(
      'mirrors in west',
      () => westMirrors('v1', 'Secret', 'creds'),
      (n) => n.join() === 'xc-a,xc-b',
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await h.expectMirrorsIn('v1', 'Secret', 'creds', ['xc-a'], 30_000);
    await h.expectStatus('v1', 'Secret', 'xc-src', 'creds', (l) => l === 'Synced 3/3', 30_000);
    const m = await westKube.get('v1', 'Secret', 'xc-a', 'creds');
    expect(m?.metadata.annotations?.['kubemirror.io/source-cluster']).toBe('east');
  });

  it('drift in west is repaired, a namespace created there later is served, and deleting the source cleans west', async () => {
    await h.kube.create(configMap('xc-src', 'settings', { [T]: 'xc-*', [C]: 'west' }, { level: 'info' }));
    await waitFor(
      'settings in west',
      () => westMirrors('v1', 'ConfigMap', 'settings'),
      (n) => n.length === 2,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await westKube.mergePatch('v1', 'ConfigMap', 'xc-a', 'settings', { data: { level: 'debug' } });
    await waitFor(
      'the edit in west reverted',
      async () =>
        ((await westKube.get('v1', 'ConfigMap', 'xc-a', 'settings'))?.data as Record<string, string>)?.level,
      (v) => v === 'info',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await westKube.namespace('xc-late');
    await waitFor(
      'a late namespace in west',
      () => westMirrors('v1', 'ConfigMap', 'settings'),
      (n) => n.includes('xc-late'),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    await h.kube.delete('v1', 'ConfigMap', 'xc-src', 'settings');
    await waitFor(
      'west cleaned',
      () => westMirrors('v1', 'ConfigMap', 'settings'),
      (n) => n.length === 0,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await waitFor(
      'the source gone past its finalizer',
      () => h.kube.get('v1', 'ConfigMap', 'xc-src', 'settings'),
      (o) => o === null,
      { timeoutMs: 30_000 },
    );
  });

  it('a MirrorPolicy with targetClusters [west] reaches west only, and its mirrors there go before the policy does', async () => {
    const API = 'kubemirror.io/v1alpha1';
    for (const ns of ['xp-a', 'xp-b']) await westKube.namespace(ns);
    for (const ns of ['xp-db', 'xp-a']) await h.kube.namespace(ns);
    const src = await h.kube.create(operatorSecret('xp-db', 'pg-app'));
    await h.kube.create(
      policy('xp-db', 'to-west', {
        resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['pg-app'] }],
        targetNamespaces: ['xp-*'],
        targetClusters: ['west'],
      }),
    );
    await waitFor(
      'policy mirrors in west',
      () => westMirrors('v1', 'Secret', 'pg-app'),
      (n) => n.join() === 'xp-a,xp-b',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const m = await westKube.get('v1', 'Secret', 'xp-a', 'pg-app');
    expect(m?.metadata.annotations).toMatchObject({
      'kubemirror.io/policy': 'to-west',
      'kubemirror.io/source-cluster': 'east',
    });
    expect(m?.data).toEqual(src.data);
    await expectPolicy(
      h.kube,
      'xp-db',
      'to-west',
      (s, r) => r.message === 'Synced 2/2' && s.targets === 2,
      30_000,
    );
    // xp-a exists here too, but only west is targeted; the selected Secret is never written
    expect([...(await h.mirrors('v1', 'Secret', 'pg-app')).keys()]).toEqual([]);
    const live = await h.kube.get('v1', 'Secret', 'xp-db', 'pg-app');
    expect(live?.metadata.resourceVersion).toBe(src.metadata.resourceVersion);

    await h.kube.delete(API, 'MirrorPolicy', 'xp-db', 'to-west');
    await waitFor(
      'the policy gone past its finalizer',
      () => h.kube.get(API, 'MirrorPolicy', 'xp-db', 'to-west'),
      (o) => o === null,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(await westMirrors('v1', 'Secret', 'pg-app')).toEqual([]);
  });
});
