// Sandbox-only (SPEC §10): three clusters per file with hand-made EndpointSlices; two real control planes run test/real/cross-cluster.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { Harness } from '../helpers/harness.js';
import { TestKube } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Services and their endpoints across clusters (SPEC §8): Services in `east` (the real controller in-process)
 * exported into the sandbox cluster `west`, registered by a Secret. The sandbox has no endpoints controller, so
 * the tests write the local EndpointSlices themselves, as the EndpointSlice controller would for a selector
 * Service, or as a user does for a selectorless one. Every assertion reads the clusters over HTTP.
 */
const P = 'kubemirror.io';
const CONTROLLER_NS = 'kubemirror';
const SLICE_API = 'discovery.k8s.io/v1';
/** endpoint changes reach the remote slice "within seconds" (SPEC §8) */
const PROPAGATION_MS = 5_000;

let h: Harness;
let westSandbox: Sandbox;
let west: TestKube;

function controllerArgs(cluster: string): string[] {
  return [
    '--remote-clusters',
    '--cluster-name',
    cluster,
    '--leader-election-namespace',
    CONTROLLER_NS,
    '--resource-types',
    'Service.v1,ConfigMap.v1',
  ];
}

async function register(on: Harness, name: string, sandbox: Sandbox): Promise<void> {
  await on.kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `cluster-${name}`,
      namespace: CONTROLLER_NS,
      labels: { [`${P}/cluster`]: 'true' },
      annotations: { [`${P}/cluster-name`]: name },
    },
    data: { kubeconfig: Buffer.from(sandbox.kubeconfigYaml()).toString('base64') },
  });
}

interface Port {
  name: string;
  port: number;
  targetPort?: number;
  protocol?: string;
}

const PORTS: Port[] = [
  { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
  { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
];

/** An exported Service in `src` of the cluster `kube` talks to. */
function service(
  name: string,
  annotations: Record<string, string>,
  spec: Record<string, unknown> = { selector: { app: name }, ports: PORTS },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: 'src',
      labels: { [`${P}/enabled`]: 'true' },
      annotations: { [`${P}/sync`]: 'true', ...annotations },
    },
    spec,
  };
}

interface Ep {
  ip: string;
  ready?: boolean;
}

