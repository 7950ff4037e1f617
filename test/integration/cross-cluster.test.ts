// Sandbox-only (SPEC §10): injects faults per cluster and counts requests with the sandbox; two real control planes run test/real/cross-cluster.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microTime } from '../../src/controllers/stale-endpoints.js';
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
const NORTH_TOKEN = 'north-secret-token-3f9a';
/** the controller in east, mirroring into the registered clusters */
const FLAGS = ['--remote-clusters', '--cluster-name', 'east', '--leader-election-namespace', CONTROLLER_NS];

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

async function register(
  name: string,
  sandbox: Sandbox,
  secretName = `cluster-${name}`,
  kubeconfig = sandbox.kubeconfigYaml(),
): Promise<void> {
  await h.kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName,
      namespace: CONTROLLER_NS,
      labels: { [`${P}/cluster`]: 'true' },
      annotations: { [`${P}/cluster-name`]: name },
    },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
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

/** the `a` key of a ConfigMap's data */
const dataA = (m: KubeObject | null | undefined) => (m?.data as Record<string, string> | undefined)?.a;

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

function statusIs(name: string, ok: (line: string) => boolean, timeoutMs = 15_000) {
  return waitFor(`sync-status of src/${name}`, () => statusOf(name), ok, { timeoutMs });
}

async function controllerStatus(): Promise<{
  clusters: {
    registered: { name: string; secret: string; up: boolean; unavailable: string | null; mirrors: number }[];
    removed: { cluster: string; mirrors: number }[];
    rejected: { secret: string; cluster?: string; reason: string }[];
  };
}> {
  const res = await fetch(`http://${h.running?.http.probeAddress}/status`);
  return (await res.json()) as never;
}

/** Makes a cluster unreachable: every request fails, open watches end, new ones are refused. */
function takeDown(r: Remote): () => void {
  const undo = r.sandbox.faults.failRequests({ fraction: 1, code: 503 });
  r.sandbox.faults.refuseWatches(true);
  r.sandbox.faults.dropWatches();
  return () => {
    undo();
    r.sandbox.faults.refuseWatches(false);
  };
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
    // north needs a bearer token: its credentials can be rotated (and be wrong)
    const sandbox = await startSandbox({
      historyWindow: 200,
      ...(name === 'north' ? { token: NORTH_TOKEN } : {}),
    });
    const kube = new TestKube(sandbox.kubeconfigYaml());
    for (const ns of ['src', 'app-1', 'app-2', 'kubemirror-remote']) await kube.namespace(ns);
    remotes.set(name, { name, sandbox, kube });
    await register(name, sandbox);
  }
  await h.startController(FLAGS);
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

