import type { BenchServer } from '../lib/bench-cluster.js';
import type { InProcessController } from '../lib/in-process-controller.js';
import { period } from '../lib/poll.js';
import { detail, figure, formatCounts, progress, WRITE_VERBS } from '../lib/report.js';

/**
 * Everything in sync, nothing changing: the controller runs for two resync periods (plus the 10% jitter) and
 * must write nothing. The figure is defined over a period, so this is the one fixed wait of the bench; the
 * reconcile counts show the resyncs really happened.
 */
export async function steadyStateScenario(
  cluster: BenchServer,
  ctl: InProcessController,
  resyncMs: number,
  sources: number,
  targets: number,
): Promise<{ steadyStateWrites: number }> {
  const windowMs = Math.ceil(2 * resyncMs * 1.1) + 200;
  progress(`steady state: ${windowMs} ms (2 resync periods of ${resyncMs} ms + jitter), nothing changing`);
  await ctl.settled(sources, targets);
  const before = await ctl.probe(targets);
  await cluster.requests.reset();
  await period(windowMs);
  await ctl.settled(sources, targets);
  const after = await ctl.probe(targets);
  const counts = await cluster.requests.counts();
  const writes = await cluster.requests.total({ verbs: WRITE_VERBS });
  const ran = (c: string) => (after.reconciles[c] ?? 0) - (before.reconciles[c] ?? 0);
  figure('steadyStateWrites', writes, 'writes (any resource)', 0, '0');
  detail(`reconciles in the window: source=${ran('source')}, target=${ran('target')} (resyncs ran)`);
  detail(`requests in the window: ${formatCounts(counts)}`);
  if (ran('source') < 2 * sources) detail('WARNING: fewer source reconciles than two resyncs would cause');
  return { steadyStateWrites: writes };
}
