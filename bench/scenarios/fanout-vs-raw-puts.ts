import { FANOUT_CONCURRENCY } from '../../src/controllers/mirror-actions.js';
import type { KubeObject } from '../../src/core/types.js';
import { runLimited } from '../../src/runtime/run-limited.js';
import { type BenchServer, PREFIX } from '../lib/bench-cluster.js';
import type { InProcessController } from '../lib/in-process-controller.js';
import { pollUntil } from '../lib/poll.js';
import { rawPuts } from '../lib/raw-puts.js';
import { detail, figure, progress, WRITE_VERBS } from '../lib/report.js';

/** Mirror writes one source reconcile keeps in flight. */
export const WRITES_IN_FLIGHT_PER_SOURCE = FANOUT_CONCURRENCY;
const ROUNDS = 3;
/** A valid but never-reached limit: the limiter (bottleneck) is in the write path without throttling. */
const HIGH_LIMIT = 1_000_000;

export interface FanoutTimingResult {
  fanoutMs1k: number;
  fanoutMs1kLimiterOn: number;
  rawSequentialMs: number;
  rawConcurrentMs: number;
  rawConcurrency: number;
  fanoutVsRawPutRatio: number;
  fanoutVsSequentialPutRatio: number;
  fanoutVsConcurrentPutRatio: number;
}

/**
 * Time from changing every source at once to all their mirrors updated, beside a plain loop of as many PUTs
 * of same-sized ConfigMaps against the same server, sequential and with the controller's write concurrency.
 * Best of ROUNDS for each, after warm-up, so JIT and connection set-up weigh the same on both sides. The
 * ratio is taken with the write limiter off; one more round with a high but finite limit shows what the
 * limiter itself costs. The raw objects carry no mirror label: the controller never reacts to them.
 */
export async function fanoutVsRawPutsScenario(
  cluster: BenchServer,
  ctl: InProcessController,
  sources: string[],
  targets: number,
  workerThreads: number,
): Promise<FanoutTimingResult> {
  const total = sources.length * targets;
  progress(`fan-out timing: ${sources.length} sources × ${targets} namespaces = ${total} mirrors`);
  const raw = await rawObjects(cluster, sources);
  const concurrency = Math.min(workerThreads, sources.length) * WRITES_IN_FLIGHT_PER_SOURCE;

  let round = 0;
  const controllerRound = async (label: string): Promise<number> => {
    round++;
    const live = await Promise.all(sources.map((s) => cluster.getConfigMap('src', s)));
    const start = await ctl.probe(targets);
    const before = start.writesOk['update configmaps'] ?? 0;
    await cluster.requests.reset();
    const t0 = performance.now();
    await cluster.changeSources(live, `timing-${round}-${Date.now()}`);
    await pollUntil(
      `${total} mirror updates`,
      async () => (await ctl.probe(targets)).writesOk['update configmaps'] ?? 0,
      (n) => n >= before + total,
      { intervalMs: 2 },
    );
    const ms = performance.now() - t0;
    const end = await ctl.settled(sources.length, targets);
    const writes = await cluster.requests.total({ verbs: WRITE_VERBS, resources: ['configmaps'] });
    const failed = Object.entries(end.failed)
      .map(([k, n]) => [k, n - (start.failed[k] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`);
    detail(
      `controller round ${round} (${label}): ${Math.round(ms)} ms, ${writes} configmap writes` +
        (failed.length ? `, failed: ${failed.join(', ')}` : ''),
    );
    return ms;
  };

  const fanout: number[] = [];
  for (let i = 0; i < ROUNDS; i++) fanout.push(await controllerRound('limiter off'));
  ctl.setRateLimit(HIGH_LIMIT, HIGH_LIMIT);
  const limiterOn = await controllerRound(`limiter on, qps=burst=${HIGH_LIMIT}`);
  ctl.setRateLimit(0, 1);

  const warmUp = raw.slice(0, 100);
  await rawPuts(cluster.client, warmUp, 'warm-up', concurrency);
  raw.splice(0, warmUp.length, ...warmUp);
  const sequential: number[] = [];
  const concurrent: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    sequential.push(await rawPuts(cluster.client, raw, `seq-${i}`, 1));
    concurrent.push(await rawPuts(cluster.client, raw, `conc-${i}`, concurrency));
    detail(
      `raw round ${i + 1}: ${total} PUTs one at a time ${Math.round(sequential[i]!)} ms, ` +
        `${concurrency} in flight ${Math.round(concurrent[i]!)} ms`,
    );
  }
  const fanoutMs = Math.min(...fanout);
  const rawSequentialMs = Math.min(...sequential);
  const rawConcurrentMs = Math.min(...concurrent);
  const best = Math.min(rawSequentialMs, rawConcurrentMs);
  figure('fanoutMs1k', Math.round(fanoutMs), `ms change → ${total} mirrors updated`, Math.round(best));
  figure(
    'fanoutMs1kLimiterOn',
    Math.round(limiterOn),
    `ms, same with a never-reached limit`,
    Math.round(best),
  );
  figure('rawPutSequentialMs', Math.round(rawSequentialMs), `ms for ${total} PUTs, one at a time`);
  figure('rawPutConcurrentMs', Math.round(rawConcurrentMs), `ms for ${total} PUTs, ${concurrency} in flight`);
  figure(
    'fanoutVsRawPutRatio',
    fanoutMs / best,
    '(limiter off, vs the faster raw loop)',
    undefined,
    '<= 1.2',
  );
  figure('fanoutVsSequentialPutRatio', fanoutMs / rawSequentialMs, '');
  figure('fanoutVsConcurrentPutRatio', fanoutMs / rawConcurrentMs, '');
  return {
    fanoutMs1k: fanoutMs,
    fanoutMs1kLimiterOn: limiterOn,
    rawSequentialMs,
    rawConcurrentMs,
    rawConcurrency: concurrency,
    fanoutVsRawPutRatio: fanoutMs / best,
    fanoutVsSequentialPutRatio: fanoutMs / rawSequentialMs,
    fanoutVsConcurrentPutRatio: fanoutMs / rawConcurrentMs,
  };
}

/**
 * One unlabelled twin per mirror, same size and shape (labels and annotations re-keyed away from the
 * controller's prefix), created outside the counted windows, then read back once for their resourceVersions.
 */
async function rawObjects(cluster: BenchServer, sources: string[]): Promise<KubeObject[]> {
  const mirrors = (await cluster.listConfigMaps(`${PREFIX}/mirror=true`)).filter((m) =>
    sources.includes(m.metadata.annotations?.[`${PREFIX}/source-name`] ?? ''),
  );
  const rekey = (m: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k.replace(PREFIX, 'bench.example'), v]));
  await runLimited(mirrors, 16, (m) =>
    cluster.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `raw-${m.metadata.name}`,
        namespace: m.metadata.namespace,
        labels: { ...rekey(m.metadata.labels), 'bench.example/raw': 'true' },
        annotations: rekey(m.metadata.annotations),
      },
      data: m.data,
    }),
  );
  return cluster.listConfigMaps('bench.example/raw=true');
}
