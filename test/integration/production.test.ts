// Sandbox-only (SPEC §10): injects latency, dropped watches and failures, and counts requests, with the sandbox; kube-apiserver restarts and cut connections are test/real/outages.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { SPEC_METRICS } from '../packaging/metric-names.js';
import { configMap } from './scenarios.js';

/**
 * SPEC §4/§5 production behaviour of the real controller in-process against the sandbox: readiness, the
 * HTTP endpoints and metrics, ConfigMap hot reload (good and bad), watch outages and graceful shutdown.
 * The rows share one controller and run in order (the last one stops it).
 */

const T = 'kubemirror.io/target-namespaces';
const CONFIG_MAP = 'kubemirror-system/kubemirror-config';

async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one sample in Prometheus text format; undefined when the series is absent. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete'];

describe('production behaviour (HTTP endpoints, hot reload, outages, shutdown)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    await h.kube.namespace('kubemirror-system');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/readyz answers 503 until the caches synced, then 200', async () => {
    // lists fail until we allow them, so the caches cannot sync
    const allowLists = h.sandbox.faults.failRequests({ fraction: 1, code: 503, verbs: ['list'] });
    const started = h.startController(['--config-map', CONFIG_MAP]);
    const running = await waitFor(
      'controller object',
      () => h.running,
      (r) => r !== null,
    );
    await waitFor(
      'the controller to have tried listing a few times',
      () => h.sandbox.requests.total({ verbs: ['list'] }),
      (n) => n >= 3,
    );
    expect(running!.controller.hasSynced()).toBe(false);
    const before = await get(running!.http.probeAddress, '/readyz');
    expect(before.status).toBe(503);
    expect((await get(running!.http.probeAddress, '/healthz')).status).toBe(200);
    allowLists();
    await started;
    await waitFor(
      '/readyz 200',
      async () => (await get(running!.http.probeAddress, '/readyz')).status,
      (s) => s === 200,
    );
  });

  it('/metrics, /status and /leader describe a known scenario: 3 ConfigMap mirrors', async () => {
    await h.kube.namespace('m-src');
    for (const n of ['m-a', 'm-b', 'm-c']) await h.kube.namespace(n);
    await h.kube.create(configMap('m-src', 'metered', { [T]: 'm-a,m-b,m-c' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'metered', ['m-a', 'm-b', 'm-c']);
    await h.expectStatus('v1', 'ConfigMap', 'm-src', 'metered', (l) => l === 'Synced 3/3');
    const running = h.running!;

    const body = await waitFor(
      '/metrics to count 3 configmap mirrors',
      async () => (await get(running.http.metricsAddress, '/metrics')).body,
      (b) => sample(b, 'kubemirror_mirror_resources', { resource: 'configmaps' }) === 3,
    );
    expect(
      sample(body, 'kubemirror_api_requests_total', { verb: 'create', resource: 'configmaps', code: '201' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sample(body, 'kubemirror_reconcile_total', { controller: 'source', result: 'success' }),
    ).toBeGreaterThan(0);
    expect(sample(body, 'kubemirror_leader')).toBe(1);
    // per-resource series exist at 0 from the moment a type is watched, before anything happened to them
    expect(sample(body, 'kubemirror_conflicts_total', { resource: 'secrets' })).toBe(0);
    expect(sample(body, 'kubemirror_drift_corrections_total', { resource: 'secrets' })).toBe(0);
    const declared = new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect(SPEC_METRICS.filter((n) => !declared.has(n))).toEqual([]);
    // every label combination known up front exists at 0
    expect(sample(body, 'kubemirror_reconcile_total', { controller: 'namespace', result: 'terminal' })).toBe(
      0,
    );

    const status = JSON.parse((await get(running.http.probeAddress, '/status')).body) as {
      sources: Array<{ resource: string; namespace: string; name: string; wanted: number; synced: number }>;
    };
    expect(status.sources).toContainEqual(
      expect.objectContaining({
        resource: 'configmaps',
        namespace: 'm-src',
        name: 'metered',
        wanted: 3,
        synced: 3,
      }),
    );

    const leader = await get(running.http.probeAddress, '/leader');
    expect(leader.body.trim()).toBe(`Leader: ${running.identity}`);
  });

  it('a watch outage marks the controller broken (brokenSince) and clears when watches come back', async () => {
    const { controller } = h.running!;
    expect(controller.brokenSince()).toBeNull();
    h.sandbox.faults.refuseWatches(true);
    h.sandbox.faults.dropWatches();
    const since = await waitFor(
      'brokenSince set',
      () => controller.brokenSince(),
      (b) => b !== null,
    );
    expect(since!).toBeLessThanOrEqual(Date.now());
    // shorter than the threshold: still ready
    expect((await get(h.running!.http.probeAddress, '/readyz')).status).toBe(200);
    h.sandbox.faults.refuseWatches(false);
    await waitFor(
      'brokenSince cleared',
      () => controller.brokenSince(),
      (b) => b === null,
      {
        timeoutMs: 20_000,
      },
    );
    // and the watches really work again: a new source is mirrored
    await h.kube.create(configMap('m-src', 'after-outage', { [T]: 'm-a' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'after-outage', ['m-a']);
  });

  it('ConfigMap hot reload: excluding a namespace deletes the mirrors in it', async () => {
    await h.kube.namespace('hr-src');
    for (const n of ['hr-a', 'hr-b']) await h.kube.namespace(n);
    await h.kube.create(configMap('hr-src', 'hot', { [T]: 'hr-a,hr-b' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'hot', ['hr-a', 'hr-b']);
    await h.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubemirror-config', namespace: 'kubemirror-system' },
      data: { excludedNamespaces: 'hr-b' },
    });
    await h.expectMirrorsIn('v1', 'ConfigMap', 'hot', ['hr-a']);
    expect(h.running!.config.get().excludedNamespaces).toEqual(['hr-b']);
    expect(h.logs.some((l) => l.includes('configuration reloaded from config map'))).toBe(true);
  });

  it('a bad ConfigMap is rejected with an error naming the problem, and the last good config stays', async () => {
    const logsBefore = h.logs.length;
    await h.kube.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubemirror-config', namespace: 'kubemirror-system' },
      data: { excludedNamespaces: 'nothing-excluded', maxTargets: 'lots' },
    });
    const line = await waitFor(
      'an error log line about the rejected config map',
      () =>
        h.logs
          .slice(logsBefore)
          .map((l) => JSON.parse(l) as { level: number | string; msg: string; problems?: string[] })
          .find((l) => /config map rejected/.test(l.msg)),
      (l) => l !== undefined,
    );
    expect(line!.level === 50 || line!.level === 'error').toBe(true);
    expect(JSON.stringify(line!.problems)).toMatch(/maxTargets/);
    expect(JSON.stringify(line!.problems)).toMatch(/lots/);
    // the previous configuration is still in force: hr-b stays excluded (the rejected map would free it)
    expect(h.running!.config.get().excludedNamespaces).toEqual(['hr-b']);
    expect(h.running!.config.get().maxTargets).toBe(100);
    await h.kube.create(configMap('hr-src', 'still-works', { [T]: 'hr-a,hr-b' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'still-works', ['hr-a']);
    await h.expectMirrorsIn('v1', 'ConfigMap', 'hot', ['hr-a']);
  });

  it('graceful stop during a fan-out: in-flight writes finish, nothing is written afterwards, nothing half-written', async () => {
    const targets = Array.from({ length: 12 }, (_, i) => `gs-${i}`);
    await h.kube.namespace('gs-src');
    for (const n of targets) await h.kube.namespace(n);
    h.sandbox.faults.setLatency(150);
    const src = await h.kube.create(configMap('gs-src', 'fan', { [T]: 'gs-*' }, { payload: 'complete' }));
    // stop once the fan-out has started writing mirrors
    const creates = () => h.sandbox.requests.total({ verbs: ['create'], resources: ['configmaps'] });
    const ownCreates = creates();
    await waitFor('first mirror written', creates, (n) => n > ownCreates);
    const t0 = Date.now();
    await h.stopController();
    expect(Date.now() - t0).toBeLessThan(15_000);
    const writesAtStop = h.sandbox.requests.total({ verbs: WRITE_VERBS });
    h.sandbox.faults.setLatency(0);
    // observation window for a negative: several times the request latency, nothing new may arrive
    const end = Date.now() + 1500;
    await waitFor(
      'the observation window',
      () => Date.now(),
      (now) => now >= end,
      { timeoutMs: 3000 },
    );
    expect(h.sandbox.requests.total({ verbs: WRITE_VERBS })).toBe(writesAtStop);

    // whatever was written is a whole mirror of this source
    const mirrors = [...(await h.mirrors('v1', 'ConfigMap', 'fan')).values()];
    for (const m of mirrors as KubeObject[]) {
      expect(m.data).toEqual({ payload: 'complete' });
      expect(m.metadata.annotations).toMatchObject({
        'kubemirror.io/source-namespace': 'gs-src',
        'kubemirror.io/source-name': 'fan',
        'kubemirror.io/source-uid': src.metadata.uid,
      });
      expect(m.metadata.annotations?.['kubemirror.io/source-content-hash']).toMatch(/\S/);
    }
    // the fan-out that was in flight was finished, not abandoned
    expect(mirrors.length).toBe(targets.length);
  });
});

describe('readiness follows watch health', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ watchBrokenThresholdMs: 1000 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/readyz fails once a watch stays broken past the threshold and recovers when watches work again', async () => {
    const probe = h.running!.http.probeAddress;
    expect((await get(probe, '/readyz')).status).toBe(200);
    h.sandbox.faults.refuseWatches(true);
    h.sandbox.faults.dropWatches();
    const unready = await waitFor(
      '/readyz 503',
      () => get(probe, '/readyz'),
      (r) => r.status === 503,
      {
        timeoutMs: 20_000,
      },
    );
    expect(unready.body).toMatch(/watch has been broken/);
    h.sandbox.faults.refuseWatches(false);
    await waitFor(
      '/readyz 200 again',
      () => get(probe, '/readyz'),
      (r) => r.status === 200,
      { timeoutMs: 40_000 },
    );
  }, 60_000);
});
