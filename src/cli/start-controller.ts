import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { applyConfigMapUpdate } from '../config/apply-config-map-update.js';
import type { Config } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
import { Controller, type ControllerHooks } from '../controllers/controller.js';
import { discoveryTypeSource } from '../controllers/discovery-type-source.js';
import { LiveConfig } from '../controllers/live-config.js';
import { ConfigError } from '../core/errors.js';
import type { KubeObject } from '../core/types.js';
import { classifyApiError } from '../kube/api-errors.js';
import { KubeClient, loadKubeConfig } from '../kube/kube-client.js';
import { kubeListWatch } from '../kube/list-watch.js';
import { type HttpServers, startHttpServers } from '../observability/http-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { Informer } from '../runtime/informer.js';
import { countedLeaseApi, electionIdentity, LeaderElector } from '../runtime/leader-election.js';

export interface StartControllerOptions {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
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
  const input = { argv, env: o.env };
  let initial = loadConfig(input).config;
  const log = o.logger ?? createLogger({ level: initial.logLevel });
  const { kc } = loadKubeConfig({ path: initial.kubeconfig || undefined, env: o.env });
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const client = new KubeClient(kc, (verb, resource, code) => metrics.apiRequest(verb, resource, code));

  let configMapData: Record<string, string> = {};
  if (initial.configMap) {
    const data = await readConfigMapData(client, initial.configMap);
    configMapData = data ?? {};
    try {
      initial = loadConfig({ ...input, configMapData: data ?? {} }).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error({ problems: err.problems }, 'config map rejected at start; using flags, env and defaults');
    }
  }
  const config = new LiveConfig(initial);
  config.onChange((next) => {
    log.level = next.logLevel;
  });