describe('targeting across clusters', () => {
  it('globs and `local` in target-clusters; names, globs and selectors resolved in each cluster', async () => {
    await remote('west').kube.namespace('team-a', { tier: 'web' });
    await remote('north').kube.namespace('team-b', { tier: 'web' });
    await h.kube.namespace('team-c', { tier: 'web' });
    await h.kube.apply(
      configMap('everywhere', {
        [`${P}/target-clusters`]: 'local,*',
        [`${P}/target-namespaces`]: 'app-1,app-*',
        [`${P}/target-namespace-selector`]: 'tier=web',
      }),
    );
    await expectMirrors(h.kube, 'ConfigMap', 'everywhere', ['app-1', 'team-c']);
    await expectMirrors(remote('west').kube, 'ConfigMap', 'everywhere', ['app-1', 'app-2', 'team-a']);
    await expectMirrors(remote('north').kube, 'ConfigMap', 'everywhere', ['app-1', 'app-2', 'team-b']);
    await statusIs('everywhere', (l) => l.startsWith('Synced 8/8'));
    // only west now: the local and north mirrors go, west's stay
    await h.kube.mergePatch('v1', 'ConfigMap', 'src', 'everywhere', {
      metadata: { annotations: { [`${P}/target-clusters`]: 'w*' } },
    });
    await expectMirrors(h.kube, 'ConfigMap', 'everywhere', []);
    await expectMirrors(remote('north').kube, 'ConfigMap', 'everywhere', []);
    await expectMirrors(remote('west').kube, 'ConfigMap', 'everywhere', ['app-1', 'app-2', 'team-a']);
    await statusIs('everywhere', (l) => l.startsWith('Synced 3/3'));
  });

  it('a namespace created later in a remote cluster gets its mirror', async () => {
    await h.kube.apply(
      configMap('later', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'late-*' }),
    );
    await statusIs('later', (l) => l.startsWith('Synced 0/0'));
    await remote('west').kube.namespace('late-1');
    await expectMirrors(remote('west').kube, 'ConfigMap', 'later', ['late-1']);
    await statusIs('later', (l) => l.startsWith('Synced 1/1'));
  });

  it('max-targets counts every (cluster, namespace) pair', async () => {
    await h.kube.namespace('cap-1');
    for (const r of ['west', 'north']) await remote(r).kube.namespace('cap-1');
    await h.kube.apply(
      configMap('capped', {
        [`${P}/target-clusters`]: 'local,west,north',
        [`${P}/target-namespaces`]: 'cap-*',
      }),
    );
    await statusIs('capped', (l) => l.startsWith('Synced 3/3'));
    // 3 pairs over a limit of 2: refused as a whole, nothing changed anywhere
    await h.stopController();
    await h.startController([...FLAGS, '--max-targets', '2']);
    await statusIs('capped', (l) => l.includes('3 targets across clusters exceed max-targets 2'));
    await expectMirrors(remote('west').kube, 'ConfigMap', 'capped', ['cap-1']);
    await h.stopController();
    await h.startController(FLAGS);
    await statusIs('capped', (l) => l.startsWith('Synced 3/3'));
  });
});

describe('remote mirrors are kept and owned', () => {
  it('drift in a remote cluster is repaired; a deleted remote mirror is recreated', async () => {
    const west = remote('west').kube;
    await h.kube.apply(
      configMap('kept', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await expectMirrors(west, 'ConfigMap', 'kept', ['app-1']);
    await west.mergePatch('v1', 'ConfigMap', 'app-1', 'kept', { data: { a: 'edited', extra: 'x' } });
    await waitFor(
      'remote mirror restored',
      () => west.get('v1', 'ConfigMap', 'app-1', 'kept'),
      (m) => JSON.stringify(m?.data) === JSON.stringify({ a: '1' }),
    );
    const before = await west.get('v1', 'ConfigMap', 'app-1', 'kept');
    await west.delete('v1', 'ConfigMap', 'app-1', 'kept');
    await waitFor(
      'remote mirror recreated',
      () => west.get('v1', 'ConfigMap', 'app-1', 'kept'),
      (m) => m !== null && m.metadata.uid !== before?.metadata.uid,
    );
  });

  it('a fight with another writer in a remote cluster is recognised there and reported as west/<ns>', async () => {
    const west = remote('west');
    await west.kube.namespace('fight-1');
    await h.kube.apply(
      configMap('fought', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'fight-1' }),
    );
    await expectMirrors(west.kube, 'ConfigMap', 'fought', ['fight-1']);
    const owner = west.sandbox.faults.fieldOwner({
      resource: 'configmaps',
      namespaceSelector: 'kubernetes.io/metadata.name=fight-1',
      manager: 'west-bot',
      annotation: 'example.com/owned',
      value: 'theirs',
    });
    try {
      const line = await statusIs('fought', (l) => l.startsWith('Fighting:'), 30_000);
      expect(line).toBe('Fighting: west/fight-1 (west-bot); Partial 0/1');
      const metrics = await (await fetch(`http://${h.running?.http.metricsAddress}/metrics`)).text();
      expect(metrics).toMatch(/kubemirror_mirrors_fighting\{resource="configmaps"\} [1-9]/);
    } finally {
      owner.stop();
    }
  });

  it("an unmanaged object, or another cluster's mirror, in a remote namespace is left alone and reported", async () => {
    const west = remote('west').kube;
    await west.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'taken', namespace: 'app-1' },
      data: { mine: 'yes' },
    });
    // a mirror of a same-named source from another cluster (south), as that cluster's kubemirror wrote it
    await west.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'taken',
        namespace: 'app-2',
        labels: { [`${P}/mirror`]: 'true' },
        annotations: {
          [`${P}/source-namespace`]: 'src',
          [`${P}/source-name`]: 'taken',
          [`${P}/source-uid`]: 'uid-in-south',
          [`${P}/source-cluster`]: 'south',
        },
      },
      data: { from: 'south' },
    });
    const [a1, a2] = await Promise.all([
      west.get('v1', 'ConfigMap', 'app-1', 'taken'),
      west.get('v1', 'ConfigMap', 'app-2', 'taken'),
    ]);
    await h.kube.apply(
      configMap('taken', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-*' }),
    );
    const line = await statusIs('taken', (l) => l.includes('2 conflicts'));
    expect(line).toContain('west/app-1');
    expect(line).toContain('west/app-2');
    const [b1, b2] = await Promise.all([
      west.get('v1', 'ConfigMap', 'app-1', 'taken'),
      west.get('v1', 'ConfigMap', 'app-2', 'taken'),
    ]);
    expect(b1?.metadata.resourceVersion).toBe(a1?.metadata.resourceVersion);
    expect(b2?.metadata.resourceVersion).toBe(a2?.metadata.resourceVersion);
    // deleting the source deletes nothing that is not provably its mirror from this cluster
    await h.kube.delete('v1', 'ConfigMap', 'src', 'taken');
    await waitFor(
      'source gone',
      () => h.kube.get('v1', 'ConfigMap', 'src', 'taken'),
      (s) => s === null,
    );
    expect((await west.get('v1', 'ConfigMap', 'app-1', 'taken'))?.data).toEqual({ mine: 'yes' });
    expect((await west.get('v1', 'ConfigMap', 'app-2', 'taken'))?.data).toEqual({ from: 'south' });
  });

  it('a deleted source keeps its finalizer until the remote mirrors are gone', async () => {
    await h.kube.apply(
      configMap('doomed', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await expectMirrors(remote('west').kube, 'ConfigMap', 'doomed', ['app-1']);
    await h.kube.delete('v1', 'ConfigMap', 'src', 'doomed');
    await expectMirrors(remote('west').kube, 'ConfigMap', 'doomed', []);
    await waitFor(
      'source gone',
      () => h.kube.get('v1', 'ConfigMap', 'src', 'doomed'),
      (s) => s === null,
    );
  });
});

