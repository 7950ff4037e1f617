// Sandbox-only (SPEC §10): takes a remote cluster down with the sandbox's fault injection; a policy reaching a
// real second control plane is in test/real/cross-cluster.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Harness } from '../helpers/harness.js';
import { TestKube } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';
import { b64, expectPolicy, installPolicyCrd, operatorSecret, policy } from './mirror-policy-scenarios.js';

/**
 * MirrorPolicy with `spec.targetClusters` (SPEC §8 × §11) on three sandbox clusters: `east` (the selected objects,
 * the policies and the controller), `west` and `north` registered by Secrets in the controller namespace. Every
 * assertion reads the clusters over HTTP; the controller is the real one. `north` is registered but never named,
 * so a policy's mirrors appearing there would be a targeting bug.
 */
const P = 'kubemirror.io';
const API = `${P}/v1alpha1`;
const CONTROLLER_NS = 'kubemirror';
const FLAGS = ['--remote-clusters', '--cluster-name', 'east', '--leader-election-namespace', CONTROLLER_NS];

let h: Harness;
const remotes = new Map<string, { sandbox: Sandbox; kube: TestKube }>();

function remote(name: string) {
  const r = remotes.get(name);
  if (!r) throw new Error(`no remote ${name}`);
  return r;
}

/** The kube client of a cluster by name (`east` is the home cluster). */
const kubeOf = (cluster: string) => (cluster === 'east' ? h.kube : remote(cluster).kube);

/** namespace → mirror (labelled `P/mirror=true`) of the Secrets named `name` in a cluster */
async function mirrorsIn(cluster: string, name: string): Promise<Map<string, KubeObject>> {
  const items = await kubeOf(cluster).list('v1', 'Secret', undefined, `${P}/mirror=true`);
  return new Map(items.filter((o) => o.metadata.name === name).map((o) => [o.metadata.namespace ?? '', o]));
}

/** Waits until the mirrors of Secret `name` in `cluster` are in exactly `namespaces`; returns them. */
function expectMirrors(cluster: string, name: string, namespaces: string[], timeoutMs = 20_000) {
  const want = [...namespaces].sort().join(',');
  return waitFor(
    `Secret ${name} mirrored in ${cluster} into exactly [${want}]`,
    () => mirrorsIn(cluster, name),
    (m) => [...m.keys()].sort().join(',') === want,
    { timeoutMs },
  );
}

const password = (o: KubeObject | null | undefined) =>
  (o?.data as Record<string, string> | undefined)?.password;

async function namespaces(cluster: string, ...specs: Array<string | [string, Record<string, string>]>) {
  for (const s of specs) {
    const [name, labels] = typeof s === 'string' ? [s, {}] : s;
    await kubeOf(cluster).namespace(name, labels);
  }
}

async function registration(name: string): Promise<{ name: string; up: boolean } | undefined> {
  const res = await fetch(`http://${h.running?.http.probeAddress}/status`);
  const s = (await res.json()) as { clusters: { registered: { name: string; up: boolean }[] } };
  return s.clusters.registered.find((c) => c.name === name);
}

/** Waits until the controller's periodic health look (the `kubemirror_cluster_up` gauge) says `up` of a cluster. */
function expectHealthLook(cluster: string, up: boolean) {
  const line = `kubemirror_cluster_up{cluster="${cluster}"} ${up ? 1 : 0}`;
  return waitFor(
    line,
    async () => (await fetch(`http://${h.running?.http.metricsAddress}/metrics`)).text(),
    (m) => m.split('\n').includes(line),
    { timeoutMs: 20_000 },
  );
}

/**
 * Makes a cluster unreachable for the controller: lists, watches and writes fail, open watches end, new ones are
 * refused. Reads by name are still answered, so the test can look at what is there meanwhile.
 */
