import type { Registry } from 'prom-client';
import type { SourceStatusEntry } from '../../src/controllers/source-status.js';

/** What the bench needs to know about a running controller, read in-process (no HTTP, no API requests). */
export interface ControllerProbe {
  synced: boolean;
  /** every work queue empty and nothing in flight */
  idle: boolean;
  /** sources in the status snapshot, and how many of them are `Synced n/n` with n = `expectTargets` */
  sources: number;
  fullySynced: number;
  /** successful mirror writes seen by the controller, by verb (`update configmaps` → n), from its metrics */
  writesOk: Record<string, number>;
  /** requests answered with an error (4xx/5xx or no answer), by `verb resource code` */
  failed: Record<string, number>;
  /** reconciles finished, by controller */
  reconciles: Record<string, number>;
}

const QUEUES = ['source', 'target', 'namespace', 'policy'];

type Values = Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;

async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as Values;
}

/**
 * Queues are idle when every `workqueue_depth` is 0 and every key handed out is done: a key handed out is
 * observed once in `workqueue_queue_duration_seconds`, and once more in `workqueue_work_duration_seconds`
 * when it is done, so the two counts are equal exactly when nothing is in flight. (Keys waiting in a
 * delayed add, i.e. backoff after an error, are not visible here.)
 */
export async function queuesIdle(registry: Registry): Promise<boolean> {
  const depth = await values(registry, 'workqueue_depth');
  if (depth.some((v) => QUEUES.includes(String(v.labels.name)) && v.value !== 0)) return false;
  const handedOut = countsByQueue(await values(registry, 'workqueue_queue_duration_seconds'));
  const finished = countsByQueue(await values(registry, 'workqueue_work_duration_seconds'));
  return QUEUES.every((q) => (handedOut.get(q) ?? 0) === (finished.get(q) ?? 0));
}

function countsByQueue(v: Values): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of v) if (x.metricName?.endsWith('_count')) out.set(String(x.labels.name), x.value);
  return out;
}

export async function probeController(
  c: { hasSynced(): boolean; status: { snapshot(): SourceStatusEntry[] } },
  registry: Registry,
  expectTargets: number,
): Promise<ControllerProbe> {
  const snapshot = c.status.snapshot();
  const writesOk: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const v of await values(registry, 'kubemirror_api_requests_total')) {
    const key = `${v.labels.verb} ${v.labels.resource}`;
    if (/^2\d\d$/.test(String(v.labels.code))) writesOk[key] = (writesOk[key] ?? 0) + v.value;
    else if (v.value > 0) failed[`${key} ${v.labels.code}`] = v.value;
  }
  const reconciles: Record<string, number> = {};
  for (const v of await values(registry, 'kubemirror_reconcile_total')) {
    const key = String(v.labels.controller);
    reconciles[key] = (reconciles[key] ?? 0) + v.value;
  }
  return {
    synced: c.hasSynced(),
    idle: await queuesIdle(registry),
    sources: snapshot.length,
    fullySynced: snapshot.filter(
      (s) => !s.fatal && s.wanted === expectTargets && s.synced === expectTargets && s.errors.length === 0,
    ).length,
    writesOk,
    failed,
    reconciles,
  };
}
