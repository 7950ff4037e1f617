import {
  Counter,
  collectDefaultMetrics,
  exponentialBuckets,
  Gauge,
  Histogram,
  type Registry,
} from 'prom-client';
import { RESTART_REASONS } from '../runtime/informer.js';
import { RECONCILE_OUTCOMES, type ReconcileOutcome } from '../runtime/reconcile-result.js';
import type { QueueMetrics } from '../runtime/work-queue.js';

/** `policy`: MirrorPolicies and the objects they select (SPEC §11); `source`: annotated sources */
export const CONTROLLERS = ['source', 'target', 'namespace', 'policy'] as const;
export type ControllerName = (typeof CONTROLLERS)[number];

/** `reason` values of sync errors known up front: the API error classifier's plus the controller's own. */
export const SYNC_ERROR_REASONS = [
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Forbidden',
  'Invalid',
  'Gone',
  'Throttled',
  'Transient',
  'TransformFailed',
  'TooManyTargets',
  'Unknown',
] as const;

/** Every metric this module defines, besides prom-client's default process metrics. Names are stable. */
export const METRIC_NAMES = [
  'kubemirror_reconcile_total',
  'kubemirror_reconcile_duration_seconds',
  'kubemirror_mirror_resources',
  'kubemirror_sync_errors_total',
  'kubemirror_conflicts_total',
  'kubemirror_drift_corrections_total',
  'kubemirror_fights_total',
  'kubemirror_mirrors_fighting',
  'kubemirror_propagation_duration_seconds',
  'kubemirror_canary_propagation_seconds',
  'kubemirror_canary_success',
  'kubemirror_canary_last_success_timestamp_seconds',
  'kubemirror_canary_rounds_total',
  'kubemirror_api_requests_total',
  'kubemirror_watch_restarts_total',
  'kubemirror_discovered_resource_types',
  'kubemirror_leader',
  'kubemirror_cluster_up',
  'kubemirror_cluster_last_sync_timestamp_seconds',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_retries_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
] as const;

export interface Metrics {
  readonly registry: Registry;
  /** one finished reconcile: outcome and wall time */
  reconciled(controller: ControllerName, result: ReconcileOutcome, seconds: number): void;
  /** a failed sync, `reason` from the error classifier (or TransformFailed, TooManyTargets...) */
  syncError(controller: ControllerName, reason: string): void;
  /** zeroes every per-resource series; call when a resource type starts being watched */
  initResource(resource: string): void;
  /** removes the per-resource series; call when a resource type stops being watched */
  forgetResource(resource: string): void;
  setMirrorResources(resource: string, count: number): void;
  conflict(resource: string): void;
  driftCorrected(resource: string): void;
  /** a mirror was found fighting another writer */
  fightStarted(resource: string): void;
  setMirrorsFighting(resource: string, count: number): void;
  /** new source content reached its last target after `seconds` */
  propagated(resource: string, seconds: number): void;
  /** one finished canary round: its latency when it succeeded, and when */
  canaryRound(ok: boolean, seconds: number | null, finishedAtMs: number): void;
  /** one API call; `code` is the HTTP status, or 0 when no response came */
  apiRequest(verb: string, resource: string, code: number | string): void;
  watchRestarted(resource: string, reason: string): void;
  setDiscoveredResourceTypes(count: number): void;
  setLeader(leader: boolean): void;
  /** a registered remote cluster is reachable with its caches synced (true) or not (false) */
  setClusterUp(cluster: string, up: boolean): void;
  /** the last time a remote cluster was seen reachable and synced (epoch ms) */
  clusterSynced(cluster: string, atMs: number): void;
  /** removes a remote cluster's series (its Secret was removed) */
  forgetCluster(cluster: string): void;
  /** `workqueue_*{name}` series for one queue, zeroed on first use; plugs into WorkQueue */
  queue(name: string): QueueMetrics;
}

/**
 * Defines the SPEC §5 metrics and prom-client's default process metrics on `registry` (never the global one).
 * Label combinations known up front (controllers × results, controllers × reasons, the three controller
 * queues) exist at 0 from the start; per-resource series from `initResource`. Call once per registry.
 */
