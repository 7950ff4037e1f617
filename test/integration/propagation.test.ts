// Sandbox-only (SPEC §10): adds latency with the sandbox's fault injection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceStatusStore } from '../../src/controllers/source-status.js';
import { sourceContentHash } from '../../src/controllers/type-watcher.js';
import { mirrorKeys } from '../../src/core/keys.js';
import type { KubeObject } from '../../src/core/types.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { configMap } from './scenarios.js';

/**
 * SPEC §9, real sources: the time from the watch event carrying new source content to the write of its last
 * mirror, as a histogram and per source in /status. With the sandbox delaying every request, each mirror
 * write takes at least the injected latency, so the measured propagation cannot be shorter than it.
 */

const T = 'kubemirror.io/target-namespaces';

interface StatusEntry {
  resource: string;
  namespace: string;
  name: string;
  lastSyncTime?: string;
  lastPropagationSeconds?: number;
}

async function get(address: string, path: string): Promise<string> {
  return (await fetch(`http://${address}${path}`)).text();
}

function histogramCount(body: string, name: string, resource: string): number {
  const m = new RegExp(`^${name}_count\\{resource="${resource}"\\} (\\S+)$`, 'm').exec(body);
  return m ? Number(m[1]) : Number.NaN;
}

describe('propagation latency of real sources (SPEC §9)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start();
    for (const n of ['pr-src', 'pr-a', 'pr-b', 'pr-c']) await h.kube.namespace(n);
  });
  afterAll(async () => {
    h.sandbox.faults.clear();
    await h?.stop();
  });

  const entry = async (): Promise<StatusEntry | undefined> => {
    const body = JSON.parse(await get(h.running!.http.probeAddress, '/status')) as { sources: StatusEntry[] };
    return body.sources.find((s) => s.namespace === 'pr-src' && s.name === 'fresh');
  };

  it('a new source is measured and /status gives lastSyncTime and lastPropagationSeconds', async () => {
    await h.kube.create(configMap('pr-src', 'fresh', { [T]: 'pr-a,pr-b,pr-c' }, { v: '1' }));
    await h.expectMirrorsIn('v1', 'ConfigMap', 'fresh', ['pr-a', 'pr-b', 'pr-c']);
    const e = await waitFor(
      '/status entry with a propagation time',
      entry,
      (x) => x?.lastPropagationSeconds !== undefined,
    );
    expect(Date.parse(e!.lastSyncTime ?? '')).not.toBeNaN();
    expect(e!.lastPropagationSeconds).toBeGreaterThanOrEqual(0);
    const metrics = await get(h.running!.http.metricsAddress, '/metrics');
    expect(histogramCount(metrics, 'kubemirror_propagation_duration_seconds', 'configmaps')).toBeGreaterThan(
      0,
    );
    // a type watched but with nothing propagated yet still has its series at 0
    expect(histogramCount(metrics, 'kubemirror_propagation_duration_seconds', 'secrets')).toBe(0);
  });

  it('with 400 ms injected on every request, the measured propagation is at least that', async () => {
    const latencyMs = 400;
    const before = await entry();
    const metricsBefore = await get(h.running!.http.metricsAddress, '/metrics');
    const countBefore = histogramCount(
      metricsBefore,
      'kubemirror_propagation_duration_seconds',
      'configmaps',
    );
    h.sandbox.faults.setLatency(latencyMs);
    try {
      await h.kube.mergePatch('v1', 'ConfigMap', 'pr-src', 'fresh', { data: { v: '2' } });
      await waitFor(
        'every mirror to show v=2',
        async () =>
          [...(await h.mirrors('v1', 'ConfigMap', 'fresh')).values()].map(
            (m) => (m.data as Record<string, string> | undefined)?.v,
          ),
        (vs) => vs.length === 3 && vs.every((v) => v === '2'),
      );
      const after = await waitFor(
        'a new propagation time and sync time in /status',
        entry,
        (x) => x?.lastSyncTime !== before?.lastSyncTime && x?.lastPropagationSeconds !== undefined,
      );
      const seconds = after!.lastPropagationSeconds!;
      // each mirror update is one PUT delayed by the sandbox; the three run in parallel
      expect(seconds).toBeGreaterThanOrEqual(latencyMs / 1000);
      // tolerance: no queue backlog here, so a few round trips at most, never the resync period
      expect(seconds).toBeLessThan((3 * latencyMs) / 1000 + 2);
      const metrics = await get(h.running!.http.metricsAddress, '/metrics');
      expect(histogramCount(metrics, 'kubemirror_propagation_duration_seconds', 'configmaps')).toBe(
        countBefore + 1,
      );
    } finally {
      h.sandbox.faults.setLatency(0);
    }
  });
});

describe('what counts as new source content, and what /status keeps', () => {
  const keys = mirrorKeys('kubemirror.io');
  const base = configMap('ns', 'cm', { [T]: 'a' }, { v: '1' }) as KubeObject;
  const hash = (o: KubeObject) => sourceContentHash(structuredClone(o), keys);

  it('data, labels and annotations are content; our own status line, status and server metadata are not', () => {
    const h0 = hash(base);
    expect(hash({ ...base, data: { v: '2' } })).not.toBe(h0);
    expect(hash({ ...base, metadata: { ...base.metadata, labels: { x: 'y' } } })).not.toBe(h0);
    expect(
      hash({
        ...base,
        metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, [T]: 'a,b' } },
      }),
    ).not.toBe(h0);
    const echo = {
      ...base,
      status: { x: 1 },
      metadata: {
        ...base.metadata,
        resourceVersion: '42',
        finalizers: [keys.finalizer],
        annotations: { ...base.metadata.annotations, [keys.syncStatus]: 'Synced 1/1' },
      },
    };
    expect(hash(echo)).toBe(h0);
  });

  it('coverage entries keep their last sync and propagation across reports; internal sources are hidden', () => {
    const store = new SourceStatusStore();
    const ref = { namespace: 'ns', name: 'cm' };
    const cov = { wanted: 2, synced: 2, conflicts: [], errors: [], skipped: 0, line: 'Synced 2/2' };
    store.set('ConfigMap.v1', 'configmaps', ref, cov);
    store.synced('ConfigMap.v1', ref, new Date('2026-01-01T00:00:00Z'), 1.25);
    store.set('ConfigMap.v1', 'configmaps', ref, { ...cov, synced: 1, line: 'Synced 1/2' });
    expect(store.snapshot()[0]).toMatchObject({
      synced: 1,
      lastSyncTime: '2026-01-01T00:00:00.000Z',
      lastPropagationSeconds: 1.25,
    });
    // a later sync that carried no new content moves the sync time only
    store.synced('ConfigMap.v1', ref, new Date('2026-01-01T00:01:00Z'));
    expect(store.snapshot()[0]).toMatchObject({
      lastSyncTime: '2026-01-01T00:01:00.000Z',
      lastPropagationSeconds: 1.25,
    });
    store.markInternal('ConfigMap.v1', ref);
    expect(store.snapshot()).toEqual([]);
    expect(store.get('ConfigMap.v1', ref)?.synced).toBe(1);
  });
});
