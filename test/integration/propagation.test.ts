import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
