import type { BenchServer } from '../lib/bench-cluster.js';
import type { InProcessController } from '../lib/in-process-controller.js';
import { pollUntil } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, READ_VERBS, WRITE_VERBS } from '../lib/report.js';

export interface FanoutResult {
  fanoutWritesPerTarget: number;
  fanoutReadsOnReconcilePath: number;
  fanoutMs200: number;
  plansPerSourceChange: number;
  propagationMsP50: number;
  propagationMsP99: number;
}

/** How many source changes the propagation percentiles are taken over. */
const PROPAGATION_ROUNDS = 20;

/**
 * One source change fanned out to `targets` namespaces. The change is made after a count reset and outside the
 * count (in-process on the sandbox, by another user than the controller's on kube-apiserver), so every request
 * counted is the controller's; completion is read from the controller's own metrics and work
 * queues in-process, so waiting adds no request either.
 */
export async function fanoutScenario(
  cluster: BenchServer,
  ctl: InProcessController,
  source: string,
  totalSources: number,
  targets: number,
): Promise<FanoutResult> {
  progress(`fanout: changing ${source}, fanned out to ${targets} namespaces`);
  const live = await cluster.getConfigMap('src', source);
  const start = await ctl.probe(targets);
  const before = start.writesOk['update configmaps'] ?? 0;
  const { requests } = cluster;
  await requests.reset();
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
  const counts = await requests.counts();
  const writes = await requests.total({ verbs: WRITE_VERBS, resources: ['configmaps'] });
  const reads = await requests.total({ verbs: READ_VERBS, resources: ['configmaps'] });

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

  // propagation as the controller measures it (SPEC §9): watch event of the new content → last target written
  const status = () =>
    ctl.running.controller.status
      .snapshot()
      .find((e) => e.namespace === 'src' && e.name === source && e.resource === 'configmaps');
  const samples: number[] = [];
  for (let i = 0; i < PROPAGATION_ROUNDS; i++) {
    const before = status()?.lastSyncTime;
    const current = await cluster.getConfigMap('src', source);
    await cluster.changeSources([current], `propagation-${i}-${Date.now()}`);
    const entry = await pollUntil(
      `propagation round ${i} of ${source}`,
      status,
      (e) =>
        e?.lastSyncTime !== undefined && e.lastSyncTime !== before && e.lastPropagationSeconds !== undefined,
      { intervalMs: 5 },
    );
    samples.push((entry?.lastPropagationSeconds ?? Number.NaN) * 1000);
    await ctl.settled(totalSources, targets);
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  figure(
    'propagationMsP50',
    Math.round(pct(50)),
    `ms, p50 of ${samples.length} changes fanned out to ${targets}`,
  );
  figure(
    'propagationMsP99',
    Math.round(pct(99)),
    `ms, p99 (watch event → last of ${targets} mirrors written)`,
  );
  return {
    fanoutWritesPerTarget: writes / targets,
    fanoutReadsOnReconcilePath: reads,
    fanoutMs200: fanoutMs,
    plansPerSourceChange: plans,
    propagationMsP50: Math.round(pct(50)),
    propagationMsP99: Math.round(pct(99)),
  };
}
