import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type OwnerState, planDependent } from '../../src/sandbox/garbage-collector.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Kubectl, waitFor } from './helpers.js';

let sandbox: Sandbox;
let kubectl: Kubectl;

beforeAll(async () => {
  sandbox = await startSandbox();
  kubectl = new Kubectl();
  await sandbox.writeKubeconfig(kubectl.kubeconfig);
  for (const ns of ['gc-a', 'gc-b']) await send('POST', '/api/v1/namespaces', { metadata: { name: ns } });
});
afterAll(async () => {
  await sandbox.stop();
  kubectl.cleanup();
});

async function send(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

async function getCm(ns: string, name: string): Promise<KubeObject | undefined> {
  const r = await send('GET', cmPath(ns, name));
  return r.status === 200 ? (r.json as KubeObject) : undefined;
}

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
}

const refTo = (owner: KubeObject, extra: Partial<Ref> = {}): Ref => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? '',
  ...extra,
});

/** A ConfigMap builder: aConfigMap('ns', 'name').ownedBy(ref).withFinalizer('x').create() */
function aConfigMap(ns: string, name: string) {
  const metadata: Record<string, unknown> = { name };
  const b = {
    ownedBy(...refs: Ref[]) {
      metadata.ownerReferences = refs;
      return b;
    },
    withFinalizer(f: string) {
      metadata.finalizers = [f];
      return b;
    },
    async create(): Promise<KubeObject> {
      const r = await send('POST', cmPath(ns), { metadata, data: { k: 'v' } });
      if (r.status !== 201) throw new Error(`create ${ns}/${name}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json as KubeObject;
    },
  };
  return b;
}

const gone = (ns: string, name: string) => async () => (await getCm(ns, name)) === undefined;

/** Something the GC must act on: once it is collected, work queued before it has been done too. */
async function gcRoundTrip(ns: string): Promise<void> {
  const name = `probe-${randomUUID().slice(0, 8)}`;
  await aConfigMap(ns, name)
    .ownedBy({ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: randomUUID() })
    .create();
  await waitFor(gone(ns, name), 5000, `probe ${name} collected`);
}

describe('garbage collection of ownerReferences', () => {
  it('background (kubectl --cascade=background) deletes the owner at once and then its dependents', async () => {
    const owner = await aConfigMap('gc-a', 'bg-owner').create();
    await aConfigMap('gc-a', 'bg-dep').ownedBy(refTo(owner)).create();
    await kubectl.ok(['delete', 'cm', 'bg-owner', '-n', 'gc-a', '--cascade=background']);
    expect(await getCm('gc-a', 'bg-owner')).toBeUndefined();
    await waitFor(gone('gc-a', 'bg-dep'), 5000, 'dependent collected');
  });

  it('foreground keeps the owner with the foregroundDeletion finalizer until blocking dependents are gone', async () => {
    const owner = await aConfigMap('gc-a', 'fg-owner').create();
    await aConfigMap('gc-a', 'fg-dep')
      .ownedBy(refTo(owner, { blockOwnerDeletion: true }))
      .withFinalizer('example.com/hold')
      .create();
    await kubectl.ok(['delete', 'cm', 'fg-owner', '-n', 'gc-a', '--cascade=foreground', '--wait=false']);
    const dep = await waitFor(
      async () => {
        const d = await getCm('gc-a', 'fg-dep');
        return d?.metadata.deletionTimestamp ? d : undefined;
      },
      5000,
      'dependent deleted by the GC',
    );
    const held = await getCm('gc-a', 'fg-owner');
    expect(held?.metadata.deletionTimestamp).toBeDefined();
    expect(held?.metadata.finalizers).toEqual(['foregroundDeletion']);
    await send('PATCH', cmPath('gc-a', 'fg-dep'), {
      metadata: { finalizers: null, resourceVersion: dep.metadata.resourceVersion },
    });
    await waitFor(gone('gc-a', 'fg-owner'), 5000, 'owner gone after its dependent');
    expect(await getCm('gc-a', 'fg-dep')).toBeUndefined();
  });

  it('foreground through kubectl waits for the cascade and deletes every dependent', async () => {
    const owner = await aConfigMap('gc-a', 'fgw-owner').create();
    await aConfigMap('gc-a', 'fgw-dep1')
      .ownedBy(refTo(owner, { blockOwnerDeletion: true }))
      .create();
    await aConfigMap('gc-a', 'fgw-dep2').ownedBy(refTo(owner)).create();
    await kubectl.ok(['delete', 'cm', 'fgw-owner', '-n', 'gc-a', '--cascade=foreground', '--timeout=10s']);
    expect(await getCm('gc-a', 'fgw-owner')).toBeUndefined();
    expect(await getCm('gc-a', 'fgw-dep1')).toBeUndefined();
    await waitFor(gone('gc-a', 'fgw-dep2'), 5000, 'non-blocking dependent collected');
  });

  it('orphan (kubectl --cascade=orphan) removes the owner reference from dependents, which stay', async () => {
    const owner = await aConfigMap('gc-a', 'or-owner').create();
    const other = await aConfigMap('gc-a', 'or-other').create();
    await aConfigMap('gc-a', 'or-dep').ownedBy(refTo(owner), refTo(other)).create();
    await kubectl.ok(['delete', 'cm', 'or-owner', '-n', 'gc-a', '--cascade=orphan']);
    await waitFor(gone('gc-a', 'or-owner'), 5000, 'owner gone once orphaning is done');
    const dep = await getCm('gc-a', 'or-dep');
    expect(dep?.metadata.ownerReferences).toEqual([refTo(other)]);
  });

  it('orphanDependents=true in DeleteOptions orphans too, and a lone reference leaves no ownerReferences', async () => {
    const owner = await aConfigMap('gc-a', 'od-owner').create();
    await aConfigMap('gc-a', 'od-dep').ownedBy(refTo(owner)).create();
    const del = await send('DELETE', cmPath('gc-a', 'od-owner'), { orphanDependents: true });
    expect((del.json as KubeObject).metadata.finalizers).toEqual(['orphan']);
    await waitFor(gone('gc-a', 'od-owner'), 5000, 'owner gone');
    const dep = await getCm('gc-a', 'od-dep');
    expect(dep).toBeDefined();
    expect(dep?.metadata.ownerReferences).toBeUndefined();
  });

  it('collects a dependent whose owner is in another namespace and records OwnerRefInvalidNamespace', async () => {
    const owner = await aConfigMap('gc-a', 'xns-owner').create();
    const dep = await aConfigMap('gc-b', 'xns-dep').ownedBy(refTo(owner)).create();
    await waitFor(gone('gc-b', 'xns-dep'), 5000, 'cross-namespace dependent collected');
    expect(await getCm('gc-a', 'xns-owner')).toBeDefined();
    const events = (await send('GET', '/api/v1/namespaces/gc-b/events')).json as { items: KubeObject[] };
    const ev = events.items.find((e) => e.reason === 'OwnerRefInvalidNamespace');
    expect(ev?.involvedObject).toMatchObject({ kind: 'ConfigMap', name: 'xns-dep', uid: dep.metadata.uid });
    expect(ev?.type).toBe('Warning');
    expect(ev?.message).toBe(
      `ownerRef [v1/ConfigMap, namespace: gc-b, name: xns-owner, uid: ${owner.metadata.uid}] does not exist in namespace "gc-b"`,
    );
  });

  it('collects a dependent of an owner uid that never existed, or of a same-named owner with another uid', async () => {
    await aConfigMap('gc-a', 'twin').create();
    await aConfigMap('gc-a', 'dangling')
      .ownedBy({ apiVersion: 'v1', kind: 'ConfigMap', name: 'twin', uid: randomUUID() })
      .create();
    await waitFor(gone('gc-a', 'dangling'), 5000, 'dangling dependent collected');
    expect(await getCm('gc-a', 'twin')).toBeDefined();
  });

  it('keeps a dependent with another live owner and drops only the reference to the deleted one', async () => {
    const a = await aConfigMap('gc-a', 'two-a').create();
    const b = await aConfigMap('gc-a', 'two-b').create();
    await aConfigMap('gc-a', 'two-dep').ownedBy(refTo(a), refTo(b)).create();
    await send('DELETE', cmPath('gc-a', 'two-a'));
    const dep = await waitFor(
      async () => {
        const d = await getCm('gc-a', 'two-dep');
        return d && (d.metadata.ownerReferences ?? []).length === 1 ? d : undefined;
      },
      5000,
      'dangling reference removed',
    );
    expect(dep.metadata.ownerReferences).toEqual([refTo(b)]);
    expect(dep.metadata.deletionTimestamp).toBeUndefined();
  });

  it('a dryRun delete of an owner collects nothing and sets no finalizer', async () => {
    const owner = await aConfigMap('gc-a', 'dry-owner').create();
    await aConfigMap('gc-a', 'dry-dep').ownedBy(refTo(owner)).create();
    const del = await send('DELETE', cmPath('gc-a', 'dry-owner'), {
      dryRun: ['All'],
      propagationPolicy: 'Foreground',
    });
    expect((del.json as KubeObject).metadata.finalizers).toEqual(['foregroundDeletion']);
    await gcRoundTrip('gc-a');
    expect((await getCm('gc-a', 'dry-owner'))?.metadata.deletionTimestamp).toBeUndefined();
    expect(await getCm('gc-a', 'dry-dep')).toBeDefined();
  });
  it('never collects what it cannot resolve: an unknown owner kind, a namespaced owner of a cluster-scoped object', async () => {
    await aConfigMap('gc-a', 'unknown-kind')
      .ownedBy({ apiVersion: 'example.com/v1', kind: 'Nope', name: 'x', uid: randomUUID() })
      .create();
    const owner = await aConfigMap('gc-a', 'ns-owner').create();
    const role = await send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'gc-role', ownerReferences: [refTo(owner)] },
      rules: [],
    });
    expect(role.status).toBe(201);
    await gcRoundTrip('gc-a');
    expect(await getCm('gc-a', 'unknown-kind')).toBeDefined();
    expect((await send('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/gc-role')).status).toBe(200);
    // the event recorder puts events of cluster-scoped objects into the default namespace
    const events = (await send('GET', '/api/v1/namespaces/default/events')).json as { items: KubeObject[] };
    expect(events.items.find((e) => e.reason === 'OwnerRefInvalidNamespace')?.involvedObject).toMatchObject({
      kind: 'ClusterRole',
      name: 'gc-role',
    });
  });

  it('foreground cascades through a chain: a dependent with dependents of its own is deleted in foreground', async () => {
    const top = await aConfigMap('gc-a', 'chain-top').create();
    const mid = await aConfigMap('gc-a', 'chain-mid')
      .ownedBy(refTo(top, { blockOwnerDeletion: true }))
      .create();
    await aConfigMap('gc-a', 'chain-leaf')
      .ownedBy(refTo(mid, { blockOwnerDeletion: true }))
      .withFinalizer('example.com/hold')
      .create();
    await send('DELETE', cmPath('gc-a', 'chain-top'), { propagationPolicy: 'Foreground' });
    const leaf = await waitFor(
      async () => {
        const d = await getCm('gc-a', 'chain-leaf');
        return d?.metadata.deletionTimestamp ? d : undefined;
      },
      5000,
      'leaf deleted by the GC',
    );
    expect((await getCm('gc-a', 'chain-mid'))?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((await getCm('gc-a', 'chain-top'))?.metadata.finalizers).toEqual(['foregroundDeletion']);
    await send('PATCH', cmPath('gc-a', 'chain-leaf'), {
      metadata: { finalizers: null, resourceVersion: leaf.metadata.resourceVersion },
    });
    await waitFor(gone('gc-a', 'chain-top'), 5000, 'top gone after the chain');
    expect(await getCm('gc-a', 'chain-mid')).toBeUndefined();
  });
  it('namespace termination still empties a namespace whose objects own each other', async () => {
    await send('POST', '/api/v1/namespaces', { metadata: { name: 'gc-term' } });
    const owner = await aConfigMap('gc-term', 'owner').create();
    await aConfigMap('gc-term', 'dep')
      .ownedBy(refTo(owner, { blockOwnerDeletion: true }))
      .create();
    await send('DELETE', cmPath('gc-term', 'owner'), { propagationPolicy: 'Foreground' });
    await kubectl.ok(['delete', 'namespace', 'gc-term', '--timeout=10s']);
    expect((await send('GET', '/api/v1/namespaces/gc-term')).status).toBe(404);
  });
  it('a namespace deleted with --cascade=orphan orphans what it owns elsewhere, then goes', async () => {
    const ns = (await send('POST', '/api/v1/namespaces', { metadata: { name: 'gc-owner-ns' } }))
      .json as KubeObject;
    const nsRef = { apiVersion: 'v1', kind: 'Namespace', name: 'gc-owner-ns', uid: ns.metadata.uid ?? '' };
    await aConfigMap('gc-b', 'owned-by-ns').ownedBy(nsRef).create();
    await kubectl.ok(['delete', 'namespace', 'gc-owner-ns', '--cascade=orphan', '--timeout=10s']);
    expect((await send('GET', '/api/v1/namespaces/gc-owner-ns')).status).toBe(404);
    const dep = await getCm('gc-b', 'owned-by-ns');
    expect(dep).toBeDefined();
    expect(dep?.metadata.ownerReferences).toBeUndefined();
  });
  it('orphanDependents=false means foreground for a namespace but background for other kinds', async () => {
    await aConfigMap('gc-a', 'of-cm').create();
    const opts = { orphanDependents: false, dryRun: ['All'] };
    const ns = await send('DELETE', '/api/v1/namespaces/gc-a', opts);
    expect((ns.json as KubeObject).metadata.finalizers).toEqual(['foregroundDeletion']);
    const cm = await send('DELETE', cmPath('gc-a', 'of-cm'), opts);
    expect((cm.json as { status?: string }).status).toBe('Success');
  });
});

describe('planDependent (attemptToDeleteItem decisions)', () => {
  const owner = (uid: string, state: OwnerState) => ({
    ref: { apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid },
    state,
  });
  it.each([
    ['solid only', [owner('a', 'solid')], [], false, { type: 'none' }],
    [
      'solid and dangling',
      [owner('a', 'solid'), owner('b', 'dangling')],
      [],
      false,
      { type: 'removeOwnerRefs', uids: ['b'] },
    ],
    [
      'solid and waiting',
      [owner('a', 'solid'), owner('b', 'waiting')],
      [],
      false,
      { type: 'removeOwnerRefs', uids: ['b'] },
    ],
    [
      'dangling only',
      [owner('a', 'dangling')],
      [],
      false,
      { type: 'delete', propagationPolicy: 'Background' },
    ],
    [
      'waiting, has dependents',
      [owner('a', 'waiting')],
      [],
      true,
      { type: 'delete', propagationPolicy: 'Foreground' },
    ],
    [
      'waiting, no dependents',
      [owner('a', 'waiting')],
      [],
      false,
      { type: 'delete', propagationPolicy: 'Background' },
    ],
    [
      'dangling, own orphan finalizer',
      [owner('a', 'dangling')],
      ['orphan'],
      false,
      { type: 'delete', propagationPolicy: 'Orphan' },
    ],
    [
      'dangling, own foreground finalizer',
      [owner('a', 'dangling')],
      ['foregroundDeletion'],
      false,
      { type: 'delete', propagationPolicy: 'Foreground' },
    ],
    [
      'unresolvable and dangling',
      [owner('a', 'unresolvable'), owner('b', 'dangling')],
      [],
      false,
      { type: 'none' },
    ],
  ] as const)('%s', (_name, owners, finalizers, hasDependents, expected) => {
    expect(planDependent([...owners], [...finalizers], hasDependents)).toMatchObject(expected);
  });
});