/** A local EndpointSlice of Service `svc`, as the EndpointSlice controller (or a user) writes it. */
function localSlice(svc: string, sliceName: string, eps: Ep[], ports: Port[] = PORTS): KubeObject {
  return {
    apiVersion: SLICE_API,
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName,
      namespace: 'src',
      labels: {
        'kubernetes.io/service-name': svc,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      zone: 'east-a',
    })),
    ports: ports.map((p) => ({ name: p.name, port: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** The addresses of a slice, sorted, joined: '' for an empty slice, null for no slice. */
function addressesOf(s: KubeObject | null): string | null {
  if (!s) return null;
  const eps = (s.endpoints as { addresses: string[] }[] | undefined) ?? [];
  return eps
    .flatMap((e) => e.addresses)
    .sort()
    .join(',');
}

function getSlice(kube: TestKube, ns: string, name: string): Promise<KubeObject | null> {
  return kube.get(SLICE_API, 'EndpointSlice', ns, name);
}

/** Waits until the slice `name` in `ns` of `kube` holds exactly `ips` (null: until it does not exist). */
function expectSlice(
  kube: TestKube,
  ns: string,
  name: string,
  ips: string[] | null,
  timeoutMs = PROPAGATION_MS,
): Promise<KubeObject | null> {
  const want = ips === null ? null : [...ips].sort().join(',');
  return waitFor(
    `EndpointSlice ${ns}/${name} holding ${want === null ? 'nothing (absent)' : `[${want}]`}`,
    () => getSlice(kube, ns, name),
    (s) => addressesOf(s) === want,
    { timeoutMs },
  );
}

function expectService(
  kube: TestKube,
  ns: string,
  name: string,
  present: (s: KubeObject | null) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<KubeObject | null> {
  return waitFor(`Service ${ns}/${name} ${what}`, () => kube.get('v1', 'Service', ns, name), present, {
    timeoutMs,
  });
}

/** Names of the EndpointSlices in `ns` of `kube` labelled for Service `svc`. */
async function slicesFor(kube: TestKube, ns: string, svc: string): Promise<string[]> {
  const items = await kube.list(SLICE_API, 'EndpointSlice', ns, `kubernetes.io/service-name=${svc}`);
  return items.map((s) => s.metadata.name).sort();
}

function statusOf(on: Harness, name: string, ok: (line: string) => boolean, timeoutMs = 15_000) {
  return on.expectStatus('v1', 'Service', 'src', name, ok, timeoutMs);
}

const spec = (o: KubeObject | null) => (o?.spec ?? {}) as Record<string, unknown>;

beforeAll(async () => {
  h = await Harness.start({ controller: false });
  for (const ns of [CONTROLLER_NS, 'src', 'app-1']) await h.kube.namespace(ns);
  westSandbox = await startSandbox({ historyWindow: 200 });
  west = new TestKube(westSandbox.kubeconfigYaml());
  for (const ns of ['src', 'app-1', 'app-2', 'app-3']) await west.namespace(ns);
  await register(h, 'west', westSandbox);
  await h.startController(controllerArgs('east'));
});

afterAll(async () => {
  await h?.stop();
  await westSandbox?.stop();
});

describe('a Service with a selector', () => {
  it('arrives selectorless with the same ports and its own clusterIP, plus a slice of the ready endpoints that follows scaling and readiness', async () => {
    // a NodePort Service with an address of its own: neither the address nor the node ports travel
    const src = await h.kube.create(
      service(
        'web',
        { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' },
        {
          type: 'NodePort',
          selector: { app: 'web' },
          clusterIP: '10.96.123.45',
          ports: PORTS.map((p, i) => ({ ...p, nodePort: 30080 + i })),
        },
      ),
    );
    expect(spec(src).clusterIP).toBe('10.96.123.45');
    await h.kube.create(localSlice('web', 'web-abc12', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }]));
    const mirror = await expectService(west, 'app-1', 'web', (s) => s !== null, 'mirrored');
    const ms = spec(mirror);
    expect(ms.selector).toBeUndefined();
    expect(ms.type).toBe('ClusterIP');
    // west's own address, never the source cluster's
    expect(ms.clusterIP).not.toBe(spec(src).clusterIP);
    expect(ms.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, protocol: 'TCP' }),
      expect.objectContaining({ name: 'dns', port: 53, protocol: 'UDP' }),
    ]);
    for (const p of ms.ports as Record<string, unknown>[]) expect(p.nodePort).toBeUndefined();
    expect(mirror?.metadata.annotations?.[`${P}/source-cluster`]).toBe('east');

    const slice = await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1', '10.1.0.2']);
    expect(slice?.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'kubemirror.io',
      [`${P}/source-cluster`]: 'east',
    });
    expect(slice?.addressType).toBe('IPv4');
    // the slice carries the endpoints' ports (the target ports), as the source slices do
    expect(slice?.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 8080, protocol: 'TCP' }),
      expect.objectContaining({ name: 'dns', port: 5353, protocol: 'UDP' }),
    ]);
    expect(await slicesFor(west, 'app-1', 'web')).toEqual(['web-east']);

    // scaled up: a new endpoint, and a second local slice as the EndpointSlice controller makes past its limit
    await h.kube.apply(
      localSlice('web', 'web-abc12', [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3' }]),
    );
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    await h.kube.create(localSlice('web', 'web-xyz34', [{ ip: '10.1.1.1' }]));
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.1.1']);
    // scaled down
    await h.kube.apply(localSlice('web', 'web-abc12', [{ ip: '10.1.0.1' }]));
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1', '10.1.1.1']);
    await h.kube.delete(SLICE_API, 'EndpointSlice', 'src', 'web-xyz34');
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1']);
    // an endpoint turning not-ready leaves the remote slice; ready again, it comes back
    await h.kube.apply(
      localSlice('web', 'web-abc12', [{ ip: '10.1.0.1' }, { ip: '10.1.0.4', ready: false }]),
    );
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.1']);
    await h.kube.apply(
      localSlice('web', 'web-abc12', [{ ip: '10.1.0.1', ready: false }, { ip: '10.1.0.4' }]),
    );
    await expectSlice(west, 'app-1', 'web-east', ['10.1.0.4']);
    // nothing ready: the slice stays, empty (the Service exists, it has no endpoints to send to)
    await h.kube.apply(localSlice('web', 'web-abc12', [{ ip: '10.1.0.4', ready: false }]));
    await expectSlice(west, 'app-1', 'web-east', []);
    await statusOf(h, 'web', (l) => l.startsWith('Synced 1/1'));
  });
});

