import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
import { Canary } from '../controllers/canary.js';
import { Controller, type ControllerHooks } from '../controllers/controller.js';
import { discoveryTypeSource } from '../controllers/discovery-type-source.js';
import type { LiveConfig } from '../controllers/live-config.js';
import { KubeClient, loadKubeConfig } from '../kube/kube-client.js';
import { kubeLeaseApi } from '../kube/lease-api.js';
import { type Check, type HttpServers, startHttpServers } from '../observability/http-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { systemClock } from '../runtime/clock.js';
import { electionIdentity, LeaderElector, type LeaderElectorOptions } from '../runtime/leader-election.js';
import { RoutineCollector } from '../runtime/routines.js';
import { loadStartupConfig, watchConfigMapReload } from './config-map-source.js';

export interface StartControllerOptions {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** whether stdout is a terminal (main passes process.stdout.isTTY): picks the default log format */
  stdoutIsTTY?: boolean;
  /** overrides --kubeconfig / KUBECONFIG (the sandbox passes its own) */
  kubeconfigPath?: string;
  logger?: Logger;
  /** override the timings of leader election (tests) */
  leaseTimings?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** how long a watch may stay broken before /readyz fails (default 30 s; tests shorten it) */
  watchBrokenThresholdMs?: number;
}

export interface RunningController {
  readonly config: LiveConfig;
  readonly controller: Controller;
  readonly metrics: Metrics;
  readonly http: HttpServers;
  readonly identity: string;
  /** the canary (SPEC §9); runs on the leader while --canary-interval is set */
  readonly canary: Canary;
  isLeader(): boolean;
  /** resolves with the exit code when the controller stops by itself (lost leadership) */
  readonly exited: Promise<number>;
  /** graceful: stop intake, finish in-flight writes (bounded), release the lease, close servers */
  stop(): Promise<void>;
}

/** How long a broken watch may stay broken before /readyz fails. */
const WATCH_BROKEN_THRESHOLD_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 20_000;

/**
 * Builds and starts everything `kubemirror run` runs: config, logger, metrics, client, caches, HTTP
 * endpoints, leader election and — on the leader — the reconcile workers. Throws ConfigError (every problem
 * at once) before anything starts when the configuration is invalid.
 */