describe('remote cluster health', () => {
  it('a cluster that is down never stalls the others, is reported, and catches up when back', async () => {
    const west = remote('west');
    await h.kube.apply(
      configMap('resilient', {
        [`${P}/target-clusters`]: 'local,west,north',
        [`${P}/target-namespaces`]: 'app-1',
      }),
    );
    await statusIs('resilient', (l) => l.startsWith('Synced 3/3'));
    const bringBack = takeDown(west);
    try {
      await waitFor(
        'west reported down',
        () => controllerStatus(),
        (s) => s.clusters.registered.find((c) => c.name === 'west')?.up === false,
        { timeoutMs: 20_000 },
      );
      // the gauge follows at the next health look (every 2 s)
      const metrics = await waitFor(
        'kubemirror_cluster_up{cluster="west"} 0',
        async () => (await fetch(`http://${h.running?.http.metricsAddress}/metrics`)).text(),
        (m) => /kubemirror_cluster_up\{cluster="west"\} 0/.test(m),
      );
      expect(metrics).toMatch(/kubemirror_cluster_up\{cluster="north"\} 1/);
      const ready = await fetch(`http://${h.running?.http.probeAddress}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.text()).toMatch(/cluster west: down/);
      // a change while west is down reaches the local cluster and north at once
      await h.kube.mergePatch('v1', 'ConfigMap', 'src', 'resilient', { data: { a: '2' } });
      await waitFor(
        'local and north updated',
        async () => [
          dataA(await h.kube.get('v1', 'ConfigMap', 'app-1', 'resilient')),
          dataA(await remote('north').kube.get('v1', 'ConfigMap', 'app-1', 'resilient')),
        ],
        (v) => v.every((x) => x === '2'),
      );
      await statusIs('resilient', (l) => l.includes('west/*'));
    } finally {
      bringBack();
    }
    await waitFor(
      'west updated once back',
      () => west.kube.get('v1', 'ConfigMap', 'app-1', 'resilient'),
      (m) => dataA(m) === '2',
      { timeoutMs: 30_000 },
    );
    await statusIs('resilient', (l) => l.startsWith('Synced 3/3'), 30_000);
    // nothing duplicated: one mirror per namespace
    expect([...(await mirrorsIn(west.kube, 'ConfigMap', 'resilient')).keys()]).toEqual(['app-1']);
  });

  it('under injected faults in one cluster (500s, 429s, dropped watches) its mirrors converge and the others are untouched', async () => {
    const west = remote('west');
    const north = remote('north');
    const n = 6;
    for (let i = 0; i < n; i++) await west.kube.namespace(`fault-${i}`);
    for (let i = 0; i < n; i++) await north.kube.namespace(`fault-${i}`);
    const writes = { verbs: ['create', 'update', 'patch'], resources: ['configmaps'] };
    const northBefore = north.sandbox.requests.total(writes);
    const undo = [
      west.sandbox.faults.failRequests({ fraction: 0.3, code: 500, verbs: ['create', 'update', 'patch'] }),
      west.sandbox.faults.failRequests({ fraction: 0.2, code: 429, verbs: ['create', 'update'] }),
    ];
    try {
      await h.kube.apply(
        configMap('faulty', {
          [`${P}/target-clusters`]: 'west,north',
          [`${P}/target-namespaces`]: 'fault-*',
        }),
      );
      west.sandbox.faults.dropWatches();
      await expectMirrors(
        north.kube,
        'ConfigMap',
        'faulty',
        [...Array(n).keys()].map((i) => `fault-${i}`),
      );
      await h.kube.mergePatch('v1', 'ConfigMap', 'src', 'faulty', { data: { a: 'v2' } });
      west.sandbox.faults.dropWatches();
      await waitFor(
        'every west mirror at v2 despite the faults',
        async () => [...(await mirrorsIn(west.kube, 'ConfigMap', 'faulty')).values()].map(dataA),
        (v) => v.length === n && v.every((x) => x === 'v2'),
        { timeoutMs: 30_000 },
      );
    } finally {
      for (const u of undo) u();
    }
    await statusIs('faulty', (l) => l.startsWith(`Synced ${2 * n}/${2 * n}`), 30_000);
    // north saw the minimum: one create and one update per mirror, whatever west went through
    expect(north.sandbox.requests.total(writes) - northBefore).toBe(2 * n);
  });

  it('rotated credentials: a wrong token takes the cluster down, the right one brings it back', async () => {
    const north = remote('north');
    await h.kube.apply(
      configMap('rotated', { [`${P}/target-clusters`]: 'north', [`${P}/target-namespaces`]: 'app-2' }),
    );
    await expectMirrors(north.kube, 'ConfigMap', 'rotated', ['app-2']);
    const good = north.sandbox.kubeconfigYaml();
    await register('north', north.sandbox, 'cluster-north', good.replaceAll(NORTH_TOKEN, 'expired-token'));
    await waitFor(
      'north down with the wrong token',
      () => controllerStatus(),
      (s) => s.clusters.registered.find((c) => c.name === 'north')?.up === false,
    );
    await h.kube.mergePatch('v1', 'ConfigMap', 'src', 'rotated', { data: { a: 'rotated' } });
    await statusIs('rotated', (l) => l.includes('north/*'));
    await register('north', north.sandbox, 'cluster-north', good);
    await waitFor(
      'north mirror updated with the new credentials',
      () => north.kube.get('v1', 'ConfigMap', 'app-2', 'rotated'),
      (m) => dataA(m) === 'rotated',
      { timeoutMs: 30_000 },
    );
    const logs = h.logs.join('\n');
    expect(logs).toContain('cluster credentials changed');
    expect(logs).not.toContain(NORTH_TOKEN);
    expect(logs).not.toContain('expired-token');
    expect(logs).not.toContain(Buffer.from(good).toString('base64').slice(0, 40));
  });

  it('a removed cluster Secret leaves its mirrors in place and is reported', async () => {
    await h.kube.namespace('gone-test');
    await h.kube.apply(
      configMap('left', { [`${P}/target-clusters`]: 'local,north', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await expectMirrors(remote('north').kube, 'ConfigMap', 'left', ['app-1']);
    await h.kube.delete('v1', 'Secret', CONTROLLER_NS, 'cluster-north');
    const s = await waitFor(
      'north reported removed',
      () => controllerStatus(),
      (x) => x.clusters.removed.some((r) => r.cluster === 'north'),
    );
    expect(s.clusters.removed.find((r) => r.cluster === 'north')?.mirrors).toBeGreaterThan(0);
    await statusIs('left', (l) => l.startsWith('Synced 1/1'));
    // its mirrors are still there: kubemirror cannot reach them to clean up, and does not pretend to
    await h.kube.delete('v1', 'ConfigMap', 'src', 'left');
    await waitFor(
      'source gone',
      () => h.kube.get('v1', 'ConfigMap', 'src', 'left'),
      (x) => x === null,
    );
    expect([...(await mirrorsIn(remote('north').kube, 'ConfigMap', 'left')).keys()]).toEqual(['app-1']);
    expect(h.logs.some((l) => l.includes('cluster unregistered'))).toBe(true);
    await register('north', remote('north').sandbox);
    await waitFor(
      'north registered again',
      () => controllerStatus(),
      (x) => x.clusters.registered.some((c) => c.name === 'north' && c.up),
    );
  });
});

describe('stale endpoints (export Leases)', () => {
  it('the leader keeps a Lease kubemirror-<this cluster> renewed in each remote cluster', async () => {
    const lease = await waitFor(
      'Lease kubemirror-east in west',
      () =>
        remote('west').kube.get('coordination.k8s.io/v1', 'Lease', 'kubemirror-remote', 'kubemirror-east'),
      (l) => l !== null,
      { timeoutMs: 20_000 },
    );
    const spec = lease?.spec as { leaseDurationSeconds: number; renewTime: string };
    expect(spec.leaseDurationSeconds).toBe(60);
    expect(Date.now() - Date.parse(spec.renewTime)).toBeLessThan(60_000);
  });

  it('slices imported here from a cluster whose Lease expired are emptied and marked; others are not', async () => {
    await h.kube.namespace('kubemirror-remote');
    await h.kube.namespace('imports');
    const old = microTime(Date.now() - 10 * 60_000);
    const fresh = microTime(Date.now());
    for (const [cluster, renewTime] of [
      ['ghost', old],
      ['alive', fresh],
    ] as const)
      await h.kube.apply({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: `kubemirror-${cluster}`, namespace: 'kubemirror-remote' },
        spec: { holderIdentity: cluster, leaseDurationSeconds: 60, renewTime },
      });
    const slice = (cluster: string) =>
      ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `db-${cluster}`,
          namespace: 'imports',
          labels: {
            'kubernetes.io/service-name': 'db',
            'endpointslice.kubernetes.io/managed-by': 'kubemirror.io',
            [`${P}/source-cluster`]: cluster,
          },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.9.0.1'], conditions: { ready: true } }],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      }) as KubeObject;
    await h.kube.apply(slice('ghost'));
    await h.kube.apply(slice('alive'));
    const emptied = await waitFor(
      'the ghost slice emptied',
      () => h.kube.get('discovery.k8s.io/v1', 'EndpointSlice', 'imports', 'db-ghost'),
      (s) => Array.isArray(s?.endpoints) && s.endpoints.length === 0,
      { timeoutMs: 25_000 },
    );
    expect(emptied?.metadata.annotations?.[`${P}/stale-since`]).toBeTruthy();
    const alive = await h.kube.get('discovery.k8s.io/v1', 'EndpointSlice', 'imports', 'db-alive');
    expect(alive?.endpoints).toHaveLength(1);
  });
});

describe('the canary across clusters (SPEC §9)', () => {
  interface Round {
    started: string;
    latencySeconds?: number;
    error?: string;
  }
  const rounds = async (): Promise<Round[]> =>
    (
      (await (await fetch(`http://${h.running?.http.probeAddress}/status`)).json()) as {
        canary: { rounds: Round[] };
      }
    ).canary.rounds;
  const roundAfter = (since: string, what: string, ok: (r: Round) => boolean) =>
    waitFor(
      what,
      async () => (await rounds()).filter((r) => r.started > since),
      (rs) => rs.some(ok),
      {
        timeoutMs: 20_000,
      },
    );

  it('goes to every registered cluster: a round succeeds only once every cluster shows it, and names a dead one', async () => {
    await h.stopController();
    await h.startController([...FLAGS, '--canary-interval=1s', '--canary-namespaces=canary-x']);
    try {
      const t0 = new Date().toISOString();
      await roundAfter(t0, 'a successful round', (r) => r.latencySeconds !== undefined);
      for (const name of ['west', 'north']) {
        const m = await remote(name).kube.get('v1', 'ConfigMap', 'canary-x', 'kubemirror-canary');
        expect(m?.metadata.annotations?.[`${P}/source-cluster`]).toBe('east');
      }
      const bringBack = takeDown(remote('west'));
      try {
        const t1 = new Date().toISOString();
        const failed = await roundAfter(t1, 'a round naming west', (r) =>
          /west\/canary-x/.test(r.error ?? ''),
        );
        expect(failed.find((r) => r.error)?.error).not.toMatch(/north\//);
      } finally {
        bringBack();
      }
      const t2 = new Date().toISOString();
      await roundAfter(t2, 'rounds succeed again', (r) => r.latencySeconds !== undefined);
    } finally {
      await h.stopController();
      await h.startController(FLAGS);
    }
  });
});

describe('registration Secrets that cannot be read', () => {
  it('never hold up mirroring in this cluster: the controller starts after a bounded wait and says why', async () => {
    const lone = await Harness.start({ controller: false });
    try {
      await lone.kube.namespace(CONTROLLER_NS);
      await lone.kube.namespace('src');
      await lone.kube.namespace('app-1');
      lone.sandbox.faults.failRequests({ fraction: 1, code: 503, resources: ['secrets'] });
      // ConfigMaps only: the fault hits every Secret request, and Secrets are not mirrored here
      await lone.startController([...FLAGS, '--resource-types', 'ConfigMap.v1']); // waits (≤ 15 s) for hasSynced
      await lone.kube.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'local-only',
          namespace: 'src',
          labels: { [`${P}/enabled`]: 'true' },
          annotations: { [`${P}/sync`]: 'true', [`${P}/target-namespaces`]: 'app-1' },
        },
        data: { a: '1' },
      });
      await lone.expectMirrorsIn('v1', 'ConfigMap', 'local-only', ['app-1']);
      expect(lone.logs.some((l) => l.includes('cannot read cluster registration Secrets'))).toBe(true);
    } finally {
      await lone.stop();
    }
  });
});

