import { kubeListWatch } from '../src/kube/list-watch.js';
import { BenchCluster } from './lib/bench-cluster.js';
import { ControllerChild } from './lib/controller-child.js';
import { unlimitedRateFlags } from './lib/rate-limit-flags.js';
import { detail, figure, formatCounts, progress, WRITE_VERBS } from './lib/report.js';

/**
 * `npm run bench:scale` (issue 13, not part of `npm run bench` nor CI): 100,000 mirrors on one replica, the
 * sandbox API server in this process and the controller in its own. SOURCES sources × NAMESPACES namespaces:
 * time to converge from empty and its writes (minimum = the number of mirrors), the controller's RSS, a warm
 * restart (time and requests, 0 writes), and the latency of one source change fanned out to every namespace
 * (p50/p99 over the mirrors, from the change to each mirror's update event on a watch). Scale down with
 * SCALE_NAMESPACES / SCALE_SOURCES.
 */
const NAMESPACES = Number(process.env.SCALE_NAMESPACES ?? 5000);
const SOURCES = Number(process.env.SCALE_SOURCES ?? 20);
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const rate = unlimitedRateFlags();
  const flags = [
    ...rate.flags,
    `--max-targets=${NAMESPACES}`,
    '--worker-threads=5',
    '--discovery-interval=5m',
    '--resync-period=1h',
  ];
  const launch = { flags, unlimitRate: rate.unlimitAfterStart };
  const mirrors = NAMESPACES * SOURCES;
  const results: Record<string, number> = {};
  const cluster = await BenchCluster.start();
  try {
    progress(`scale: ${SOURCES} sources × ${NAMESPACES} namespaces = ${mirrors} mirrors`);
    const t0 = performance.now();
    await cluster.seedNamespaces('s-', NAMESPACES);
    progress(`scale: ${NAMESPACES} namespaces seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let child = await ControllerChild.start(cluster.kubeconfigPath, flags, launch);
    await child.settled(0, NAMESPACES, 600_000);
    cluster.sandbox.requests.reset();
    const c0 = performance.now();
    for (let i = 0; i < SOURCES; i++) await cluster.applySource(`scale-${i}`, 's-*', 'v1');
    await child.settled(SOURCES, NAMESPACES, 900_000);
    const convergeS = (performance.now() - c0) / 1000;
    const writes = cluster.sandbox.requests.total({ verbs: WRITE_VERBS, resources: ['configmaps'] });
    const mem = await child.memory();
    figure('convergeS100k', convergeS, `s to converge ${mirrors} mirrors from empty`);
    figure(
      'convergeWrites100k',
      writes,
      'configmap writes (incl. finalizer + status)',
      mirrors + 2 * SOURCES,
    );
    figure('mirrorsPerSecond100k', mirrors / convergeS, 'mirrors/s');
    figure('rssMb100k', mem.rss / MB, 'MB controller RSS right after creating them');
    detail(
      `heap used ${(mem.heapUsed / MB).toFixed(1)} MB; requests: ${formatCounts(cluster.sandbox.requests.counts())}`,
    );
    results.convergeS100k = round(convergeS);
    results.convergeWrites100k = writes;
    results.rssMb100k = round(mem.rss / MB);
    await child.stop();

    cluster.sandbox.requests.reset();
    const w0 = performance.now();
    child = await ControllerChild.start(cluster.kubeconfigPath, flags, launch);
    await child.settled(SOURCES, NAMESPACES, 900_000);
    const warmS = (performance.now() - w0) / 1000;
    const warmWrites = cluster.sandbox.requests.total({ verbs: WRITE_VERBS });
    const warmMem = await child.memory();
    figure('rssMb100kWarm', warmMem.rss / MB, 'MB controller RSS after a warm restart (steady state)');
    detail(`heap used ${(warmMem.heapUsed / MB).toFixed(1)} MB`);
    results.rssMb100kWarm = round(warmMem.rss / MB);
    figure('warmRestartS100k', warmS, 's from process start to every source Synced again');
    figure('warmRestartWrites100k', warmWrites, 'writes', 0);
    detail(`requests: ${formatCounts(cluster.sandbox.requests.counts())}`);
    results.warmRestartS100k = round(warmS);
    results.warmRestartWrites100k = warmWrites;

    // one change of one source, fanned out to every namespace: latency per mirror, seen on a watch
    const seen = new Map<string, number>();
    const lw = kubeListWatch(cluster.client, {
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
    });
    const first = await lw.list({ labelSelector: 'kubemirror.io/mirror=true', limit: 1 });
    const watching = await lw.watch(
      {
        labelSelector: 'kubemirror.io/mirror=true',
        resourceVersion: first.resourceVersion,
        allowWatchBookmarks: true,
      },
      (type, obj) => {
        const o = obj as { metadata: { name: string; namespace: string }; data?: Record<string, string> };
        if (type === 'MODIFIED' && o.metadata.name === 'scale-0' && o.data?.version === 'v2')
          seen.set(o.metadata.namespace, performance.now());
      },
      () => {},
    );
    const live = await cluster.getConfigMap('src', 'scale-0');
    const f0 = performance.now();
    await cluster.changeSources([live], 'v2');
    const deadline = Date.now() + 600_000;
    while (seen.size < NAMESPACES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    watching.abort();
    const lat = [...seen.values()].map((t) => t - f0).sort((a, b) => a - b);
    const pct = (p: number) =>
      lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? Number.NaN;
    figure('fanoutP50Ms5k', pct(50), `ms, p50 over ${lat.length} mirrors of one change`);
    figure('fanoutP99Ms5k', pct(99), `ms, p99 (last: ${Math.round(lat[lat.length - 1] ?? 0)} ms)`);
    results.fanoutP50Ms5k = Math.round(pct(50));
    results.fanoutP99Ms5k = Math.round(pct(99));
    await child.stop();
  } finally {
    await cluster.stop();
  }
  process.stdout.write(`BENCH_SCALE_JSON ${JSON.stringify(results)}\n`);
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:scale failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