export async function startController(o: StartControllerOptions): Promise<RunningController> {
  const argv = o.kubeconfigPath ? [...o.argv, '--kubeconfig', o.kubeconfigPath] : [...o.argv];
  const input = { argv, env: o.env, stdoutIsTTY: o.stdoutIsTTY === true };
  const first = loadConfig(input).config;
  const log = o.logger ?? createLogger({ level: first.logLevel, format: first.logFormat });
  const { kc } = loadKubeConfig({ path: first.kubeconfig || undefined, env: o.env });
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const client = new KubeClient(kc, (verb, resource, code) => metrics.apiRequest(verb, resource, code));
  const { config, configMapData } = await loadStartupConfig(client, input, first, log);
  const initial = config.get();
  config.onChange((next) => {
    log.level = next.logLevel;
  });

  const abort = new AbortController();
  const signal = abort.signal;
  // every informer, queue and timer listens on this one signal
  setMaxListeners(0, signal);
  const identity = electionIdentity(o.env, hostname(), process.pid);
  const leadership = new Leadership(!initial.leaderElect);
  const controller = new Controller({
    client,
    config,
    log: log.child({ component: 'controller' }),
    hooks: controllerHooks(metrics, log),
    types: discoveryTypeSource({ client, config, log: log.child({ component: 'discovery' }) }),
    mayWrite: () => leadership.leading && !signal.aborted,
    remote: {
      namespace: initial.leaderElectionNamespace || 'default',
      identity,
      // another cluster's types: its own discovery, with the same resource settings
      typesOf: (remoteClient, remoteLog) =>
        discoveryTypeSource({
          client: remoteClient,
          config,
          log: remoteLog.child({ component: 'discovery' }),
        }),
    },
  });
  const canary = new Canary({
    client,
    writer: controller.writes,
    keys: controller.mirrorKeys,
    config,
    status: controller.status,
    watches: (id) => controller.watches(id),
    collector: new RoutineCollector(),
    clock: systemClock,
    log: log.child({ component: 'canary' }),
    round: (ok, seconds, at) => metrics.canaryRound(ok, seconds, at),
    ...(controller.remotes ? { remotes: () => controller.canaryRemotes() } : {}),
  });
  const http = await startHttpServers({
    metricsAddress: initial.metricsBindAddress,
    probeAddress: initial.healthProbeBindAddress,
    registry,
    health: () => ({ ok: true }),
    ready: () => readiness(controller, o.watchBrokenThresholdMs ?? WATCH_BROKEN_THRESHOLD_MS),
    leader: () => (leadership.leading ? `Leader: ${identity}` : 'Follower'),
    status: () => ({
      identity,
      leader: leadership.leading,
      sources: controller.status.snapshot(),
      policies: controller.policies.statusSnapshot(),
      canary: canary.status(),
      ...(controller.remotes ? { clusters: clusterStatus(controller) } : {}),
    }),
  });

  await controller.start(signal);
  // The first lists leave their pages behind as garbage, and an idle controller allocates nothing that would
  // collect it: one full collection once the caches are in (the image runs node with --expose-gc).
  void controller.waitForSync(signal).then(
    () => (globalThis as { gc?: () => void }).gc?.(),
    () => {},
  );
  watchConfigMapReload(client, config, input, configMapData, log, signal);

  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });
  // the canary starts with the workers (leader only): its rounds need them to write its mirrors
  const startWorkers = () =>
    void controller
      .startWorkers(signal)
      .then(() => (signal.aborted ? undefined : canary.start()))
      .catch((err) => log.error({ err: String(err) }, 'workers failed'));
  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('shutting down: finishing in-flight work');
      // first, while the workers still run: with --canary-cleanup its mirrors are removed by the pipeline
      if (leadership.leading) await canary.stop();
      else void canary.stop(false);
      const drained = await controller.stop(SHUTDOWN_TIMEOUT_MS);
      if (!drained) log.warn('in-flight reconciles did not finish in time');
      abort.abort();
      await leadership.resign();
      await http.close();
    })();
    return stopping;
  };

  if (initial.leaderElect) {
    leadership.campaign(
      (on) => electorFor(client, initial, identity, o.leaseTimings, log, on),
      {
        started: () => {
          metrics.setLeader(true);
          log.info({ identity }, 'became leader');
          startWorkers();
        },
        lost: () => {
          metrics.setLeader(false);
          if (signal.aborted) return;
          log.error({ identity }, 'lost leadership; stopping so a fresh standby can take over');
          void shutdown().then(() => resolveExit(1));
        },
      },
      signal,
    );
  } else {
    metrics.setLeader(true);
    startWorkers();
  }

  return {
    config,
    controller,
    metrics,
    http,
    identity,
    canary,
    isLeader: () => leadership.leading,
    exited,
    stop: async () => {
      await shutdown();
      resolveExit(0);
    },
  };
}

/**
 * Whether this replica may write: always without leader election, else only between `started` and `lost`.
 * The writer checks `leading` before every call, so writes stop the moment leadership is lost.
 */
type ElectionCallbacks = Required<Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading'>>;

class Leadership {
  private elector: LeaderElector | null = null;
  constructor(public leading: boolean) {}

  campaign(
    elector: (on: ElectionCallbacks) => LeaderElector,
    on: { started(): void; lost(): void },
    signal: AbortSignal,
  ): void {
    this.elector = elector({
      onStartedLeading: () => {
        this.leading = true;
        on.started();
      },
      onStoppedLeading: () => {
        if (!this.leading) return;
        this.leading = false; // writes stop now: the writer checks this before every call
        on.lost();
      },
    });
    this.elector.start(signal);
  }