describe('a second registration Secret for a registered cluster (issue 23)', () => {
  const refusedEvents = async (secret: string) =>
    (await h.kube.list('v1', 'Event', CONTROLLER_NS)).filter(
      (e) => (e.involvedObject as { kind?: string; name?: string } | undefined)?.name === secret,
    );

  it('is refused where an operator looks, the registration in use keeps working, and deleting it hands over', async () => {
    const west = remote('west');
    await h.kube.apply(
      configMap('twice', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await expectMirrors(west.kube, 'ConfigMap', 'twice', ['app-1']);
    const logsFrom = h.logs.length;
    // what `kubemirror cluster add west` prints, applied before the old Secret is deleted
    await register('west', west.sandbox, 'kubemirror-cluster-west');
    const refused = `${CONTROLLER_NS}/kubemirror-cluster-west`;
    const s = await waitFor(
      'the newcomer refused in /status',
      () => controllerStatus(),
      (x) => x.clusters.rejected.some((r) => r.secret === refused),
    );
    expect(s.clusters.rejected.filter((r) => r.secret.includes('west'))).toEqual([
      {
        secret: refused,
        cluster: 'west',
        reason: `cluster "west" is already registered by Secret ${CONTROLLER_NS}/cluster-west; delete that Secret to register it with this one`,
      },
    ]);
    expect(s.clusters.registered.find((c) => c.name === 'west')).toMatchObject({
      secret: `${CONTROLLER_NS}/cluster-west`,
      up: true,
    });
    const [event] = await waitFor(
      'a Warning Event on the refused Secret',
      () => refusedEvents('kubemirror-cluster-west'),
      (evs) => evs.length > 0,
    );
    expect(event).toMatchObject({ type: 'Warning', reason: 'ClusterRegistrationRefused' });
    expect(event?.message).toContain(`already registered by Secret ${CONTROLLER_NS}/cluster-west`);
    expect(event?.involvedObject).toMatchObject({ kind: 'Secret', namespace: CONTROLLER_NS });
    expect(await refusedEvents('cluster-west')).toEqual([]);

    // west is still synced: a source deleted while both Secrets exist has its west mirror cleaned up
    await h.kube.delete('v1', 'ConfigMap', 'src', 'twice');
    await expectMirrors(west.kube, 'ConfigMap', 'twice', []);
    await waitFor(
      'source gone',
      () => h.kube.get('v1', 'ConfigMap', 'src', 'twice'),
      (x) => x === null,
    );
    const logged = h.logs.slice(logsFrom).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => String(l.msg).includes('cluster unregistered'))).toEqual([]);
    expect(
      logged.filter((l) => l.msg === 'cluster registration Secret not used').map((l) => l.secretName),
    ).toEqual([refused]);

    // taking over is explicit: delete the Secret in use, and the other one registers west (re-planned)
    await h.kube.delete('v1', 'Secret', CONTROLLER_NS, 'cluster-west');
    const after = await waitFor(
      'west registered by the remaining Secret and up',
      () => controllerStatus(),
      (x) => x.clusters.registered.some((c) => c.name === 'west' && c.secret === refused && c.up),
    );
    expect(after.clusters.rejected.filter((r) => r.secret.includes('west'))).toEqual([]);
    expect(after.clusters.removed.map((r) => r.cluster)).not.toContain('west');
    await h.kube.apply(
      configMap('handed-over', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await expectMirrors(west.kube, 'ConfigMap', 'handed-over', ['app-1']);
    await statusIs('handed-over', (l) => l.startsWith('Synced 1/1'));
    expect(h.logs.slice(logsFrom).some((l) => l.includes('cluster unregistered'))).toBe(false);
  });

  it('at start-up, of two Secrets naming one cluster the older one registers it, whatever the listing order', async () => {
    await h.stopController();
    // listed first (by name, and its own watch first with --cluster-secrets), created last (in a later second:
    // creationTimestamp has whole seconds): a start-up must not hand west to it
    const first = await h.kube.get('v1', 'Secret', CONTROLLER_NS, 'kubemirror-cluster-west');
    const createdAt = Date.parse(first?.metadata.creationTimestamp ?? '');
    await waitFor(
      'a second later than the registration in use',
      () => Date.now(),
      (now) => now >= createdAt + 1000,
    );
    await register('west', remote('west').sandbox, 'aaa-west');
    await h.startController([
      ...FLAGS,
      '--cluster-secrets',
      'aaa-west,kubemirror-cluster-west,cluster-north',
    ]);
    const s = await waitFor(
      'west registered and up',
      () => controllerStatus(),
      (x) => x.clusters.registered.some((c) => c.name === 'west' && c.up),
      { timeoutMs: 20_000 },
    );
    expect(s.clusters.registered.find((c) => c.name === 'west')).toMatchObject({
      secret: `${CONTROLLER_NS}/kubemirror-cluster-west`,
    });
    expect(s.clusters.rejected.filter((r) => r.secret.includes('west'))).toEqual([
      expect.objectContaining({ secret: `${CONTROLLER_NS}/aaa-west`, cluster: 'west' }),
    ]);
    await h.kube.apply(
      configMap('after-restart', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-2' }),
    );
    await expectMirrors(remote('west').kube, 'ConfigMap', 'after-restart', ['app-2']);
  });
});
