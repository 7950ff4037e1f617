import type { KubeObject } from '../../src/core/types.js';
import { BenchCluster, PREFIX, sourceConfigMap } from '../lib/bench-cluster.js';
import { InProcessController, type Launch } from '../lib/in-process-controller.js';
import { pollUntil } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, WRITE_VERBS } from '../lib/report.js';

export interface CrossClusterResult {
  remoteInitialWritesPerTarget: number;
  remoteFanoutWritesPerTarget: number;
  remoteFanoutMs: number;
  endpointPropagationMsP50: number;
  endpointPropagationMsP99: number;
}

/** Cross-cluster mirroring (SPEC §8): the local cluster `east` (sources, controller) plus two remotes. */
const LOCAL = 'east';
const REMOTES = ['west', 'north'];
const CONTROLLER_NS = 'kubemirror';
const NAMESPACES = 100;
const SOURCE = 'xc-0';
const SERVICE = 'web';
const SERVICE_NS = 'svc';
const SLICE_API = '/apis/discovery.k8s.io/v1';
const ENDPOINT_ROUNDS = 20;
const CM_WRITES = ['create', 'update', 'patch'];

interface Ep {
  ip: string;
  ready: boolean;
}

/**
 * Three sandbox clusters and one controller in `east`, started with `--remote-clusters`, the remotes registered
 * by Secrets. (1) One ConfigMap source fanned out to `local,west,north` × 100 namespaces (300 targets): the
 * writes of the first fan-out, then of one change, counted by every cluster's own request accounting, per
 * target. (2) A selector Service exported to west and north; 20 changes of its local EndpointSlice, each timed
 * from the in-process write in east to each remote slice showing the new ready endpoints (polled over HTTP).
 */