  /** On shutdown: hand the Lease over so a standby takes it at its next try, and stop campaigning. */
  async resign(): Promise<void> {
    if (this.elector && this.leading) await this.elector.release().catch(() => {});
    await this.elector?.stop();
    this.leading = false;
  }
}

function electorFor(
  client: KubeClient,
  cfg: Config,
  identity: string,
  timings: StartControllerOptions['leaseTimings'],
  log: Logger,
  on: ElectionCallbacks,
): LeaderElector {
  return new LeaderElector({
    api: kubeLeaseApi(client),
    namespace: cfg.leaderElectionNamespace,
    name: cfg.leaderElectionId,
    identity,
    ...timings,
    log: log.child({ component: 'leader-election' }),
    ...on,
  });
}

/** The controller's observations, bound to the prometheus series (and the log for skipped rules). */
function controllerHooks(metrics: Metrics, log: Logger): ControllerHooks {
  return {
    reconciled: (c, outcome, s) => metrics.reconciled(c, outcome, s),
    syncError: (c, reason) => metrics.syncError(c, reason),
    conflict: (r) => metrics.conflict(r),
    drift: (r) => metrics.driftCorrected(r),
    fightStarted: (r) => metrics.fightStarted(r),
    mirrorsFighting: (r, n) => metrics.setMirrorsFighting(r, n),
    transformSkipped: (r) => log.debug({ resource: r }, 'transform rule skipped'),
    propagated: (r, s) => metrics.propagated(r, s),
    mirrors: (r, n) => metrics.setMirrorResources(r, n),
    watchRestart: (r, reason) => metrics.watchRestarted(r, reason),
    discoveredTypes: (n) => metrics.setDiscoveredResourceTypes(n),
    typeWatched: (r, watched) => (watched ? metrics.initResource(r) : metrics.forgetResource(r)),
    queue: (name) => metrics.queue(name),
    setClusterUp: (c, up) => metrics.setClusterUp(c, up),
    clusterSynced: (c, at) => metrics.clusterSynced(c, at),
    forgetCluster: (c) => metrics.forgetCluster(c),
  };
}

/**
 * /status `clusters`: every registered cluster with its health and how many targets there are in sync (from
 * the sources' status: pairs named `cluster/namespace`), the rejected Secrets and the clusters unregistered
 * while running (their mirrors were left in place).
 */
function clusterStatus(controller: Controller) {
  const remotes = controller.remotes;
  if (!remotes) return undefined;
  const now = Date.now();
  const sources = controller.status.snapshot();
  return {
    registered: remotes.list().map((c) => {
      const prefix = `${c.name}/`;
      let errors = 0;
      let conflicts = 0;
      for (const s of sources) {
        errors += s.errors.filter((e) => e.namespace.startsWith(prefix)).length;
        conflicts += s.conflicts.filter((n) => n.startsWith(prefix)).length;
      }
      let mirrors = 0;
      for (const w of c.cache.watchedTypes()) mirrors += c.cache.index.count(w.id);
      return {
        name: c.name,
        secret: c.secret,
        up: c.unavailable(now) === null,
        unavailable: c.unavailable(now),
        mirrors,
        errors,
        conflicts,
      };
    }),
    rejected: remotes.rejected(),
    removed: remotes.removed().map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
  };
}

/** /readyz: caches synced, and no watch broken for longer than the threshold. */
function readiness(controller: Controller, brokenThresholdMs: number): Check {
  if (!controller.hasSynced()) return { ok: false, reason: 'caches not synced yet' };
  const broken = controller.brokenSince();
  if (broken !== null && Date.now() - broken > brokenThresholdMs) {
    return { ok: false, reason: `a watch has been broken for ${Math.round((Date.now() - broken) / 1000)}s` };
  }
  // other clusters are reported, never fatal: this cluster's mirroring goes on without them
  const now = Date.now();
  const details = (controller.remotes?.list() ?? []).map((c) => {
    const why = c.unavailable(now);
    return `cluster ${c.name}: ${why === null ? 'up' : `down (${why})`}`;
  });
  return { ok: true, ...(details.length > 0 ? { details } : {}) };
}

export type { Config };