  const abort = new AbortController();
  const signal = abort.signal;
  // every informer, queue and timer listens on this one signal
  setMaxListeners(0, signal);
  const identity = electionIdentity(o.env, hostname(), process.pid);
  let elector: LeaderElector | null = null;
  let leading = !initial.leaderElect;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });

  const hooks: ControllerHooks = {
    reconciled: (c, outcome, s) => metrics.reconciled(c, outcome, s),
    syncError: (c, reason) => metrics.syncError(c, reason),
    conflict: (r) => metrics.conflict(r),
    drift: (r) => metrics.driftCorrected(r),
    transformSkipped: (r) => log.debug({ resource: r }, 'transform rule skipped'),
    mirrors: (r, n) => metrics.setMirrorResources(r, n),
    watchRestart: (r, reason) => metrics.watchRestarted(r, reason),
    discoveredTypes: (n) => metrics.setDiscoveredResourceTypes(n),
    typeWatched: (r, watched) => (watched ? metrics.initResource(r) : metrics.forgetResource(r)),
    queue: (name) => metrics.queue(name),
  };
  const controller = new Controller({
    client,
    config,
    log: log.child({ component: 'controller' }),
    hooks,
    types: discoveryTypeSource({ client, config, log: log.child({ component: 'discovery' }) }),
    mayWrite: () => leading && !signal.aborted,
  });

  const http = await startHttpServers({
    metricsAddress: initial.metricsBindAddress,
    probeAddress: initial.healthProbeBindAddress,
    registry,
    health: () => ({ ok: true }),
    ready: () => {
      if (!controller.hasSynced()) return { ok: false, reason: 'caches not synced yet' };
      const broken = controller.brokenSince();
      if (broken !== null && Date.now() - broken > (o.watchBrokenThresholdMs ?? WATCH_BROKEN_THRESHOLD_MS)) {
        return {
          ok: false,
          reason: `a watch has been broken for ${Math.round((Date.now() - broken) / 1000)}s`,
        };
      }
      return { ok: true };
    },
    leader: () => (leading ? `Leader: ${identity}` : 'Follower'),
    status: () => ({ identity, leader: leading, sources: controller.status.snapshot() }),
  });

  await controller.start(signal);
  if (initial.configMap)
    watchConfigMap(client, initial.configMap, configMapData, signal, (data) => {
      try {
        const update = applyConfigMapUpdate(config.get(), input, data);
        if (update.rejectedStatic.length > 0) {
          log.warn(
            { settings: update.rejectedStatic },
            'config map changes these settings only after a restart',
          );
        }
        if (update.changed.length > 0) {
          log.info({ settings: update.changed }, 'configuration reloaded from config map');
          config.set(update.config);
        }
      } catch (err) {
        const problems = err instanceof ConfigError ? err.problems : [String(err)];
        log.error({ problems }, 'config map rejected; the last good configuration stays in force');
      }
    });

  if (initial.leaderElect) {
    elector = new LeaderElector({
      kubeConfig: kc,
      api: countedLeaseApi(kc.makeApiClient(CoordinationV1Api), client.count),
      namespace: initial.leaderElectionNamespace,
      name: initial.leaderElectionId,
      identity,
      ...o.leaseTimings,
      log: log.child({ component: 'leader-election' }),
      onStartedLeading: () => {
        leading = true;
        metrics.setLeader(true);
        log.info({ identity }, 'became leader');
        void controller
          .startWorkers(signal)
          .catch((err) => log.error({ err: String(err) }, 'workers failed'));
      },
      onStoppedLeading: () => {
        if (!leading) return;
        leading = false; // writes stop now: the writer checks this before every call
        metrics.setLeader(false);
        if (signal.aborted) return;
        log.error({ identity }, 'lost leadership; stopping so a fresh standby can take over');
        void shutdown().then(() => resolveExit(1));
      },
    });
    elector.start(signal);
  } else {
    metrics.setLeader(true);
    void controller.startWorkers(signal).catch((err) => log.error({ err: String(err) }, 'workers failed'));
  }

  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('shutting down: finishing in-flight work');
      const drained = await controller.stop(SHUTDOWN_TIMEOUT_MS);
      if (!drained) log.warn('in-flight reconciles did not finish in time');
      abort.abort();
      if (elector && leading) await elector.release().catch(() => {});
      await elector?.stop();
      leading = false;
      await http.close();
    })();
    return stopping;
  };

  return {
    config,
    controller,
    metrics,
    http,
    identity,
    isLeader: () => leading,
    exited,
    stop: async () => {
      await shutdown();
      resolveExit(0);
    },
  };
}

async function readConfigMapData(client: KubeClient, ref: string): Promise<Record<string, string> | null> {
  const [namespace, name] = ref.split('/') as [string, string];
  try {
    const cm = await client.request<KubeObject>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
      verb: 'get',
      resource: 'configmaps',
    });
    return (cm.data as Record<string, string> | undefined) ?? {};
  } catch (err) {
    const e = classifyApiError(err);
    if (e.reason === 'NotFound') return null;
    throw e;
  }
}

/** Watches the one ConfigMap; every change of its data is offered to `onData`. */
function watchConfigMap(
  client: KubeClient,
  ref: string,
  initialData: Record<string, string>,
  signal: AbortSignal,
  onData: (data: Record<string, string>) => void,
): void {
  const [namespace, name] = ref.split('/') as [string, string];
  const type = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
  const informer = new Informer<KubeObject>({
    listWatch: kubeListWatch<KubeObject>(client, type, { namespace }),
  });
  let last = JSON.stringify(initialData);
  const offer = (o: KubeObject) => {
    if (o.metadata.name !== name) return;
    const data = (o.data as Record<string, string> | undefined) ?? {};
    const text = JSON.stringify(data);
    if (text === last) return;
    last = text;
    onData(data);
  };
  informer.onAdd(offer);
  informer.onUpdate((_a, b) => offer(b));
  informer.onDelete((o) => offer({ ...o, data: {} }));
  informer.start(signal);
}

export type { Config };