describe('an ExternalName Service', () => {
  it('is copied with its externalName and ports, and gets no slice', async () => {
    await h.kube.create(
      service(
        'db',
        { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' },
        {
          type: 'ExternalName',
          externalName: 'db.example.com',
          ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        },
      ),
    );
    const m = await expectService(west, 'app-1', 'db', (s) => s !== null, 'mirrored');
    expect(spec(m).type).toBe('ExternalName');
    expect(spec(m).externalName).toBe('db.example.com');
    expect(spec(m).ports).toEqual([expect.objectContaining({ name: 'pg', port: 5432, protocol: 'TCP' })]);
    await statusOf(h, 'db', (l) => l.startsWith('Synced 1/1'));
    // a stray local slice naming it changes nothing: an ExternalName Service has no endpoints
    await h.kube.create(localSlice('db', 'db-stray', [{ ip: '10.9.0.1' }]));
    // a witness Service in the same namespace whose slice arrives after the stray slice's event was handled
    await h.kube.create(
      service('db-witness', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await h.kube.create(localSlice('db-witness', 'db-witness-1', [{ ip: '10.9.1.1' }]));
    await expectSlice(west, 'app-1', 'db-witness-east', ['10.9.1.1']);
    expect(await slicesFor(west, 'app-1', 'db')).toEqual([]);
  });
});

describe('a selectorless Service with hand-made EndpointSlices', () => {
  it('has the ready endpoints of its slices exported', async () => {
    await h.kube.create(
      service(
        'legacy',
        { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1,app-2' },
        { ports: [{ name: 'tcp', port: 9000, protocol: 'TCP' }] },
      ),
    );
    const hand = (name: string, eps: Ep[]) => ({
      ...localSlice('legacy', name, eps, [{ name: 'tcp', port: 9000 }]),
      metadata: {
        name,
        namespace: 'src',
        labels: {
          'kubernetes.io/service-name': 'legacy',
          'endpointslice.kubernetes.io/managed-by': 'staff.example.com',
        },
      },
    });
    await h.kube.create(hand('legacy-vm', [{ ip: '192.168.7.10' }, { ip: '192.168.7.11', ready: false }]));
    await h.kube.create(hand('legacy-metal', [{ ip: '192.168.8.20' }]));
    for (const ns of ['app-1', 'app-2']) {
      const m = await expectService(west, ns, 'legacy', (s) => s !== null, 'mirrored');
      expect(spec(m).selector).toBeUndefined();
      await expectSlice(west, ns, 'legacy-east', ['192.168.7.10', '192.168.8.20']);
    }
    await h.kube.apply(hand('legacy-vm', [{ ip: '192.168.7.10' }, { ip: '192.168.7.11' }]));
    await expectSlice(west, 'app-2', 'legacy-east', ['192.168.7.10', '192.168.7.11', '192.168.8.20']);
  });
});

describe('a same-named unmanaged Service in the remote namespace', () => {
  it('is left untouched, the conflict is reported, and no slice is written beside it', async () => {
    const theirs = await west.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'occupied', namespace: 'app-1', labels: { team: 'west' } },
      spec: { selector: { app: 'west-own' }, ports: [{ name: 'x', port: 1234, protocol: 'TCP' }] },
    });
    await h.kube.create(
      service('occupied', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1,app-2' }),
    );
    await h.kube.create(localSlice('occupied', 'occupied-1', [{ ip: '10.3.0.1' }]));
    // app-2 is free: the mirror and its slice are there
    await expectSlice(west, 'app-2', 'occupied-east', ['10.3.0.1']);
    const line = await statusOf(h, 'occupied', (l) => l.includes('conflict'));
    expect(line).toContain('west/app-1');
    const now = await west.get('v1', 'Service', 'app-1', 'occupied');
    expect(now?.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    expect(now?.spec).toEqual(theirs.spec);
    expect(now?.metadata.labels).toEqual(theirs.metadata.labels);
    // an endpoint change reaches app-2 and still writes nothing into app-1
    await h.kube.apply(localSlice('occupied', 'occupied-1', [{ ip: '10.3.0.1' }, { ip: '10.3.0.2' }]));
    await expectSlice(west, 'app-2', 'occupied-east', ['10.3.0.1', '10.3.0.2']);
    expect(await getSlice(west, 'app-1', 'occupied-east')).toBeNull();
    expect(await slicesFor(west, 'app-1', 'occupied')).toEqual([]);
  });
});

describe('a remote slice no longer backed by the source', () => {
  it('goes with the mirror when west stops being a target, comes back with it, and goes when the source is deleted', async () => {
    await h.kube.create(
      service('leaving', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await h.kube.create(localSlice('leaving', 'leaving-1', [{ ip: '10.4.0.1' }]));
    await expectSlice(west, 'app-1', 'leaving-east', ['10.4.0.1'], 15_000);
    await h.kube.mergePatch('v1', 'Service', 'src', 'leaving', {
      metadata: { annotations: { [`${P}/target-clusters`]: 'local' } },
    });
    await expectService(west, 'app-1', 'leaving', (s) => s === null, 'gone from west');
    await expectSlice(west, 'app-1', 'leaving-east', null);
    await h.kube.mergePatch('v1', 'Service', 'src', 'leaving', {
      metadata: { annotations: { [`${P}/target-clusters`]: 'west' } },
    });
    await expectSlice(west, 'app-1', 'leaving-east', ['10.4.0.1'], 15_000);
    await h.kube.delete('v1', 'Service', 'src', 'leaving');
    await expectService(west, 'app-1', 'leaving', (s) => s === null, 'gone from west');
    await expectSlice(west, 'app-1', 'leaving-east', null);
    await waitFor(
      'source gone (finalizer released)',
      () => h.kube.get('v1', 'Service', 'src', 'leaving'),
      (s) => s === null,
    );
  });

  it('goes from a namespace no longer targeted, and stays in the others', async () => {
    await h.kube.create(
      service('narrowed', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1,app-2' }),
    );
    await h.kube.create(localSlice('narrowed', 'narrowed-1', [{ ip: '10.5.0.1' }]));
    await expectSlice(west, 'app-1', 'narrowed-east', ['10.5.0.1'], 15_000);
    await expectSlice(west, 'app-2', 'narrowed-east', ['10.5.0.1'], 15_000);
    await h.kube.mergePatch('v1', 'Service', 'src', 'narrowed', {
      metadata: { annotations: { [`${P}/target-namespaces`]: 'app-2' } },
    });
    await expectSlice(west, 'app-1', 'narrowed-east', null);
    await expectService(west, 'app-1', 'narrowed', (s) => s === null, 'gone from app-1');
    await statusOf(h, 'narrowed', (l) => l.startsWith('Synced 1/1'));
    expect(addressesOf(await getSlice(west, 'app-2', 'narrowed-east'))).toBe('10.5.0.1');
  });
});

describe('the remote slice is kept', () => {
  it('is restored when someone edits it, and recreated when someone deletes it', async () => {
    await h.kube.create(
      service('kept', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-1' }),
    );
    await h.kube.create(localSlice('kept', 'kept-1', [{ ip: '10.6.0.1' }, { ip: '10.6.0.2' }]));
    const first = await expectSlice(west, 'app-1', 'kept-east', ['10.6.0.1', '10.6.0.2'], 15_000);
    await west.mergePatch(SLICE_API, 'EndpointSlice', 'app-1', 'kept-east', {
      endpoints: [{ addresses: ['6.6.6.6'], conditions: { ready: true } }],
    });
    await expectSlice(west, 'app-1', 'kept-east', ['10.6.0.1', '10.6.0.2']);
    // relabelled away from the Service: the label that makes proxies route to it comes back
    await west.mergePatch(SLICE_API, 'EndpointSlice', 'app-1', 'kept-east', {
      metadata: { labels: { 'kubernetes.io/service-name': 'elsewhere' } },
    });
    await waitFor(
      'service-name label restored',
      () => getSlice(west, 'app-1', 'kept-east'),
      (s) => s?.metadata.labels?.['kubernetes.io/service-name'] === 'kept',
      { timeoutMs: PROPAGATION_MS },
    );
    await west.delete(SLICE_API, 'EndpointSlice', 'app-1', 'kept-east');
    const again = await waitFor(
      'slice recreated',
      () => getSlice(west, 'app-1', 'kept-east'),
      (s) => s !== null && s.metadata.uid !== first?.metadata.uid,
      { timeoutMs: PROPAGATION_MS },
    );
    expect(addressesOf(again)).toBe('10.6.0.1,10.6.0.2');
  });
});

describe("someone else's EndpointSlice holding the exported slice's name", () => {
  it('is left alone, never merged with ours or overwritten', async () => {
    const theirs = await west.create({
      apiVersion: SLICE_API,
      kind: 'EndpointSlice',
      metadata: {
        name: 'gamma-east',
        namespace: 'app-3',
        labels: {
          'kubernetes.io/service-name': 'gamma',
          'endpointslice.kubernetes.io/managed-by': 'staff.example.com',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['172.16.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    });
    await h.kube.create(
      service('gamma', { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-3' }),
    );
    await h.kube.create(localSlice('gamma', 'gamma-1', [{ ip: '10.12.0.1' }]));
    await expectService(west, 'app-3', 'gamma', (x) => x !== null, 'mirrored');
    await waitFor(
      'the controller saw the name taken',
      () =>
        h.logs.some((l) => l.includes('holds the name of the exported slice') && l.includes('gamma-east')),
      Boolean,
    );
    const now = await getSlice(west, 'app-3', 'gamma-east');
    expect(now?.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    expect(addressesOf(now)).toBe('172.16.0.1');
  });
});

describe('endpoints never leak between Services', () => {
  it("Service A's endpoints never appear in Service B's slice", async () => {
    for (const n of ['alpha', 'beta'])
      await h.kube.create(
        service(n, { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-3' }),
      );
    await h.kube.create(localSlice('alpha', 'alpha-1', [{ ip: '10.7.0.1' }, { ip: '10.7.0.2' }]));
    await h.kube.create(localSlice('beta', 'beta-1', [{ ip: '10.8.0.1' }]));
    // a slice named like beta's but labelled for alpha belongs to alpha
    await h.kube.create(localSlice('alpha', 'beta-2', [{ ip: '10.7.0.3' }]));
    await expectSlice(west, 'app-3', 'alpha-east', ['10.7.0.1', '10.7.0.2', '10.7.0.3'], 15_000);
    await expectSlice(west, 'app-3', 'beta-east', ['10.8.0.1'], 15_000);
    // alpha scales; beta's slice still holds beta's only
    await h.kube.apply(localSlice('alpha', 'alpha-1', [{ ip: '10.7.0.1' }, { ip: '10.7.0.9' }]));
    await expectSlice(west, 'app-3', 'alpha-east', ['10.7.0.1', '10.7.0.3', '10.7.0.9']);
    expect(addressesOf(await getSlice(west, 'app-3', 'beta-east'))).toBe('10.8.0.1');
    expect(await slicesFor(west, 'app-3', 'alpha')).toEqual(['alpha-east']);
    expect(await slicesFor(west, 'app-3', 'beta')).toEqual(['beta-east']);
  });
});

describe('two source clusters exporting the same Service into one remote', () => {
  let south: Harness | undefined;
  afterAll(async () => {
    await south?.stop();
  });

  it('each has its own slice, neither clobbered; the Service stays with the first, the second reports a conflict', async () => {
    const annotations = { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-2' };
    await h.kube.create(service('shared', annotations));
    await h.kube.create(localSlice('shared', 'shared-e1', [{ ip: '10.10.0.1' }]));
    await expectSlice(west, 'app-2', 'shared-east', ['10.10.0.1'], 15_000);
    const eastMirror = await west.get('v1', 'Service', 'app-2', 'shared');
    expect(eastMirror?.metadata.annotations?.[`${P}/source-cluster`]).toBe('east');

    const s = await Harness.start({ controller: false });
    south = s;
    for (const ns of [CONTROLLER_NS, 'src']) await s.kube.namespace(ns);
    await register(s, 'west', westSandbox);
    await s.startController(controllerArgs('south'));
    await s.kube.create(service('shared', annotations));
    await s.kube.create(localSlice('shared', 'shared-s1', [{ ip: '10.20.0.1' }, { ip: '10.20.0.2' }]));

    const line = await statusOf(s, 'shared', (l) => l.includes('conflict'));
    expect(line).toContain('west/app-2');
    // the Service stays east's
    const kept = await west.get('v1', 'Service', 'app-2', 'shared');
    expect(kept?.metadata.resourceVersion).toBe(eastMirror?.metadata.resourceVersion);
    expect(kept?.metadata.annotations?.[`${P}/source-cluster`]).toBe('east');
    await statusOf(h, 'shared', (l) => l.startsWith('Synced 1/1'));

    // both clusters' endpoints are there, each in its own slice
    await expectSlice(west, 'app-2', 'shared-south', ['10.20.0.1', '10.20.0.2'], 15_000);
    expect(addressesOf(await getSlice(west, 'app-2', 'shared-east'))).toBe('10.10.0.1');
    expect(await slicesFor(west, 'app-2', 'shared')).toEqual(['shared-east', 'shared-south']);

    // changes on either side touch only that side's slice
    await h.kube.apply(localSlice('shared', 'shared-e1', [{ ip: '10.10.0.1' }, { ip: '10.10.0.3' }]));
    await expectSlice(west, 'app-2', 'shared-east', ['10.10.0.1', '10.10.0.3']);
    await s.kube.apply(localSlice('shared', 'shared-s1', [{ ip: '10.20.0.2' }]));
    await expectSlice(west, 'app-2', 'shared-south', ['10.20.0.2']);
    expect(addressesOf(await getSlice(west, 'app-2', 'shared-east'))).toBe('10.10.0.1,10.10.0.3');
  });

  it("the first exporter's source deleted: its Service and slice go, the other cluster takes the Service over, its slice kept", async () => {
    const s = south as Harness;
    await h.kube.delete('v1', 'Service', 'src', 'shared');
    await expectSlice(west, 'app-2', 'shared-east', null, 15_000);
    const taken = await expectService(
      west,
      'app-2',
      'shared',
      (x) => x?.metadata.annotations?.[`${P}/source-cluster`] === 'south',
      'taken over by south',
    );
    expect(spec(taken).selector).toBeUndefined();
    await statusOf(s, 'shared', (l) => l.startsWith('Synced 1/1'));
    // between east's Service going and south's arriving no Service backs south's slice: it may be removed
    // and written again (observed), but ends with south's endpoints only
    await expectSlice(west, 'app-2', 'shared-south', ['10.20.0.2']);
    expect(await slicesFor(west, 'app-2', 'shared')).toEqual(['shared-south']);
  });

  it("a source and its slice created at once beside the other cluster's export: the slice arrives", async () => {
    const s = south as Harness;
    const annotations = { [`${P}/target-clusters`]: 'west', [`${P}/target-namespaces`]: 'app-2' };
    await h.kube.create(service('shared2', annotations));
    await h.kube.create(localSlice('shared2', 'shared2-e1', [{ ip: '10.11.0.1' }]));
    await expectSlice(west, 'app-2', 'shared2-east', ['10.11.0.1'], 15_000);
    // the slice event may come before the Service is in south's cache
    await Promise.all([
      s.kube.create(service('shared2', annotations)),
      s.kube.create(localSlice('shared2', 'shared2-s1', [{ ip: '10.21.0.1' }])),
    ]);
    await expectSlice(west, 'app-2', 'shared2-south', ['10.21.0.1']);
    expect(addressesOf(await getSlice(west, 'app-2', 'shared2-east'))).toBe('10.11.0.1');
  });

  it("the second exporter stops targeting west: its slice beside the other cluster's Service goes at once", async () => {
    const s = south as Harness;
    await s.kube.mergePatch('v1', 'Service', 'src', 'shared2', {
      metadata: { annotations: { [`${P}/target-clusters`]: 'local' } },
    });
    // nothing but the source's own change tells the exporter (no mirror of south's changes): not a resync
    await expectSlice(west, 'app-2', 'shared2-south', null);
    expect(addressesOf(await getSlice(west, 'app-2', 'shared2-east'))).toBe('10.11.0.1');
    await s.kube.mergePatch('v1', 'Service', 'src', 'shared2', {
      metadata: { annotations: { [`${P}/target-clusters`]: 'west' } },
    });
    await expectSlice(west, 'app-2', 'shared2-south', ['10.21.0.1']);
  });
});
