import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../control-plane/launcher.js';
import { TcpProxy } from '../control-plane/tcp-proxy.js';
import { RealHarness, startRealControlPlane } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from '../integration/scenarios.js';

/**
 * Outages only a real control plane has. The controller reaches kube-apiserver through a TCP proxy that can
 * cut every connection and refuse new ones. kube-apiserver runs without its watch cache here, so a watch
 * resumed from a resourceVersion that etcd compacted away meets etcd's own 410 Gone.
 */
const T = 'kubemirror.io/target-namespaces';
let cp: ControlPlane;
let proxy: TcpProxy;
let h: RealHarness;

async function restarts(reason: string): Promise<number> {
  const m = await h.running!.metrics.registry.getSingleMetric('kubemirror_watch_restarts_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);
}

beforeAll(async () => {
  cp = await startRealControlPlane({ apiServerArgs: ['--watch-cache=false'] });
  proxy = await TcpProxy.start(Number(new URL(cp.server).port));
  h = await RealHarness.start({
    controlPlane: cp,
    controllerKubeconfig: cp.kubeconfigYaml.replace(cp.server, proxy.url()),
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await proxy?.stop();
  await cp?.stop();
});

describe('outages of a real control plane', () => {
  it('410 Gone after a real etcd compaction: the watch re-lists and nothing is lost', async () => {
    for (const ns of ['cp-src', 'cp-a', 'cp-b']) await h.kube.namespace(ns);
    await h.kube.create(configMap('cp-src', 'before', { [T]: 'cp-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'before', ['cp-a'], 30_000);
    const goneBefore = await restarts('gone');

    // the controller is cut off while sources change and etcd compacts the history its watches would resume from
    proxy.cut({ refuse: true });
    await h.kube.create(configMap('cp-src', 'during', { [T]: 'cp-a,cp-b' }));
    await h.kube.mergePatch('v1', 'ConfigMap', 'cp-src', 'before', {
      metadata: { annotations: { [T]: 'cp-b' } },
    });
    await cp.compactEtcd();
    proxy.accept();

    await h.expectMirrorsIn('v1', 'ConfigMap', 'during', ['cp-a', 'cp-b'], 60_000);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'before', ['cp-b'], 60_000);
    await waitFor(
      'a watch restarted for 410 Gone',
      () => restarts('gone'),
      (n) => n > goneBefore,
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('kube-apiserver stopped and started again mid fan-out (same etcd): every mirror once, watches resumed', async () => {
    const targets = Array.from({ length: 40 }, (_, i) => `rs-t${i}`);
    for (const ns of ['rs-src', ...targets]) await h.kube.namespace(ns);
    await h.kube.create(configMap('rs-src', 'wide', { [T]: 'rs-t*' }, { payload: 'x'.repeat(2048) }));
    // restart as soon as the fan-out has begun
    await waitFor(
      'the fan-out begun',
      async () => (await h.mirrors('v1', 'ConfigMap', 'wide')).size,
      (n) => n > 0,
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    await cp.restartApiServer();
    await h.expectMirrorsIn('v1', 'ConfigMap', 'wide', targets, 60_000);
    await h.expectStatus('v1', 'ConfigMap', 'rs-src', 'wide', (l) => l === 'Synced 40/40', 60_000);
    const mirrors = await h.mirrors('v1', 'ConfigMap', 'wide');
    const src = await h.kube.get('v1', 'ConfigMap', 'rs-src', 'wide');
    for (const m of mirrors.values()) {
      expect(m.metadata.annotations?.['kubemirror.io/source-uid']).toBe(src?.metadata.uid);
      expect(m.data).toEqual(src?.data);
    }
    // watches resumed: a change after the restart still reaches every mirror
    await h.kube.mergePatch('v1', 'ConfigMap', 'rs-src', 'wide', { data: { payload: 'after' } });
    await waitFor(
      'the change after the restart mirrored everywhere',
      async () =>
        [...(await h.mirrors('v1', 'ConfigMap', 'wide')).values()].filter(
          (m) => (m.data as Record<string, string> | undefined)?.payload === 'after',
        ).length,
      (n) => n === targets.length,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });
});