export async function crossClusterScenario(launch: Launch): Promise<CrossClusterResult> {
  const east = await BenchCluster.start();
  const remotes = new Map<string, BenchCluster>();
  let ctl: InProcessController | null = null;
  try {
    for (const name of REMOTES) remotes.set(name, await BenchCluster.start());
    const all = new Map<string, BenchCluster>([[LOCAL, east], ...remotes]);
    for (const c of all.values()) {
      await c.seedNamespaces('t-', NAMESPACES);
      for (const name of [SERVICE_NS, 'kubemirror-remote'])
        await c.sandbox.applyManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    await east.sandbox.applyManifest({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: CONTROLLER_NS },
    });
    for (const [name, c] of remotes) await east.sandbox.applyManifest(clusterSecret(name, c));
    ctl = await InProcessController.start(
      east.kubeconfigPath,
      [
        ...launch.flags,
        '--resource-types=Service.v1',
        '--remote-clusters',
        `--cluster-name=${LOCAL}`,
        `--leader-election-namespace=${CONTROLLER_NS}`,
      ],
      { unlimitRate: launch.unlimitRate },
    );
    await pollUntil('controller caches synced', () => ctl?.running.controller.hasSynced(), Boolean, {
      timeoutMs: 30_000,
    });
    const targets = all.size * NAMESPACES;
    progress(`cross-cluster: ${SOURCE} into ${[...all.keys()].join(',')} × ${NAMESPACES} namespaces`);

    // (1a) the first fan-out
    for (const c of all.values()) c.sandbox.requests.reset();
    let t0 = performance.now();
    const source = sourceConfigMap(SOURCE, 't-*', 'v0');
    source.metadata.annotations = {
      ...source.metadata.annotations,
      [`${PREFIX}/target-clusters`]: `local,${REMOTES.join(',')}`,
    };
    await east.sandbox.applyManifest(source);
    await allMirrorsAt(all, 'v0', 60_000);
    const initialMs = performance.now() - t0;
    await ctl.settled(1, targets, 60_000);
    const initial = writesIn(all);

    // (1b) one change
    const live = await east.getConfigMap('src', SOURCE);
    for (const c of all.values()) c.sandbox.requests.reset();
    const version = `xc-${Date.now()}`;
    t0 = performance.now();
    await east.changeSources([live], version);
    await allMirrorsAt(all, version, 30_000);
    const fanoutMs = performance.now() - t0;
    const atConvergence = writesIn(all);
    await ctl.settled(1, targets, 30_000);
    const change = writesIn(all);

    figure(
      'remoteInitialWritesPerTarget',
      initial.total / targets,
      `writes/target, first fan-out to ${targets} (${Math.round(initialMs)} ms)`,
      1,
      '1.00',
    );
    detail(`configmap writes per cluster: ${formatCounts(initial.perCluster)}`);
    figure(
      'remoteFanoutWritesPerTarget',
      change.total / targets,
      `writes/target, one change to ${all.size} clusters × ${NAMESPACES}`,
      1,
      '1.00',
    );
    figure('remoteFanoutMs', Math.round(fanoutMs), `ms until all ${targets} mirrors show the change`);
    detail(`configmap writes per cluster: ${formatCounts(change.perCluster)}`);
    if (atConvergence.total !== change.total)
      detail(
        `(${atConvergence.total} when the last mirror showed it, ${change.total} once the queues idled)`,
      );
    for (const [name, c] of all)
      detail(`${name} requests during the change: ${formatCounts(c.sandbox.requests.counts())}`);

    // (2) endpoints
    progress(
      `cross-cluster: Service ${SERVICE_NS}/${SERVICE} exported to ${REMOTES.join(',')}, ${ENDPOINT_ROUNDS} slice changes`,
    );
    const eps: Ep[] = [1, 2, 3].map((i) => ({ ip: `10.1.0.${i}`, ready: true }));
    await east.sandbox.applyManifest(service());
    await east.sandbox.applyManifest(localSlice(eps));
    await remoteSlicesShow(remotes, eps, 30_000);
    const samples: number[] = [];
    let next = 4;
    for (let i = 0; i < ENDPOINT_ROUNDS; i++) {
      changeEndpoints(eps, i, () => `10.1.0.${next++}`);
      const start = performance.now();
      await east.sandbox.applyManifest(localSlice(eps));
      const times = await Promise.all(
        [...remotes.values()].map(async (c) => {
          await sliceShows(c, eps, 10_000);
          return performance.now() - start;
        }),
      );
      samples.push(...times);
    }
    samples.sort((a, b) => a - b);
    const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
    figure(
      'endpointPropagationMsP50',
      Math.round(pct(50)),
      `ms, p50 of ${samples.length} (${ENDPOINT_ROUNDS} slice changes × ${remotes.size} remotes)`,
    );
    figure(
      'endpointPropagationMsP99',
      Math.round(pct(99)),
      'ms, p99 (local slice write → remote slice shows it)',
    );
    detail(`min ${Math.round(samples[0]!)} ms, max ${Math.round(samples[samples.length - 1]!)} ms`);

    return {
      remoteInitialWritesPerTarget: initial.total / targets,
      remoteFanoutWritesPerTarget: change.total / targets,
      remoteFanoutMs: fanoutMs,
      endpointPropagationMsP50: Math.round(pct(50)),
      endpointPropagationMsP99: Math.round(pct(99)),
    };
  } finally {
    await ctl?.stop();
    for (const c of remotes.values()) await c.stop();
    await east.stop();
  }
}

/** create/update/patch on configmaps, per `cluster verb` and in all. */
function writesIn(all: Map<string, BenchCluster>): { total: number; perCluster: Record<string, number> } {
  const perCluster: Record<string, number> = {};
  let total = 0;
  for (const [name, c] of all) {
    for (const verb of CM_WRITES) {
      const n = c.sandbox.requests.total({ verbs: [verb], resources: ['configmaps'] });
      if (n > 0) perCluster[`${name} ${verb}`] = n;
      total += n;
    }
    const deletes = c.sandbox.requests.total({
      verbs: WRITE_VERBS.filter((v) => !CM_WRITES.includes(v)),
      resources: ['configmaps'],
    });
    if (deletes > 0) perCluster[`${name} delete*`] = deletes;
  }
  return { total, perCluster };
}