function takeDown(sandbox: Sandbox): () => void {
  const undo = sandbox.faults.failRequests({
    fraction: 1,
    code: 503,
    verbs: ['list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
  });
  sandbox.faults.refuseWatches(true);
  sandbox.faults.dropWatches();
  return () => {
    undo();
    sandbox.faults.refuseWatches(false);
  };
}

/** The selected object as kubemirror must leave it: same resourceVersion, nothing of kubemirror's on it. */
async function expectUntouched(selected: KubeObject): Promise<void> {
  const { namespace, name } = selected.metadata;
  const live = await h.kube.get('v1', 'Secret', namespace ?? '', name);
  expect(live?.metadata.resourceVersion).toBe(selected.metadata.resourceVersion);
  expect(live?.metadata.finalizers).toBeUndefined();
  const ours = (m: Record<string, string> | undefined) => Object.keys(m ?? {}).filter((k) => k.startsWith(P));
  expect(ours(live?.metadata.annotations)).toEqual([]);
  expect(ours(live?.metadata.labels)).toEqual([]);
  const managers = ((live?.metadata.managedFields ?? []) as Array<{ manager?: string }>).map(
    (m) => m.manager,
  );
  expect(managers).not.toContain('kubemirror');
}

/** The policy's status counts, with the fields the shared `expectPolicy` type leaves out. */
type Counts = {
  sources?: number;
  targets?: number;
  synced?: number;
  conflicts?: number;
  failed?: number;
  coverage?: number;
  level?: string;
};

const selectSecret = (name: string) => [{ apiVersion: 'v1', kind: 'Secret', names: [name] }];

beforeAll(async () => {
  h = await Harness.start({ controller: false });
  await installPolicyCrd(h.kube);
  await h.kube.namespace(CONTROLLER_NS);
  for (const name of ['west', 'north']) {
    const sandbox = await startSandbox({ historyWindow: 200 });
    remotes.set(name, { sandbox, kube: new TestKube(sandbox.kubeconfigYaml()) });
    await h.kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `cluster-${name}`,
        namespace: CONTROLLER_NS,
        labels: { [`${P}/cluster`]: 'true' },
        annotations: { [`${P}/cluster-name`]: name },
      },
      data: { kubeconfig: b64(sandbox.kubeconfigYaml()) },
    });
  }
  await h.startController(FLAGS);
  for (const name of ['west', 'north'])
    await waitFor(
      `${name} registered and up`,
      () => registration(name),
      (c) => c?.up === true,
      {
        timeoutMs: 20_000,
      },
    );
});

afterAll(async () => {
  await h?.stop();
  for (const r of remotes.values()) await r.sandbox.stop();
});

