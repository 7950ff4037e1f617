// Sandbox-only (SPEC §10): drops, refuses and fails requests with the sandbox's fault injection; a canary round on kube-apiserver runs in test/real/rbac.test.ts.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningController, startController } from '../../src/cli/start-controller.js';
import { createLogger } from '../../src/observability/logger.js';
import { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * SPEC §9 canary on the sandbox with the real controller: a round succeeds through the ordinary pipeline;
 * under a 500 storm on mirror writes and under refused watches a round fails naming the namespaces that did
 * not get the bump, and later rounds recover; turned off and on through the settings ConfigMap; with
 * --canary-cleanup the canary, its mirrors and the namespaces it created are removed on stop.
 * The rows share one controller and run in order.
 */

const CONFIG_MAP = 'kubemirror-system/kubemirror-config';

interface Round {
  started: string;
  finished: string;
  latencySeconds?: number;
  error?: string;
}
interface CanaryStatus {
  enabled: boolean;
  running: boolean;
  rounds: Round[];
}

async function get(address: string, path: string): Promise<string> {
  return (await fetch(`http://${address}${path}`)).text();
}

function sample(body: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
}

describe('the canary (SPEC §9)', () => {
  let h: Harness;

  const status = async () =>
    JSON.parse(await get(h.running!.http.probeAddress, '/status')) as {
      sources: Array<{ namespace: string; name: string }>;
      canary: CanaryStatus;
    };
  const canary = async () => (await status()).canary;
  const metrics = () => get(h.running!.http.metricsAddress, '/metrics');
  /** waits for a round that finished after `since` (ISO) and satisfies `ok` */
  const roundAfter = (since: string, what: string, ok: (r: Round) => boolean, timeoutMs = 15_000) =>
    waitFor(
      what,
      async () => (await canary()).rounds.filter((r) => r.started > since),
      (rs) => rs.some(ok),
      { timeoutMs },
    );

  const settings = (canaryInterval: string) =>
    h.kube.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'kubemirror-system', name: 'kubemirror-config' },
      data: { canaryInterval, canaryNamespaces: 'can-a,can-b', canaryCleanup: 'true' },
    });

  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    await h.kube.namespace('kubemirror-system');
    await h.kube.namespace('can-b'); // exists before: the canary must not delete it on cleanup
    // in the settings ConfigMap, not as flags (flags win over it), so the canary can be switched at run time
    await settings('2s');
    await h.startController(['--config-map', CONFIG_MAP, '--leader-election-namespace=kubemirror-system']);
  });
  afterAll(async () => {
    h.sandbox.faults.clear();
    await h?.stop();
  });

  it('a round succeeds: the canary is mirrored into its namespaces (created if missing) and measured', async () => {
    const rs = await roundAfter('', 'a successful round', (r) => r.latencySeconds !== undefined);
    const ok = rs.find((r) => r.latencySeconds !== undefined)!;
    expect(ok.latencySeconds).toBeGreaterThan(0);
    expect(ok.latencySeconds).toBeLessThan(1.6);
    const mirrors = await h.mirrors('v1', 'ConfigMap', 'kubemirror-canary');
    expect([...mirrors.keys()].sort()).toEqual(['can-a', 'can-b']);
    const created = await h.kube.get('v1', 'Namespace', '', 'can-a');
    expect(created?.metadata.labels?.['app.kubernetes.io/name']).toBe('kubemirror-canary');
    const body = await metrics();
    expect(sample(body, 'kubemirror_canary_success')).toBe(1);
    expect(sample(body, 'kubemirror_canary_last_success_timestamp_seconds')).toBeGreaterThan(0);
    expect(sample(body, 'kubemirror_canary_propagation_seconds_count')).toBeGreaterThan(0);
    // never a user source in the coverage figures
    const s = await status();
    expect(s.sources.filter((x) => x.name === 'kubemirror-canary')).toEqual([]);
  });

  it('under a 500 storm on mirror writes a round fails naming the namespaces, then recovers', async () => {
    const since = new Date().toISOString();
    const clear = h.sandbox.faults.failRequests({
      fraction: 1,
      code: 500,
      verbs: ['create', 'update'],
      resources: ['configmaps'],
    });
    let failed: Round | undefined;
    try {
      const rs = await roundAfter(since, 'a failed round', (r) => r.error !== undefined);
      failed = rs.find((r) => r.error !== undefined);
      expect(failed?.error).toMatch(/not seen within \d+ ms in can-a, can-b/);
      await waitFor('canary_success 0', metrics, (b) => sample(b, 'kubemirror_canary_success') === 0);
    } finally {
      clear();
    }
    await roundAfter(
      failed!.finished,
      'a successful round after the storm',
      (r) => r.latencySeconds !== undefined,
    );
    expect(sample(await metrics(), 'kubemirror_canary_success')).toBe(1);
  });

  it('with watches dropped and refused a round fails, and recovers once watches are back', async () => {
    const since = new Date().toISOString();
    h.sandbox.faults.refuseWatches(true);
    h.sandbox.faults.dropWatches();
    let failed: Round | undefined;
    try {
      const rs = await roundAfter(since, 'a failed round', (r) => r.error !== undefined);
      failed = rs.find((r) => r.error !== undefined);
      expect(failed?.error).toMatch(/not seen within \d+ ms in can-/);
    } finally {
      h.sandbox.faults.refuseWatches(false);
    }
    await roundAfter(
      failed!.finished,
      'a successful round with watches back',
      (r) => r.latencySeconds !== undefined,
      30_000,
    );
  });

  it('is turned off and on at run time through the settings ConfigMap', async () => {
    await settings('0');
    await waitFor('canary stopped', canary, (c) => !c.enabled && !c.running);
    // turned off with --canary-cleanup: the canary source is removed too
    expect(await h.kube.get('v1', 'ConfigMap', 'kubemirror-system', 'kubemirror-canary')).toBeNull();
    const since = new Date().toISOString();
    await settings('1s');
    await waitFor('canary running again', canary, (c) => c.enabled && c.running);
    // can-a was deleted with the canary; rounds fail until it is gone and has been created again
    await roundAfter(
      since,
      'a successful round after re-enabling',
      (r) => r.latencySeconds !== undefined,
      30_000,
    );
  });

  it('--canary-cleanup: on stop the canary, its mirrors and the namespace it created are removed', async () => {
    await h.stopController();
    expect(await h.kube.get('v1', 'ConfigMap', 'kubemirror-system', 'kubemirror-canary')).toBeNull();
    expect([...(await h.mirrors('v1', 'ConfigMap', 'kubemirror-canary')).keys()]).toEqual([]);
    await waitFor(
      'can-a (created by the canary) deleted',
      async () => {
        const ns = await h.kube.get('v1', 'Namespace', '', 'can-a');
        return ns === null || ns.metadata.deletionTimestamp !== undefined;
      },
      Boolean,
    );
    // a namespace that existed before the canary is left alone
    const b = await h.kube.get('v1', 'Namespace', '', 'can-b');
    expect(b?.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('the canary follows the leader', () => {
  let h: Harness;
  const replicas: RunningController[] = [];

  /** One in-process replica with its own identity, electing on a short lease. */
  const replica = async (identity: string) => {
    const r = await startController({
      argv: [
        '--leader-elect=true',
        '--leader-election-namespace=kubemirror-system',
        '--metrics-bind-address=127.0.0.1:0',
        '--health-probe-bind-address=127.0.0.1:0',
        '--discovery-interval=1s',
        '--canary-interval=1s',
        '--canary-namespaces=lc-a',
      ],
      env: { POD_NAME: identity },
      kubeconfigPath: h.kubeconfigPath,
      logger: createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      leaseTimings: { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300 },
    });
    replicas.push(r);
    return r;
  };
  const canaryOf = async (r: RunningController) =>
    (JSON.parse(await get(r.http.probeAddress, '/status')) as { canary: CanaryStatus }).canary;

  beforeAll(async () => {
    h = await Harness.start({ controller: false });
    await h.kube.namespace('kubemirror-system');
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await h?.stop();
  });

  it('runs on the leader only, and moves to the standby that takes over', async () => {
    const a = await replica('canary-a');
    await waitFor('a leads', () => a.isLeader(), Boolean);
    const b = await replica('canary-b');
    await waitFor(
      'a successful round on the leader',
      () => canaryOf(a),
      (c) => c.rounds.some((r) => r.latencySeconds !== undefined),
    );
    expect(b.isLeader()).toBe(false);
    expect((await canaryOf(b)).running).toBe(false);
    expect((await canaryOf(b)).rounds).toEqual([]);

    await a.stop(); // releases the lease
    await waitFor('b leads', () => b.isLeader(), Boolean, { timeoutMs: 10_000 });
    await waitFor(
      'a successful round on the new leader',
      () => canaryOf(b),
      (c) => c.running && c.rounds.some((r) => r.latencySeconds !== undefined),
    );
  });
});

describe('a canary that cannot run says why', () => {
  let h: Harness;
  afterAll(async () => {
    await h?.stop();
  });

  it('without ConfigMap.v1 among the mirrored types, init fails with the reason and no round runs', async () => {
    h = await Harness.start({
      args: ['--resource-types=Secret.v1', '--canary-interval=1s', '--canary-namespaces=nc-a'],
    });
    const c = await waitFor(
      'a failed canary init',
      async () =>
        (
          JSON.parse(await get(h.running!.http.probeAddress, '/status')) as {
            canary: CanaryStatus & { lastEvent?: { step: string; ok: boolean; message: string } };
          }
        ).canary,
      (x) => x.lastEvent?.step === 'init' && !x.lastEvent.ok,
    );
    expect(c.lastEvent?.message).toContain('ConfigMap.v1 is not among the mirrored types');
    expect(c.rounds).toEqual([]);
    expect(await h.kube.get('v1', 'Namespace', '', 'nc-a')).toBeNull();
  });
});
