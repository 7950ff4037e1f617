import type { BenchServer } from '../lib/bench-cluster.js';
import { InProcessController, type Launch } from '../lib/in-process-controller.js';
import { countsByVerb, detail, figure, formatCounts, progress, WRITE_VERBS } from '../lib/report.js';

export interface WarmRestartResult {
  warmRestartWrites: number;
  warmRestartNonListWatchRequests: number;
  warmRestartMs: number;
  controller: InProcessController;
}

/**
 * A fresh controller starts with every mirror already in sync (the previous one was stopped): once it has
 * listed, watched, and re-planned every source and mirror, it must have written nothing and read nothing but
 * lists and watches. Returns the running controller for the next scenario.
 */
export async function warmRestartScenario(
  cluster: BenchServer,
  launch: Launch,
  sources: number,
  targets: number,
): Promise<WarmRestartResult> {
  progress(`warm restart: fresh controller over ${sources * targets} mirrors already in sync`);
  await cluster.requests.reset();
  const t0 = performance.now();
  const controller = await InProcessController.start(cluster.kubeconfigPath, launch.flags, launch);
  const settled = await controller.settled(sources, targets);
  const warmRestartMs = performance.now() - t0;
  const counts = await cluster.requests.counts();
  const byVerb = countsByVerb(counts);
  const writes = await cluster.requests.total({ verbs: WRITE_VERBS });
  // discovery at start-up is counted by kube-apiserver's audit log only; it is not a read of any object
  const discovery = Object.entries(counts)
    .filter(([key]) => key.endsWith(' discovery'))
    .reduce((sum, [, n]) => sum + n, 0);
  const other =
    Object.entries(byVerb)
      .filter(([verb]) => verb !== 'list' && verb !== 'watch')
      .reduce((sum, [, n]) => sum + n, 0) - discovery;
  figure('warmRestartWrites', writes, 'writes (any resource)', 0, '0');
  figure('warmRestartNonListWatch', other, 'requests other than list/watch (discovery aside)', 0, '0');
  figure('warmRestartMs', Math.round(warmRestartMs), 'ms to synced and re-planned');
  detail(`requests by verb: ${formatCounts(byVerb)}`);
  detail(`requests: ${formatCounts(counts)}`);
  const r = settled.reconciles;
  detail(
    `reconciles: source=${r.source}, target=${r.target}, namespace=${r.namespace} ` +
      `(re-planning everything once takes ${sources} source and ${sources * targets} target reconciles)`,
  );
  return { warmRestartWrites: writes, warmRestartNonListWatchRequests: other, warmRestartMs, controller };
}
