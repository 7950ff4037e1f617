import type { KubeObject } from '../../src/core/types.js';
import { BenchCluster, PREFIX } from '../lib/bench-cluster.js';
import { ProductProcess } from '../lib/product-process.js';
import { detail, figure, progress } from '../lib/report.js';

const NAMESPACES = 1000;
const STARTS = 3;
const FLAGS = ['--resource-types=ConfigMap.v1', `--max-targets=${NAMESPACES}`, '--resync-period=10m'];

export interface RestartPayloadResult {
  startToReadyMs: number;
  rssMbIdleOutside: number;
  rssMbRestartSmall: number;
  rssMbRestartLarge: number;
  peakMbRestartLarge: number;
  restartPayloadRssRatio: number;
}

function source(name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'src',
      labels: { [`${PREFIX}/enabled`]: 'true' },
      annotations: { [`${PREFIX}/sync`]: 'true', [`${PREFIX}/target-namespaces`]: 'r-*' },
    },
    data,
  };
}

/**
 * Issue 28's measurement from outside: `kubemirror run` (bundled, the image's V8 flags) in its own process, RSS
 * as `ps` reads it, no forced gc. Start to ready on an empty cluster (best of 3); then 1,000 namespaces, a
 * ~100-byte source mirrored to all, a warm restart (the new process lists every mirror) and its RSS once synced;
 * then a 64 KiB source too (a CA bundle mirrored everywhere: 64 MB of mirrors), another warm restart, its RSS.
 * What a restart holds must not grow with the payload: the ratio of the two is the figure.
 */
export async function restartPayloadScenario(): Promise<RestartPayloadResult> {
  progress('restart with payload: kubemirror run in its own process, RSS from outside, no forced gc');
  const cluster = await BenchCluster.start();
  let ctl: ProductProcess | null = null;
  try {
    // the best of STARTS starts: a CPU timing on a shared machine, like the raw PUT rounds
    const starts: number[] = [];
    let idle = { rssMb: 0, peakMb: 0 };
    for (let i = 0; i < STARTS; i++) {
      ctl = await ProductProcess.start(cluster.kubeconfigPath, FLAGS);
      starts.push(await ctl.readyAfterMs());
      idle = ctl.memory();
      await ctl.stop();
    }
    const startToReadyMs = Math.min(...starts);
    detail(`start to ready: ${starts.map((ms) => Math.round(ms)).join(', ')} ms`);

    await cluster.seedNamespaces('r-', NAMESPACES);
    const restartWith = async (sources: number) => {
      // the first process writes the mirrors, the second starts over them (the figure)
      ctl = await ProductProcess.start(cluster.kubeconfigPath, FLAGS);
      await ctl.settled(sources, NAMESPACES);
      await ctl.stop();
      ctl = await ProductProcess.start(cluster.kubeconfigPath, FLAGS);
      await ctl.settled(sources, NAMESPACES);
      const m = ctl.memory();
      await ctl.stop();
      return m;
    };

    await cluster.sandbox.applyManifest(source('small', { value: 'v'.repeat(100) }));
    const small = await restartWith(1);
    detail(
      `1,000 × ~100 B mirrors, after a warm restart: rss ${small.rssMb.toFixed(1)} MB (peak ${small.peakMb.toFixed(1)})`,
    );
    progress('restart with payload: a 64 KiB source mirrored to the same 1,000 namespaces');
    await cluster.sandbox.applyManifest(source('ca-bundle', { 'ca.crt': 'Q'.repeat(64 * 1024) }));
    const large = await restartWith(2);
    detail(
      `+ 1,000 × 64 KiB mirrors, after a warm restart: rss ${large.rssMb.toFixed(1)} MB (peak ${large.peakMb.toFixed(1)})`,
    );

    const result: RestartPayloadResult = {
      startToReadyMs: Math.round(startToReadyMs),
      rssMbIdleOutside: round(idle.rssMb),
      rssMbRestartSmall: round(small.rssMb),
      rssMbRestartLarge: round(large.rssMb),
      peakMbRestartLarge: round(large.peakMb),
      restartPayloadRssRatio: Number((large.rssMb / small.rssMb).toFixed(3)),
    };
    figure(
      'startToReadyMs',
      result.startToReadyMs,
      'ms from process start to /readyz 200, empty cluster',
      undefined,
      '≤ 1000',
    );
    figure('rssMbIdleOutside', result.rssMbIdleOutside, 'MB RSS when ready on an empty cluster (no gc)');
    figure('rssMbRestartSmall', result.rssMbRestartSmall, 'MB RSS after a warm restart over 1,000 × ~100 B');
    figure('rssMbRestartLarge', result.rssMbRestartLarge, 'MB RSS after a warm restart, + 1,000 × 64 KiB');
    figure('peakMbRestartLarge', result.peakMbRestartLarge, 'MB peak RSS of that restart');
    figure(
      'restartPayloadRssRatio',
      result.restartPayloadRssRatio,
      '× (with 64 KiB mirrors / without)',
      1,
      '≤ 1.2',
    );
    return result;
  } finally {
    await (ctl as ProductProcess | null)?.stop();
    await cluster.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
