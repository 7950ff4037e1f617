import type { BenchCluster } from '../lib/bench-cluster.js';
import type { InProcessController } from '../lib/in-process-controller.js';
import { pollUntil } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, READ_VERBS, WRITE_VERBS } from '../lib/report.js';

export interface FanoutResult {
  fanoutWritesPerTarget: number;
  fanoutReadsOnReconcilePath: number;
  fanoutMs200: number;
  plansPerSourceChange: number;
}

/**
 * One source change fanned out to `targets` namespaces. The change is made in-process after a count reset, so
 * every request counted is the controller's; completion is read from the controller's own metrics and work
 * queues in-process, so waiting adds no request either.
 */
export async function fanoutScenario(
  cluster: BenchCluster,
  ctl: InProcessController,
  source: string,
  totalSources: number,
  targets: number,
): Promise<FanoutResult> {
  progress(`fanout: changing ${source}, fanned out to ${targets} namespaces`);
  const live = await cluster.getConfigMap('src', source);
  const start = await ctl.probe(targets);
  const before = start.writesOk['update configmaps'] ?? 0;
  const { requests } = cluster.sandbox;
  requests.reset();
  const t0 = performance.now();
  await cluster.changeSources([live], `fanout-${Date.now()}`);
  await pollUntil(
    `${targets} mirror updates of ${source}`,
    async () => (await ctl.probe(targets)).writesOk['update configmaps'] ?? 0,
    (n) => n >= before + targets,
    { intervalMs: 2 },
  );
  const fanoutMs = performance.now() - t0;
  const end = await ctl.settled(totalSources, targets);
  // every source reconcile is one full decision (core/decide.ts): our own echoes must not add any
  const plans = (end.reconciles.source ?? 0) - (start.reconciles.source ?? 0);
  const counts = requests.counts();
  const writes = requests.total({ verbs: WRITE_VERBS, resources: ['configmaps'] });
  const reads = requests.total({ verbs: READ_VERBS, resources: ['configmaps'] });

  // Checked after counting: every mirror carries the new data.
  const version = (await cluster.getConfigMap('src', source)).data as Record<string, string>;
  const mirrors = await cluster.mirrorsOf(source);
  const current = mirrors.filter((m) => (m.data as Record<string, string>).version === version.version);
  if (current.length !== targets) throw new Error(`only ${current.length}/${targets} mirrors updated`);

  figure('fanoutWritesPerTarget', writes / targets, 'writes/target', 1, '1.00');
  figure('fanoutReadsOnReconcilePath', reads, 'GET+LIST configmaps', 0, '0');
  figure('fanoutMs200', Math.round(fanoutMs), `ms for ${targets} mirrors`);
  figure('plansPerSourceChange', plans, `source decisions for one change at ${targets} targets`, 1, '1.00');
  detail(`requests during the fan-out: ${formatCounts(counts)}`);
  return {
    fanoutWritesPerTarget: writes / targets,
    fanoutReadsOnReconcilePath: reads,
    fanoutMs200: fanoutMs,
    plansPerSourceChange: plans,
  };
}
