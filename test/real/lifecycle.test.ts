import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { RealHarness } from '../helpers/real-harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap, secret } from '../integration/scenarios.js';

/**
 * What only a real cluster does to mirrors and sources: the namespace controller emptying a namespace that is
 * being deleted (mirrors inside, or a source holding kubemirror's finalizer), and the garbage collector deleting
 * an object whose owner is gone.
 */
const T = 'kubemirror.io/target-namespaces';
const FINALIZER = 'kubemirror.io/finalizer';
let h: RealHarness;

beforeAll(async () => {
  h = await RealHarness.start();
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

const gone = (ns: string) =>
  waitFor(
    `namespace ${ns} deleted`,
    () => h.kube.get('v1', 'Namespace', '', ns),
    (o) => o === null,
    {
      timeoutMs: 60_000,
      intervalMs: 200,
    },
  );

describe('namespace deletion finished by the real namespace controller', () => {
  it('a target namespace with a mirror inside goes away, the source reports one target fewer, and a new namespace of that name gets the mirror again', async () => {
    for (const ns of ['nd-src', 'nd-a', 'nd-b']) await h.kube.namespace(ns);
    await h.kube.create(secret('nd-src', 'creds', { [T]: 'nd-a,nd-b' }));
    await h.expectMirrorsIn('v1', 'Secret', 'creds', ['nd-a', 'nd-b'], 30_000);
    await h.kube.delete('v1', 'Namespace', '', 'nd-a');
    await gone('nd-a');
    await h.expectMirrorsIn('v1', 'Secret', 'creds', ['nd-b']);
    await h.expectStatus('v1', 'Secret', 'nd-src', 'creds', (l) => l === 'Synced 1/1', 30_000);
    await h.kube.namespace('nd-a');
    await h.expectMirrorsIn('v1', 'Secret', 'creds', ['nd-a', 'nd-b'], 30_000);
  });

  it('a source namespace being deleted: the finalizer lets the source go once its mirrors elsewhere are removed, and the namespace finishes', async () => {
    for (const ns of ['ns-src', 'ns-a', 'ns-b']) await h.kube.namespace(ns);
    await h.kube.create(configMap('ns-src', 'settings', { [T]: 'ns-a,ns-b' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'settings', ['ns-a', 'ns-b'], 30_000);
    const src = await h.kube.get('v1', 'ConfigMap', 'ns-src', 'settings');
    expect(src?.metadata.finalizers).toContain(FINALIZER);
    await h.kube.delete('v1', 'Namespace', '', 'ns-src');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'settings', [], 30_000);
    await gone('ns-src');
  });
});

describe('the garbage collector', () => {
  it('a source owned by another object is collected with it, and its mirrors (which carry no ownerReferences) are cleaned up by the controller, not orphaned', async () => {
    for (const ns of ['gc-src', 'gc-a', 'gc-b']) await h.kube.namespace(ns);
    const owner = await h.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner', namespace: 'gc-src' },
      data: { role: 'owner' },
    });
    const owned: KubeObject = configMap('gc-src', 'owned', { [T]: 'gc-a,gc-b' });
    owned.metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid ?? '' },
    ];
    await h.kube.create(owned);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'owned', ['gc-a', 'gc-b'], 30_000);
    for (const m of (await h.mirrors('v1', 'ConfigMap', 'owned')).values())
      expect(m.metadata.ownerReferences).toBeUndefined();
    await h.kube.delete('v1', 'ConfigMap', 'gc-src', 'owner');
    await h.expectMirrorsIn('v1', 'ConfigMap', 'owned', [], 60_000);
    await waitFor(
      'the owned source collected',
      () => h.kube.get('v1', 'ConfigMap', 'gc-src', 'owned'),
      (o) => o === null,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });
});
