import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  CONTROLLERS,
  createMetrics,
  METRIC_NAMES,
  SYNC_ERROR_REASONS,
} from '../../../src/observability/metrics.js';

async function sampleOf(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const m = await registry.getSingleMetric(name)!.get();
  const hit = m.values.find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return hit?.value;
}

describe('createMetrics', () => {
  it('registers exactly the SPEC metric names plus Node process metrics on the injected registry', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    const own = names.filter((n) => n.startsWith('kubemirror_') || n.startsWith('workqueue_'));
    expect(own.sort()).toEqual([...METRIC_NAMES].sort());
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(names).toContain('nodejs_heap_size_used_bytes');
  });

  it('creates every controller × result and controller × reason series at 0', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    for (const controller of CONTROLLERS) {
      for (const result of ['success', 'error', 'requeue', 'terminal']) {
        expect(text).toContain(`kubemirror_reconcile_total{controller="${controller}",result="${result}"} 0`);
      }
      for (const reason of SYNC_ERROR_REASONS) {
        expect(text).toContain(
          `kubemirror_sync_errors_total{controller="${controller}",reason="${reason}"} 0`,
        );
      }
      expect(text).toContain(`kubemirror_reconcile_duration_seconds_count{controller="${controller}"} 0`);
      for (const m of ['workqueue_depth', 'workqueue_adds_total', 'workqueue_retries_total']) {
        expect(text).toContain(`${m}{name="${controller}"} 0`);
      }
      expect(text).toContain(`workqueue_work_duration_seconds_count{name="${controller}"} 0`);
    }
    expect(text).toContain('kubemirror_leader 0');
    expect(text).toContain('kubemirror_discovered_resource_types 0');
  });

  it('zeroes the per-resource series on initResource and removes them on forgetResource', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.initResource('Secret.v1');
    let text = await registry.metrics();
    expect(text).toContain('kubemirror_mirror_resources{resource="Secret.v1"} 0');
    expect(text).toContain('kubemirror_conflicts_total{resource="Secret.v1"} 0');
    expect(text).toContain('kubemirror_drift_corrections_total{resource="Secret.v1"} 0');
    for (const reason of ['closed', 'gone', 'error']) {
      expect(text).toContain(`kubemirror_watch_restarts_total{resource="Secret.v1",reason="${reason}"} 0`);
    }
    metrics.forgetResource('Secret.v1');
    text = await registry.metrics();
    expect(text).not.toContain('resource="Secret.v1"');
  });

  it('counts through the helpers', async () => {
    const registry = new Registry();
    const m = createMetrics(registry);
    m.reconciled('source', 'success', 0.02);
    m.reconciled('source', 'success', 0.03);
    m.reconciled('target', 'error', 1);
    m.syncError('target', 'Forbidden');
    m.conflict('ConfigMap.v1');
    m.driftCorrected('ConfigMap.v1');
    m.apiRequest('update', 'secrets', 409);
    m.watchRestarted('Secret.v1', 'gone');
    m.setMirrorResources('Secret.v1', 12);
    m.setDiscoveredResourceTypes(4);
    m.setLeader(true);
    expect(
      await sampleOf(registry, 'kubemirror_reconcile_total', { controller: 'source', result: 'success' }),
    ).toBe(2);
    expect(
      await sampleOf(registry, 'kubemirror_reconcile_total', { controller: 'target', result: 'error' }),
    ).toBe(1);
    expect(
      await sampleOf(registry, 'kubemirror_sync_errors_total', { controller: 'target', reason: 'Forbidden' }),
    ).toBe(1);
    expect(await sampleOf(registry, 'kubemirror_conflicts_total', { resource: 'ConfigMap.v1' })).toBe(1);
    expect(await sampleOf(registry, 'kubemirror_drift_corrections_total', { resource: 'ConfigMap.v1' })).toBe(
      1,
    );
    expect(
      await sampleOf(registry, 'kubemirror_api_requests_total', {
        verb: 'update',
        resource: 'secrets',
        code: '409',
      }),
    ).toBe(1);
    expect(
      await sampleOf(registry, 'kubemirror_watch_restarts_total', { resource: 'Secret.v1', reason: 'gone' }),
    ).toBe(1);
    expect(await sampleOf(registry, 'kubemirror_mirror_resources', { resource: 'Secret.v1' })).toBe(12);
    expect(await sampleOf(registry, 'kubemirror_discovered_resource_types')).toBe(4);
    expect(await sampleOf(registry, 'kubemirror_leader')).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('kubemirror_reconcile_duration_seconds_count{controller="source"} 2');
  });

  it('feeds workqueue_* series through the queue adapter', async () => {
    const registry = new Registry();
    const q = createMetrics(registry).queue('discovery');
    q.add();
    q.add();
    q.retry();
    q.depth(5);
    q.queueDuration(0.5);
    q.workDuration(0.25);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="discovery"} 2');
    expect(text).toContain('workqueue_retries_total{name="discovery"} 1');
    expect(text).toContain('workqueue_depth{name="discovery"} 5');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="discovery"} 1');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="discovery"} 0.25');
  });

  it('keeps separate registries apart', async () => {
    const a = new Registry();
    const b = new Registry();
    createMetrics(a).setLeader(true);
    createMetrics(b);
    expect(await sampleOf(a, 'kubemirror_leader')).toBe(1);
    expect(await sampleOf(b, 'kubemirror_leader')).toBe(0);
  });
});
