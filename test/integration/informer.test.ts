// Sandbox-only (SPEC §10): drops and refuses watches and compacts history on demand with the sandbox's fault injection; a real 410 after an etcd compaction is test/real/outages.test.ts.
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, ResourceType } from '../../src/core/types.js';
import { KubeClient } from '../../src/kube/kube-client.js';
import { collectionPath, kubeListWatch } from '../../src/kube/list-watch.js';
import { Informer, type RestartReason } from '../../src/runtime/informer.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';

// ConfigMaps rather than Secrets: the behaviour is the same and no secret data can end up in test output.
const configMaps: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

let sandbox: Sandbox;
let client: KubeClient;
const apiCalls: string[] = [];
let nsCounter = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ bookmarkIntervalMs: 100 });
  const kc = new KubeConfig();
  kc.loadFromString(sandbox.kubeconfigYaml());
  client = new KubeClient(kc, (verb, resource, code) => apiCalls.push(`${verb} ${resource} ${code}`));
});
afterAll(async () => {
  client.close();
  await sandbox.stop();
});

const running: Array<Informer<KubeObject>> = [];
afterEach(async () => {
  sandbox.faults.clear();
  for (const i of running.splice(0)) await i.stop();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function namespace(): Promise<string> {
  const name = `inf-${++nsCounter}`;
  await client.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { metadata: { name } },
    verb: 'create',
    resource: 'namespaces',
  });
  return name;
}

async function createCm(ns: string, name: string, labels: Record<string, string> = { app: 'x' }) {
  await client.request({
    method: 'POST',
    path: collectionPath(configMaps, ns),
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns, labels },
      data: { v: '1' },
    },
    verb: 'create',
    resource: 'configmaps',
  });
}

async function patchCm(ns: string, name: string, data: Record<string, string>) {
  await client.request({
    method: 'PATCH',
    path: `${collectionPath(configMaps, ns)}/${name}`,
    body: { data },
    contentType: 'application/merge-patch+json',
    verb: 'patch',
    resource: 'configmaps',
  });
}

async function deleteCm(ns: string, name: string) {
  await client.request({
    method: 'DELETE',
    path: `${collectionPath(configMaps, ns)}/${name}`,
    verb: 'delete',
    resource: 'configmaps',
  });
}

/** An informer on `app=x` ConfigMaps, recording every handler call and restart. */
function informer(opts: { pageSize?: number } = {}) {
  const events: string[] = [];
  const restarts: RestartReason[] = [];
  const inf = new Informer<KubeObject>({
    listWatch: kubeListWatch(client, configMaps),
    labelSelector: 'app=x',
    pageSize: opts.pageSize,
    restartBackoff: { baseMs: 20, maxMs: 200 },
    onRestart: (reason) => restarts.push(reason),
  });
  inf.onAdd((o) => events.push(`add ${o.metadata.namespace}/${o.metadata.name}`));
  inf.onUpdate((_old, o) => events.push(`update ${o.metadata.namespace}/${o.metadata.name}`));
  inf.onDelete((o) => events.push(`delete ${o.metadata.namespace}/${o.metadata.name}`));
  running.push(inf);
  return { inf, events, restarts };
}