export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const reconcileTotal = new Counter({
    name: 'kubemirror_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue, terminal)',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const reconcileDuration = new Histogram({
    name: 'kubemirror_reconcile_duration_seconds',
    help: 'Time of one reconcile',
    labelNames: ['controller'] as const,
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60,
    ],
    registers,
  });
  const mirrorResources = new Gauge({
    name: 'kubemirror_mirror_resources',
    help: 'Mirrors currently managed, by resource type',
    labelNames: ['resource'] as const,
    registers,
  });
  const syncErrors = new Counter({
    name: 'kubemirror_sync_errors_total',
    help: 'Failed syncs by controller and classified reason',
    labelNames: ['controller', 'reason'] as const,
    registers,
  });
  const conflicts = new Counter({
    name: 'kubemirror_conflicts_total',
    help: 'Targets skipped because an object not owned by the source is in the way',
    labelNames: ['resource'] as const,
    registers,
  });
  const driftCorrections = new Counter({
    name: 'kubemirror_drift_corrections_total',
    help: 'Mirrors restored after someone else changed or deleted them',
    labelNames: ['resource'] as const,
    registers,
  });
  const fights = new Counter({
    name: 'kubemirror_fights_total',
    help: 'Mirrors found fighting another writer that rewrites them right after every kubemirror write',
    labelNames: ['resource'] as const,
    registers,
  });
  const mirrorsFighting = new Gauge({
    name: 'kubemirror_mirrors_fighting',
    help: 'Mirrors currently fighting another writer (their repairs are backed off)',
    labelNames: ['resource'] as const,
    registers,
  });
  /** from ~10 ms (one write on an idle cluster) to 10 min (a queue far behind) */
  const propagationBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
  const propagation = new Histogram({
    name: 'kubemirror_propagation_duration_seconds',
    help: 'Time from the watch event carrying new source content to the write of its last mirror',
    labelNames: ['resource'] as const,
    buckets: propagationBuckets,
    registers,
  });
  const canaryPropagation = new Histogram({
    name: 'kubemirror_canary_propagation_seconds',
    help: 'Time of a successful canary round: from the canary source update to every canary mirror showing it',
    buckets: propagationBuckets,
    registers,
  });
  const canarySuccess = new Gauge({
    name: 'kubemirror_canary_success',
    help: '1 when the last canary round succeeded, 0 when it failed (or none ran yet)',
    registers,
  });
  const canaryLastSuccess = new Gauge({
    name: 'kubemirror_canary_last_success_timestamp_seconds',
    help: 'Unix time of the last successful canary round (0: none yet)',
    registers,
  });
  const canaryRounds = new Counter({
    name: 'kubemirror_canary_rounds_total',
    help: 'Finished canary rounds by result (success, failure); stays at 0 while the canary is off',
    labelNames: ['result'] as const,
    registers,
  });
  const apiRequests = new Counter({
    name: 'kubemirror_api_requests_total',
    help: 'API server requests by verb, resource and HTTP status code',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers,
  });
  const watchRestarts = new Counter({
    name: 'kubemirror_watch_restarts_total',
    help: 'Watch restarts by resource and reason (closed, gone, error)',
    labelNames: ['resource', 'reason'] as const,
    registers,
  });
  const discovered = new Gauge({
    name: 'kubemirror_discovered_resource_types',
    help: 'Resource types currently watched',
    registers,
  });
  const leader = new Gauge({
    name: 'kubemirror_leader',
    help: '1 when this replica holds the leader Lease, else 0',
    registers,
  });
  const clusterUp = new Gauge({
    name: 'kubemirror_cluster_up',
    help: '1 when a registered remote cluster is reachable and its caches are synced, else 0',
    labelNames: ['cluster'],
    registers,
  });
  const clusterLastSync = new Gauge({
    name: 'kubemirror_cluster_last_sync_timestamp_seconds',
    help: 'Unix time a registered remote cluster was last seen reachable with its caches synced (0: never)',
    labelNames: ['cluster'],
    registers,
  });
  const queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Keys waiting in the work queue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Keys added to the work queue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys re-added with backoff after a failed reconcile',
    labelNames: ['name'] as const,
    registers,
  });
  const queueBuckets = exponentialBuckets(1e-8, 10, 12);
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Time a key waits in the queue before it is worked on',
    labelNames: ['name'] as const,
    buckets: queueBuckets,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'Time working on one key',
    labelNames: ['name'] as const,
    buckets: queueBuckets,
    registers,
  });

  for (const controller of CONTROLLERS) {
    for (const result of RECONCILE_OUTCOMES) reconcileTotal.inc({ controller, result }, 0);
    for (const reason of SYNC_ERROR_REASONS) syncErrors.inc({ controller, reason }, 0);
    reconcileDuration.zero({ controller });
  }
  discovered.set(0);
  leader.set(0);
  canarySuccess.set(0);
  canaryLastSuccess.set(0);
  for (const result of ['success', 'failure']) canaryRounds.inc({ result }, 0);

  /** remote clusters with series (kubemirror_cluster_*) */
  const clusters = new Set<string>();
  const queues = new Map<string, QueueMetrics>();
  const queue = (name: string): QueueMetrics => {
    let q = queues.get(name);
    if (!q) {
      queueDepth.set({ name }, 0);
      queueAdds.inc({ name }, 0);
      queueRetries.inc({ name }, 0);
      queueDuration.zero({ name });
      workDuration.zero({ name });
      q = {
        depth: (n) => queueDepth.set({ name }, n),
        add: () => queueAdds.inc({ name }),
        retry: () => queueRetries.inc({ name }),
        queueDuration: (s) => queueDuration.observe({ name }, s),
        workDuration: (s) => workDuration.observe({ name }, s),
      };
      queues.set(name, q);
    }
    return q;
  };
  for (const c of CONTROLLERS) queue(c);

  return {
    registry,
    reconciled: (controller, result, seconds) => {
      reconcileTotal.inc({ controller, result });
      reconcileDuration.observe({ controller }, seconds);
    },
    syncError: (controller, reason) => syncErrors.inc({ controller, reason }),
    initResource: (resource) => {
      mirrorResources.set({ resource }, 0);
      conflicts.inc({ resource }, 0);
      driftCorrections.inc({ resource }, 0);
      fights.inc({ resource }, 0);
      mirrorsFighting.set({ resource }, 0);
      propagation.zero({ resource });
      for (const reason of RESTART_REASONS) watchRestarts.inc({ resource, reason }, 0);
    },
    forgetResource: (resource) => {
      mirrorResources.remove({ resource });
      conflicts.remove({ resource });
      driftCorrections.remove({ resource });
      fights.remove({ resource });
      mirrorsFighting.remove({ resource });
      propagation.remove({ resource });
      for (const reason of RESTART_REASONS) watchRestarts.remove({ resource, reason });
    },
    setMirrorResources: (resource, count) => mirrorResources.set({ resource }, count),
    conflict: (resource) => conflicts.inc({ resource }),
    driftCorrected: (resource) => driftCorrections.inc({ resource }),
    fightStarted: (resource) => fights.inc({ resource }),
    setMirrorsFighting: (resource, count) => mirrorsFighting.set({ resource }, count),
    propagated: (resource, seconds) => propagation.observe({ resource }, seconds),
    canaryRound: (ok, seconds, finishedAtMs) => {
      canaryRounds.inc({ result: ok ? 'success' : 'failure' });
      canarySuccess.set(ok ? 1 : 0);
      if (ok) {
        if (seconds !== null) canaryPropagation.observe(seconds);
        canaryLastSuccess.set(finishedAtMs / 1000);
      }
    },
    apiRequest: (verb, resource, code) => apiRequests.inc({ verb, resource, code: String(code) }),
    watchRestarted: (resource, reason) => watchRestarts.inc({ resource, reason }),
    setDiscoveredResourceTypes: (count) => discovered.set(count),
    setLeader: (isLeader) => leader.set(isLeader ? 1 : 0),
    setClusterUp: (cluster, up) => {
      clusterUp.set({ cluster }, up ? 1 : 0);
      if (!clusters.has(cluster)) clusterLastSync.set({ cluster }, 0);
      clusters.add(cluster);
    },
    clusterSynced: (cluster, atMs) => {
      clusters.add(cluster);
      clusterLastSync.set({ cluster }, atMs / 1000);
    },
    forgetCluster: (cluster) => {
      clusters.delete(cluster);
      clusterUp.remove({ cluster });
      clusterLastSync.remove({ cluster });
    },
    queue,
  };
}