describe('a MirrorPolicy with targetClusters', () => {
  it('[west]: the mirrors appear in west’s matching namespaces only, marked with the policy and the source cluster; the selected Secret is never written', async () => {
    await namespaces('east', 'a-db', 'a-t1');
    await namespaces('west', 'a-t1', 'a-t2', 'a-x');
    await namespaces('north', 'a-t1');
    const src = await h.kube.create(operatorSecret('a-db', 'a-creds'));
    await h.kube.create(
      policy('a-db', 'to-west', {
        resources: selectSecret('a-creds'),
        targetNamespaces: ['a-t*'],
        targetClusters: ['west'],
      }),
    );
    const west = await expectMirrors('west', 'a-creds', ['a-t1', 'a-t2']);
    for (const m of west.values()) {
      expect(m.data).toEqual(src.data);
      expect(m.metadata.annotations).toMatchObject({
        [`${P}/policy`]: 'to-west',
        [`${P}/source-cluster`]: 'east',
        [`${P}/source-namespace`]: 'a-db',
        [`${P}/source-name`]: 'a-creds',
        [`${P}/source-uid`]: src.metadata.uid,
      });
    }
    const s = (await expectPolicy(h.kube, 'a-db', 'to-west', (_s, r) => r.reason === 'Synced')) as Counts;
    // a-t1 exists here and in north too: neither is a target
    await expectMirrors('east', 'a-creds', []);
    await expectMirrors('north', 'a-creds', []);
    expect(s).toMatchObject({
      sources: 1,
      targets: 2,
      synced: 2,
      conflicts: 0,
      coverage: 100,
      level: 'Full',
    });
    await expectUntouched(src);

    // a west mirror deleted by hand is made again there (the remote mirror watch)
    const before = west.get('a-t2');
    await remote('west').kube.delete('v1', 'Secret', 'a-t2', 'a-creds');
    await waitFor(
      'the west mirror recreated',
      () => remote('west').kube.get('v1', 'Secret', 'a-t2', 'a-creds'),
      (m) => m !== null && m.metadata.uid !== before?.metadata.uid,
    );
    await expectUntouched(src);
  });

  it('[local, west]: namespaces and the namespace selector resolved in each cluster; a data change reaches both; status counts (cluster, namespace) pairs; deleting the policy empties both clusters before it goes', async () => {
    await namespaces('east', 'b-db', 'b-t1', ['b-picked', { pick: 'b' }]);
    await namespaces('west', 'b-t1', 'b-t2', ['b-chosen', { pick: 'b' }]);
    await namespaces('north', 'b-t1');
    let src = await h.kube.create(operatorSecret('b-db', 'b-creds'));
    await h.kube.create(
      policy('b-db', 'both', {
        resources: selectSecret('b-creds'),
        targetNamespaces: ['b-t*'],
        targetNamespaceSelector: { matchLabels: { pick: 'b' } },
        targetClusters: ['local', 'west'],
      }),
    );
    const local = await expectMirrors('east', 'b-creds', ['b-picked', 'b-t1']);
    const west = await expectMirrors('west', 'b-creds', ['b-chosen', 'b-t1', 'b-t2']);
    for (const m of local.values()) {
      expect(m.metadata.annotations?.[`${P}/policy`]).toBe('both');
      // a mirror in the source's own cluster names no source cluster
      expect(m.metadata.annotations?.[`${P}/source-cluster`]).toBeUndefined();
    }
    for (const m of west.values())
      expect(m.metadata.annotations).toMatchObject({
        [`${P}/policy`]: 'both',
        [`${P}/source-cluster`]: 'east',
      });
    await expectMirrors('north', 'b-creds', []);
    const s = (await expectPolicy(h.kube, 'b-db', 'both', (_s, r) => r.reason === 'Synced')) as Counts & {
      conditions?: { message: string }[];
    };
    expect(s.conditions?.[0]?.message).toBe('Synced 5/5');
    expect(s).toMatchObject({
      sources: 1,
      targets: 5,
      synced: 5,
      conflicts: 0,
      coverage: 100,
      level: 'Full',
    });
    await expectUntouched(src);

    // the operator rotates the password: every mirror in both clusters follows, the Secret is still not written
    src = await h.kube.mergePatch('v1', 'Secret', 'b-db', 'b-creds', { data: { password: b64('rotated') } });
    for (const [cluster, mirrors] of [
      ['east', local],
      ['west', west],
    ] as const)
      await waitFor(
        `the rotated password in every ${cluster} mirror`,
        () => mirrorsIn(cluster, 'b-creds'),
        (m) => m.size === mirrors.size && [...m.values()].every((o) => password(o) === b64('rotated')),
      );
    await expectUntouched(src);

    const live = await h.kube.get(API, 'MirrorPolicy', 'b-db', 'both');
    expect(live?.metadata.finalizers).toContain(`${P}/finalizer`);
    await h.kube.delete(API, 'MirrorPolicy', 'b-db', 'both');
    await waitFor(
      'policy deleted',
      () => h.kube.get(API, 'MirrorPolicy', 'b-db', 'both'),
      (o) => o === null,
    );
    // by the time the finalizer let the policy go, its mirrors were deleted in every cluster
    expect([...(await mirrorsIn('east', 'b-creds')).keys()]).toEqual([]);
    expect([...(await mirrorsIn('west', 'b-creds')).keys()]).toEqual([]);
    await expectUntouched(src);
  });

  it('edited to drop west: west’s mirrors go and the local ones stay as they are; a glob brings west back, local then goes', async () => {
    await namespaces('east', 'c-db', 'c-t1');
    await namespaces('west', 'c-t1');
    await namespaces('north', 'c-t1');
    const src = await h.kube.create(operatorSecret('c-db', 'c-creds'));
    await h.kube.create(
      policy('c-db', 'edited', {
        resources: selectSecret('c-creds'),
        targetNamespaces: ['c-t1'],
        targetClusters: ['local', 'west'],
      }),
    );
    const local = await expectMirrors('east', 'c-creds', ['c-t1']);
    await expectMirrors('west', 'c-creds', ['c-t1']);
    await expectPolicy(h.kube, 'c-db', 'edited', (s: Counts, r) => r.reason === 'Synced' && s.targets === 2);

    await h.kube.mergePatch(API, 'MirrorPolicy', 'c-db', 'edited', { spec: { targetClusters: ['local'] } });
    await expectMirrors('west', 'c-creds', []);
    const kept = await expectMirrors('east', 'c-creds', ['c-t1']);
    expect(kept.get('c-t1')?.metadata.uid).toBe(local.get('c-t1')?.metadata.uid);
    expect(kept.get('c-t1')?.metadata.resourceVersion).toBe(local.get('c-t1')?.metadata.resourceVersion);
    const s = (await expectPolicy(h.kube, 'c-db', 'edited', (_s, r) => r.reason === 'Synced')) as Counts;
    expect(s).toMatchObject({ targets: 1, synced: 1, coverage: 100, level: 'Full' });

    // `w*` names west (not north), and no longer this cluster
    await h.kube.mergePatch(API, 'MirrorPolicy', 'c-db', 'edited', { spec: { targetClusters: ['w*'] } });
    const back = await expectMirrors('west', 'c-creds', ['c-t1']);
    expect(back.get('c-t1')?.metadata.annotations?.[`${P}/policy`]).toBe('edited');
    await expectMirrors('east', 'c-creds', []);
    await expectMirrors('north', 'c-creds', []);
    await expectPolicy(
      h.kube,
      'c-db',
      'edited',
      (st: Counts, r) => r.message === 'Synced 1/1' && st.targets === 1,
    );
    await expectUntouched(src);
  });

  it('the selected Secret deleted: its mirrors in west go, the policy stays and counts no source', async () => {
    await namespaces('east', 'f-db');
    await namespaces('west', 'f-t1', 'f-t2');
    await h.kube.create(operatorSecret('f-db', 'f-creds'));
    await h.kube.create(
      policy('f-db', 'loses', {
        resources: selectSecret('f-creds'),
        targetNamespaces: ['f-t*'],
        targetClusters: ['west'],
      }),
    );
    await expectMirrors('west', 'f-creds', ['f-t1', 'f-t2']);
    await h.kube.delete('v1', 'Secret', 'f-db', 'f-creds');
    await expectMirrors('west', 'f-creds', []);
    const s = (await expectPolicy(
      h.kube,
      'f-db',
      'loses',
      (st: Counts, r) => r.reason === 'Synced' && st.sources === 0,
    )) as Counts;
    expect(s).toMatchObject({ targets: 0, synced: 0 });
  });

  it('deleted while west is unreachable: the local mirrors go, the policy is held by its finalizer until west is back and cleaned', async () => {
    await namespaces('east', 'd-db', 'd-t1');
    await namespaces('west', 'd-t1', 'd-t2');
    const src = await h.kube.create(operatorSecret('d-db', 'd-creds'));
    await h.kube.create(
      policy('d-db', 'held', {
        resources: selectSecret('d-creds'),
        targetNamespaces: ['d-t*'],
        targetClusters: ['local', 'west'],
      }),
    );
    await expectMirrors('east', 'd-creds', ['d-t1']);
    const before = await expectMirrors('west', 'd-creds', ['d-t1', 'd-t2']);
    await expectPolicy(h.kube, 'd-db', 'held', (_s, r) => r.message === 'Synced 3/3');

    const west = remote('west');
    await expectHealthLook('west', true);
    const bringBack = takeDown(west.sandbox);
    try {
      // no wait for the periodic health look to see west down: the cleanup that found it unavailable is enough
      // for its return to be announced (it once waited for a 30 s recheck when the outage fell between looks)
      await h.kube.delete(API, 'MirrorPolicy', 'd-db', 'held');
      await expectMirrors('east', 'd-creds', []);
      // west cannot be cleaned: the policy stays, being deleted, with its finalizer
      await waitFor(
        'the controller keeping the finalizer for west',
        () =>
          h.logs.some(
            (l) =>
              l.includes('finalizer kept until these clusters can be cleaned up') && l.includes('d-db/held'),
          ),
        Boolean,
      );
      const held = await h.kube.get(API, 'MirrorPolicy', 'd-db', 'held');
      expect(held?.metadata.deletionTimestamp).toBeTruthy();
      expect(held?.metadata.finalizers).toContain(`${P}/finalizer`);
      for (const ns of ['d-t1', 'd-t2'])
        expect((await west.kube.get('v1', 'Secret', ns, 'd-creds'))?.metadata.uid).toBe(
          before.get(ns)?.metadata.uid,
        );
    } finally {
      bringBack();
    }
    await waitFor(
      'policy deleted once west is back',
      () => h.kube.get(API, 'MirrorPolicy', 'd-db', 'held'),
      (o) => o === null,
      { timeoutMs: 20_000 },
    );
    expect([...(await mirrorsIn('west', 'd-creds')).keys()]).toEqual([]);
    expect([...(await mirrorsIn('east', 'd-creds')).keys()]).toEqual([]);
    await expectUntouched(src);
  }, 60_000);

  it('a Secret of the same name in west that kubemirror did not write is a conflict: never overwritten, never deleted', async () => {
    await namespaces('east', 'e-db');
    await namespaces('west', 'e-t1', 'e-t2', 'e-t3', 'e-t4');
    const west = remote('west').kube;
    // e-t1: the team's own Secret
    await west.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'e-creds', namespace: 'e-t1' },
      data: { password: b64('theirs') },
    });
    // e-t2: a mirror of a same-named source in another cluster (south), as that cluster's kubemirror wrote it
    await west.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'e-creds',
        namespace: 'e-t2',
        labels: { [`${P}/mirror`]: 'true' },
        annotations: {
          [`${P}/source-namespace`]: 'e-db',
          [`${P}/source-name`]: 'e-creds',
          [`${P}/source-uid`]: 'uid-in-south',
          [`${P}/source-cluster`]: 'south',
        },
      },
      data: { password: b64('from-south') },
    });
    await h.kube.create(operatorSecret('e-db', 'e-creds'));
    // e-t3: looks like this policy's mirror from east (of an earlier incarnation of the Secret), but a person
    // made it (`kubectl get -o yaml | kubectl apply`): kubemirror's field manager never wrote it
    await west.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'e-creds',
        namespace: 'e-t3',
        labels: { [`${P}/mirror`]: 'true', [`${P}/managed-by`]: 'kubemirror' },
        annotations: {
          [`${P}/source-namespace`]: 'e-db',
          [`${P}/source-name`]: 'e-creds',
          [`${P}/source-uid`]: 'an-earlier-uid',
          [`${P}/source-cluster`]: 'east',
          [`${P}/policy`]: 'claims',
        },
      },
      data: { password: b64('copied') },
    });
    const occupied = ['e-t1', 'e-t2', 'e-t3'];
    const before = new Map(
      await Promise.all(
        occupied.map(async (ns) => [ns, await west.get('v1', 'Secret', ns, 'e-creds')] as const),
      ),
    );
    const expectOccupantsUntouched = async () => {
      for (const ns of occupied) {
        const now = await west.get('v1', 'Secret', ns, 'e-creds');
        expect(now?.metadata.uid, `west/${ns}`).toBe(before.get(ns)?.metadata.uid);
        expect(now?.metadata.resourceVersion, `west/${ns}`).toBe(before.get(ns)?.metadata.resourceVersion);
      }
    };

    await h.kube.create(
      policy('e-db', 'claims', {
        resources: selectSecret('e-creds'),
        targetNamespaces: ['e-t*'],
        targetClusters: ['west'],
      }),
    );
    const s = (await expectPolicy(
      h.kube,
      'e-db',
      'claims',
      (st: Counts) => st.conflicts === 3 && st.synced === 1,
    )) as Counts & { conditions?: { status: string; reason: string; message: string }[] };
    expect(s.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'Partial',
      message: 'Partial 1/4: 3 conflicts (west/e-t1, west/e-t2, west/e-t3)',
    });
    expect(s).toMatchObject({
      sources: 1,
      targets: 4,
      synced: 1,
      conflicts: 3,
      coverage: 25,
      level: 'Partial',
    });
    const mine = await west.get('v1', 'Secret', 'e-t4', 'e-creds');
    expect(mine?.metadata.annotations?.[`${P}/policy`]).toBe('claims');
    await expectOccupantsUntouched();

    // a change of the Secret reaches the free namespace and still not the occupied ones
    await h.kube.mergePatch('v1', 'Secret', 'e-db', 'e-creds', { data: { password: b64('v2') } });
    await waitFor(
      'the change in west/e-t4',
      () => west.get('v1', 'Secret', 'e-t4', 'e-creds'),
      (m) => password(m) === b64('v2'),
    );
    await expectPolicy(h.kube, 'e-db', 'claims', (st: Counts) => st.conflicts === 3 && st.synced === 1);
    await expectOccupantsUntouched();

    // the policy deleted: its one mirror goes; what it did not write stays
    await h.kube.delete(API, 'MirrorPolicy', 'e-db', 'claims');
    await waitFor(
      'policy deleted',
      () => h.kube.get(API, 'MirrorPolicy', 'e-db', 'claims'),
      (o) => o === null,
    );
    expect(await west.get('v1', 'Secret', 'e-t4', 'e-creds')).toBeNull();
    await expectOccupantsUntouched();
    expect(await h.kube.get('v1', 'Secret', 'e-db', 'e-creds')).not.toBeNull();
  });
});
