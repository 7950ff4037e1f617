import { ControlPlaneBuildError } from '../test/control-plane/build.js';
import { BenchCluster, type BenchServer } from './lib/bench-cluster.js';
import { InProcessController, type Launch } from './lib/in-process-controller.js';
import { unlimitedRateFlags } from './lib/rate-limit-flags.js';
import { RealBenchCluster } from './lib/real-bench-cluster.js';
import { progress } from './lib/report.js';
import { convergenceScenario } from './scenarios/convergence.js';
import { crossClusterScenario } from './scenarios/cross-cluster.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { fanoutVsRawPutsScenario } from './scenarios/fanout-vs-raw-puts.js';
import { memoryScenario } from './scenarios/memory.js';
import { policyScenario } from './scenarios/policy.js';
import { restartPayloadScenario } from './scenarios/restart-payload.js';
import { steadyStateScenario } from './scenarios/steady-state.js';
import { transformScenario } from './scenarios/transform.js';
import { warmRestartScenario } from './scenarios/warm-restart.js';

/**
 * `npm run bench`: kubemirror's API load, latency and memory, on the sandbox API server and then on the pinned
 * kube-apiserver (test/control-plane; built on first use, cached after). A benchmark, not a test: it prints
 * every figure with its ratio to the minimum possible, then one `BENCH_JSON {...}` line so runs can be
 * compared, the real server's figures under `real.`. Nothing here asserts; a figure off its goal is reported,
 * not failed.
 */
const NAMESPACES = 200;
const SOURCES = ['app-0', 'app-1', 'app-2', 'app-3', 'app-4'];
const RESYNC_MS = 2000;
const WORKER_THREADS = 5;
const RATE = unlimitedRateFlags();
/** The fan-out timings run without a resync landing in the middle; the warm-restarted one resyncs every 2 s. */
const FLAGS = [
  ...RATE.flags,
  '--max-targets=1000',
  `--worker-threads=${WORKER_THREADS}`,
  '--discovery-interval=5m',
];
const LAUNCH: Launch = { flags: [...FLAGS, '--resync-period=10m'], unlimitRate: RATE.unlimitAfterStart };
const RESYNCING: Launch = { ...LAUNCH, flags: [...FLAGS, `--resync-period=${RESYNC_MS}ms`] };

/** `npm run bench -- --sandbox-only` / `-- --real-only`: one of the two servers. */
const ARGS = new Set(process.argv.slice(2));

async function main(): Promise<void> {
  const t0 = performance.now();
  for (const a of ARGS)
    if (a !== '--sandbox-only' && a !== '--real-only')
      throw new Error(`unknown flag ${a} (--sandbox-only, --real-only)`);
  progress(`node ${process.version}, ${FLAGS.join(' ')}, --resync-period 10m (2s after the warm restart)`);
  if (RATE.note) progress(`NOTE: ${RATE.note}`);
  const results: Record<string, number> = {};
  const put = (r: object, prefix = '') => {
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number') results[prefix + k] = round(v);
  };

  if (!ARGS.has('--real-only')) {
    progress('== sandbox API server (in this process)');
    put(transformScenario());
    put(await serverScenarios(await BenchCluster.start()));
    put(await memoryScenario(LAUNCH, { server: BenchCluster.start, largePayload: true }));
    put(await restartPayloadScenario());
    put(await policyScenario(LAUNCH, BenchCluster.start));
    put(await convergenceScenario({ ...LAUNCH, flags: FLAGS }));
    put(await crossClusterScenario(LAUNCH));
  }
  let realMissing: string | undefined;
  if (!ARGS.has('--sandbox-only')) {
    const startReal = () => RealBenchCluster.start((line) => progress(`control plane: ${line}`));
    // built from pinned sources on first use (minutes, cached after); without Go the sandbox figures still print
    const real = await startReal().catch((err: unknown) => {
      if (!(err instanceof ControlPlaneBuildError)) throw err;
      realMissing = err.message;
      return undefined;
    });
    if (real) await realScenarios(real, startReal, put);
  }

  progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(results)}\n`);
  if (realMissing) {
    process.stderr.write(
      `bench: the kube-apiserver half did not run: ${realMissing}\n(npm run bench -- --sandbox-only runs the sandbox half alone)\n`,
    );
    process.exitCode = 1;
  }
}

async function realScenarios(
  real: RealBenchCluster,
  startReal: () => Promise<RealBenchCluster>,
  put: (r: object, prefix?: string) => void,
): Promise<void> {
  progress(
    `== ${real.serverName} on loopback (SPEC §10), the controller's requests counted from its audit log`,
  );
  put(await serverScenarios(real), 'real.');
  put(await memoryScenario(LAUNCH, { server: startReal, largePayload: false }), 'real.');
  put(await policyScenario(LAUNCH, startReal), 'real.');
}

/**
 * What is measured on both servers: one change fanned out to 200 namespaces (writes, propagation), 1,000
 * mirrors beside a raw PUT loop on the same server, a warm restart and the steady state. Stops the server.
 */
async function serverScenarios(cluster: BenchServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const put = (r: object) => {
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number') out[k] = v;
  };
  let ctl: InProcessController | undefined;
  try {
    await cluster.seedNamespaces('t-', NAMESPACES);
    progress(
      `setup: ${SOURCES.length} sources × ${NAMESPACES} namespaces, first controller creates the mirrors`,
    );
    ctl = await InProcessController.start(cluster.kubeconfigPath, LAUNCH.flags, LAUNCH);
    const created = performance.now();
    for (const s of SOURCES) await cluster.applySource(s, 't-*', 'v0');
    await ctl.settled(SOURCES.length, NAMESPACES);
    progress(
      `setup: ${SOURCES.length * NAMESPACES} mirrors created in ${Math.round(performance.now() - created)} ms`,
    );

    put(await fanoutScenario(cluster, ctl, SOURCES[0]!, SOURCES.length, NAMESPACES));
    put(await fanoutVsRawPutsScenario(cluster, ctl, SOURCES, NAMESPACES, WORKER_THREADS));

    await ctl.stop();
    ctl = undefined;
    const warm = await warmRestartScenario(cluster, RESYNCING, SOURCES.length, NAMESPACES);
    ctl = warm.controller;
    put(warm);
    put(await steadyStateScenario(cluster, ctl, RESYNC_MS, SOURCES.length, NAMESPACES));
    return out;
  } finally {
    await ctl?.stop();
    await cluster.stop();
  }
}

function round(n: number): number {
  return Number.isInteger(n) ? n : Number(n.toPrecision(4));
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