describe('Informer over the sandbox', () => {
  it('lists only labelled objects across namespaces, page by page, then reports synced', async () => {
    const a = await namespace();
    const b = await namespace();
    for (let i = 0; i < 5; i++) await createCm(a, `cm-${i}`);
    await createCm(b, 'cm-b');
    await createCm(b, 'other', { app: 'y' });
    const { inf, events } = informer({ pageSize: 2 });
    apiCalls.length = 0;
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(5000));
    expect(inf.hasSynced()).toBe(true);
    const mine = inf.list().filter((o) => [a, b].includes(o.metadata.namespace!));
    expect(mine.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(
      [...[0, 1, 2, 3, 4].map((i) => `${a}/cm-${i}`), `${b}/cm-b`].sort(),
    );
    expect(inf.get(`${b}/other`)).toBeUndefined();
    expect(inf.get(`${a}/cm-0`)?.kind).toBe('ConfigMap');
    expect(events.filter((e) => e.startsWith('add')).length).toBe(inf.list().length);
    // pageSize 2 over every app=x ConfigMap in the sandbox: more than one list request
    expect(apiCalls.filter((c) => c === 'list configmaps 200').length).toBeGreaterThan(1);
    await waitFor(() => apiCalls.includes('watch configmaps 200'), 'the watch to be counted');
  });

  it('delivers add, update and delete from the watch', async () => {
    const ns = await namespace();
    const { inf, events } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    await createCm(ns, 'w1');
    await createCm(ns, 'unlabelled', { app: 'nope' });
    await patchCm(ns, 'w1', { v: '2' });
    await deleteCm(ns, 'w1');
    await waitFor(() => events.includes(`delete ${ns}/w1`), 'the delete event');
    expect(events.filter((e) => e.includes(`${ns}/`))).toEqual([
      `add ${ns}/w1`,
      `update ${ns}/w1`,
      `delete ${ns}/w1`,
    ]);
    expect(inf.get(`${ns}/w1`)).toBeUndefined();
  });

  it('re-watches from the last resourceVersion after the server drops watches, missing nothing', async () => {
    const ns = await namespace();
    const { inf, events, restarts } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    const listsBefore = apiCalls.filter((c) => c.startsWith('list configmaps')).length;
    sandbox.faults.dropWatches();
    await waitFor(() => restarts.includes('closed'), 'a closed restart');
    await createCm(ns, 'after-drop');
    await waitFor(() => events.includes(`add ${ns}/after-drop`), 'the event after the drop');
    expect(apiCalls.filter((c) => c.startsWith('list configmaps')).length).toBe(listsBefore);
    expect(restarts).not.toContain('gone');
  });

  it('relists on 410 Gone and emits the changes it missed as add/update/delete', async () => {
    const ns = await namespace();
    await createCm(ns, 'keep');
    await createCm(ns, 'change');
    await createCm(ns, 'remove');
    const { inf, events, restarts } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    // Watches refused while the objects change, so the informer can only learn of them by relisting.
    sandbox.faults.refuseWatches(true);
    sandbox.faults.dropWatches();
    await waitFor(() => restarts.includes('error'), 'a failed re-watch');
    events.length = 0;
    await createCm(ns, 'new');
    await patchCm(ns, 'change', { v: '2' });
    await deleteCm(ns, 'remove');
    sandbox.faults.compactHistory();
    sandbox.faults.refuseWatches(false);
    await waitFor(() => events.includes(`delete ${ns}/remove`), 'the synthetic delete');
    expect(restarts).toContain('gone');
    expect(events.filter((e) => e.includes(`${ns}/`)).sort()).toEqual(
      [`add ${ns}/new`, `delete ${ns}/remove`, `update ${ns}/change`].sort(),
    );
    expect(inf.get(`${ns}/change`)?.data).toEqual({ v: '2' });
    // and it watches again afterwards
    await createCm(ns, 'after-relist');
    await waitFor(() => events.includes(`add ${ns}/after-relist`), 'an event after the relist');
  });

  it('restarts with backoff through injected 500s on watch and recovers', async () => {
    const ns = await namespace();
    const { inf, events, restarts } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    const remove = sandbox.faults.failRequests({
      fraction: 1,
      code: 500,
      verbs: ['watch'],
      resources: ['configmaps'],
    });
    sandbox.faults.dropWatches();
    await waitFor(() => restarts.filter((r) => r === 'error').length >= 3, 'three failed re-watches');
    expect(inf.brokenSince()).not.toBeNull();
    expect(apiCalls).toContain('watch configmaps 500');
    remove();
    await waitFor(() => inf.brokenSince() === null, 'the watch to be re-established');
    await createCm(ns, 'after-500s');
    await waitFor(() => events.includes(`add ${ns}/after-500s`), 'an event after recovery');
  });

  it('reports brokenSince while watches are refused and clears it once a watch is back', async () => {
    const { inf, restarts } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    expect(inf.brokenSince()).toBeNull();
    expect(inf.lastHealthyAt()).not.toBeNull();
    sandbox.faults.refuseWatches(true);
    const before = Date.now();
    sandbox.faults.dropWatches();
    await waitFor(() => inf.brokenSince() !== null, 'brokenSince to be set');
    const since = inf.brokenSince()!;
    expect(since).toBeGreaterThanOrEqual(before);
    await waitFor(() => restarts.filter((r) => r === 'error').length >= 2, 'a second failed watch');
    // still the start of the outage, not the latest failure
    expect(inf.brokenSince()).toBe(since);
    sandbox.faults.refuseWatches(false);
    await waitFor(() => inf.brokenSince() === null, 'brokenSince to clear');
  });

  it('stops for good on stop(), with no further requests', async () => {
    const { inf } = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => inf.isWatching(), 'the watch to open');
    await inf.stop();
    const calls = apiCalls.length;
    sandbox.faults.dropWatches();
    await new Promise((r) => setTimeout(r, 100));
    expect(apiCalls.length).toBe(calls);
  });
});
