// Sandbox-only (SPEC §10): counts requests per verb with the sandbox's request accounting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Switching from KubeMirror (lukaszraczylo/kubemirror): with `--annotation-prefix kubemirror.raczylo.com` the
 * mirrors KubeMirror left behind (its labels `mirror`/`managed-by`, annotations `source-namespace`/`-name`/`-uid`/
 * `-content-hash`/`-generation`/`-resource-version`/`last-sync-time`, per its pkg/constants/constants.go, written
 * by its own field manager) are adopted with at most one update each, never deleted and re-created, and its
 * finalizer on sources is the one kubemirror handles.
 */
const P = 'kubemirror.raczylo.com';
const TARGETS = ['km-a', 'km-b', 'km-c'];
let h: Harness;
let source: KubeObject;

/** A mirror as KubeMirror writes it: its keys, an old content hash, and its own field manager. */
function kubeMirrorMirror(ns: string, src: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: src.metadata.name,
      namespace: ns,
      labels: { [`${P}/mirror`]: 'true', [`${P}/managed-by`]: 'kubemirror' },
      annotations: {
        [`${P}/source-namespace`]: src.metadata.namespace ?? '',
        [`${P}/source-name`]: src.metadata.name,
        [`${P}/source-uid`]: src.metadata.uid ?? '',
        [`${P}/source-content-hash`]: 'f'.repeat(64),
        [`${P}/source-generation`]: '0',
        [`${P}/source-resource-version`]: src.metadata.resourceVersion ?? '',
        [`${P}/last-sync-time`]: '2026-11-01T00:00:00Z',
      },
    },
    data: { ...(src.data as Record<string, string>) },
  };
}

beforeAll(async () => {
  h = await Harness.start({ controller: false });
  for (const ns of ['km-src', ...TARGETS]) await h.kube.namespace(ns);
  source = await h.kube.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'common-config',
      namespace: 'km-src',
      labels: { [`${P}/enabled`]: 'true' },
      annotations: { [`${P}/sync`]: 'true', [`${P}/target-namespaces`]: 'km-*' },
      finalizers: [`${P}/finalizer`],
    },
    data: { log_level: 'info' },
  });
  // what KubeMirror left: a mirror in each target, written by its manager (controller-runtime's default)
  for (const ns of TARGETS) await h.kube.create(kubeMirrorMirror(ns, source));
}, 30_000);

afterAll(async () => {
  await h?.stop();
});

describe('migrating from KubeMirror', () => {
  it("adopts KubeMirror's mirrors with one update each, never a delete or a create", async () => {
    const uids = new Map<string, string>();
    for (const ns of TARGETS)
      uids.set(ns, (await h.kube.get('v1', 'ConfigMap', ns, 'common-config'))?.metadata.uid ?? '');
    h.sandbox.requests.reset();
    await h.startController(['--annotation-prefix', P]);
    await waitFor(
      'sync-status under the KubeMirror prefix',
      async () =>
        (await h.kube.get('v1', 'ConfigMap', 'km-src', 'common-config'))?.metadata.annotations?.[
          `${P}/sync-status`
        ],
      (l) => l === 'Synced 3/3',
    );
    const counts = h.sandbox.requests.counts();
    expect(counts['update configmaps'] ?? 0).toBeLessThanOrEqual(TARGETS.length);
    expect(counts['delete configmaps'] ?? 0).toBe(0);
    expect(counts['create configmaps'] ?? 0).toBe(0);
    for (const ns of TARGETS) {
      const m = await h.kube.get('v1', 'ConfigMap', ns, 'common-config');
      expect(m?.metadata.uid).toBe(uids.get(ns));
      expect(m?.data).toEqual({ log_level: 'info' });
      expect(m?.metadata.annotations?.[`${P}/source-uid`]).toBe(source.metadata.uid);
    }
    // the finalizer KubeMirror put on the source is kubemirror's key under this prefix: kept, not doubled
    const live = await h.kube.get('v1', 'ConfigMap', 'km-src', 'common-config');
    expect(live?.metadata.finalizers).toEqual([`${P}/finalizer`]);
  });

  it('later changes flow as usual, and deleting the source removes the adopted mirrors and the finalizer', async () => {
    await h.kube.mergePatch('v1', 'ConfigMap', 'km-src', 'common-config', { data: { log_level: 'debug' } });
    await waitFor(
      'the change mirrored',
      async () => (await h.kube.get('v1', 'ConfigMap', 'km-b', 'common-config'))?.data,
      (d) => (d as Record<string, string> | undefined)?.log_level === 'debug',
    );
    await h.kube.delete('v1', 'ConfigMap', 'km-src', 'common-config');
    await waitFor(
      'mirrors and source gone',
      async () => {
        const left: string[] = [];
        for (const ns of ['km-src', ...TARGETS])
          if (await h.kube.get('v1', 'ConfigMap', ns, 'common-config')) left.push(ns);
        return left;
      },
      (left) => left.length === 0,
    );
  });
});