/** Waits until every cluster holds NAMESPACES mirrors of SOURCE with `data.version` = `version`. */
async function allMirrorsAt(
  all: Map<string, BenchCluster>,
  version: string,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    [...all].map(([name, c]) =>
      pollUntil(
        `${NAMESPACES} mirrors of ${SOURCE} at ${version} in ${name}`,
        async () =>
          (await c.mirrorsOf(SOURCE)).filter((m) => (m.data as Record<string, string>).version === version)
            .length,
        (n) => n === NAMESPACES,
        { timeoutMs, intervalMs: 20 },
      ),
    ),
  );
}

const readyIps = (eps: Ep[]) =>
  eps
    .filter((e) => e.ready)
    .map((e) => e.ip)
    .sort()
    .join(',');

async function sliceShows(c: BenchCluster, eps: Ep[], timeoutMs: number): Promise<void> {
  const want = readyIps(eps);
  await pollUntil(
    `slice ${SERVICE_NS}/${SERVICE}-${LOCAL} holding [${want}]`,
    async () => {
      const s = await c.client
        .request<KubeObject>({
          method: 'GET',
          path: `${SLICE_API}/namespaces/${SERVICE_NS}/endpointslices/${SERVICE}-${LOCAL}`,
          verb: 'get',
          resource: 'endpointslices',
        })
        .catch(() => null);
      const got = (s?.endpoints as { addresses: string[] }[] | undefined) ?? [];
      return s
        ? got
            .flatMap((e) => e.addresses)
            .sort()
            .join(',')
        : null;
    },
    (got) => got === want,
    { timeoutMs, intervalMs: 1 },
  );
}

async function remoteSlicesShow(remotes: Map<string, BenchCluster>, eps: Ep[], timeoutMs: number) {
  await Promise.all([...remotes.values()].map((c) => sliceShows(c, eps, timeoutMs)));
}

/**
 * Change `i` of the local slice, always one that changes the ready set: add a ready endpoint, flip the oldest
 * ready one to not ready, flip it back, remove the oldest endpoint.
 */
function changeEndpoints(eps: Ep[], i: number, newIp: () => string): void {
  switch (i % 4) {
    case 0:
      eps.push({ ip: newIp(), ready: true });
      break;
    case 1:
      eps[0]!.ready = false;
      break;
    case 2:
      eps[0]!.ready = true;
      break;
    default:
      eps.shift();
  }
}

function clusterSecret(name: string, c: BenchCluster): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `cluster-${name}`,
      namespace: CONTROLLER_NS,
      labels: { [`${PREFIX}/cluster`]: 'true' },
      annotations: { [`${PREFIX}/cluster-name`]: name },
    },
    data: { kubeconfig: Buffer.from(c.sandbox.kubeconfigYaml()).toString('base64') },
  };
}

const PORTS = [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }];

function service(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: SERVICE,
      namespace: 'src',
      labels: { [`${PREFIX}/enabled`]: 'true' },
      annotations: {
        [`${PREFIX}/sync`]: 'true',
        [`${PREFIX}/target-namespaces`]: SERVICE_NS,
        [`${PREFIX}/target-clusters`]: REMOTES.join(','),
      },
    },
    spec: { selector: { app: SERVICE }, ports: PORTS },
  };
}

/** The local EndpointSlice of the Service, as the EndpointSlice controller would write it. */
function localSlice(eps: Ep[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${SERVICE}-abc12`,
      namespace: 'src',
      labels: {
        'kubernetes.io/service-name': SERVICE,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
    })),
    ports: PORTS.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
  };
}
